-- Migration 4: China's working calendar as the administrator entered it, per year.
-- A year entered here replaces the library's (chinese-calendar) for that year; a
-- year in neither falls back to Monday–Friday. Never edit once shipped: add a new file.
CREATE TABLE calendar_years (
    year INTEGER PRIMARY KEY CHECK (year BETWEEN 2000 AND 2100),
    entered_by TEXT NOT NULL,
    entered_at TEXT NOT NULL
);
CREATE TABLE calendar_days (
    day TEXT PRIMARY KEY,
    year INTEGER NOT NULL REFERENCES calendar_years(year) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('holiday', 'workday')),
    CHECK (substr(day, 1, 4) = CAST(year AS TEXT))
);
CREATE INDEX calendar_days_year ON calendar_days (year);
