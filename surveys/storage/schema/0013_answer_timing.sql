-- Migration 13: answer timing and the discipline office's inquiries (issue 15 item 4). Never edit once shipped.
-- When the enterprise first opened the agency's form before its first save (county server time, UTC);
-- NULL for paper returns and answers saved before this migration: they have no timing.
ALTER TABLE responses ADD COLUMN opened_at TEXT;
-- An inquiry the discipline office opens from a coaching signal. Only the discipline office reads this
-- table: an agency never learns a signal was raised, the administrator's audit log names only the row.
CREATE TABLE inquiries (
    id INTEGER PRIMARY KEY,
    round TEXT NOT NULL REFERENCES rounds(name),
    agency TEXT REFERENCES agencies(code),
    signal TEXT NOT NULL CHECK (signal <> ''),
    evidence TEXT NOT NULL DEFAULT '{}',
    note TEXT NOT NULL CHECK (note <> ''),
    opened_by TEXT NOT NULL,
    opened_at TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    closed_at TEXT,
    finding TEXT NOT NULL DEFAULT ''
);
CREATE INDEX inquiries_round ON inquiries (round, agency);
