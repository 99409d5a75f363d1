-- Migration 7: reminders sent to enterprises that have not answered (or not finished) the open round.
-- One row per enterprise reminded, per round and county day: the UNIQUE constraint is what keeps
-- anyone from being reminded twice in one county day, even by two administrators at once.
-- Portable SQL (SQLite and PostgreSQL). Never edit once shipped: add a new file.
CREATE TABLE IF NOT EXISTS reminders (
    id INTEGER PRIMARY KEY,
    round TEXT NOT NULL REFERENCES rounds(name),
    enterprise TEXT NOT NULL REFERENCES enterprises(uscc),
    county_day TEXT NOT NULL,
    channel TEXT NOT NULL CHECK (channel IN ('sms_csv', 'letter', 'webhook')),
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    UNIQUE (round, enterprise, county_day)
);
CREATE INDEX IF NOT EXISTS reminders_round_enterprise ON reminders (round, enterprise, at);
