-- Migration 10: the year's assessment (年考核, DESIGN §4.11).
-- work_scores: the work-assessment score (0–100) the administrator enters or imports per year and agency.
-- annual_finalisations / annual_results: a year is finalised like a round — the rules used are pinned
-- with the results, a re-finalisation keeps the earlier results in history (is_current = 0), and
-- publishing (annual_years.published_at) makes the year's results visible to agencies.
-- Portable SQL (SQLite and PostgreSQL). Never edit once shipped: add a new file.
CREATE TABLE IF NOT EXISTS work_scores (
    year INTEGER NOT NULL,
    agency TEXT NOT NULL REFERENCES agencies(code),
    work_score REAL NOT NULL CHECK (work_score >= 0 AND work_score <= 100),
    entered_at TEXT NOT NULL,
    entered_by TEXT NOT NULL,
    PRIMARY KEY (year, agency)
);
CREATE TABLE IF NOT EXISTS annual_years (
    year INTEGER PRIMARY KEY,
    config TEXT NOT NULL,
    finalised_at TEXT NOT NULL,
    published_at TEXT
);
CREATE TABLE IF NOT EXISTS annual_finalisations (
    id INTEGER PRIMARY KEY,
    year INTEGER NOT NULL REFERENCES annual_years(year),
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    config TEXT NOT NULL,
    rounds_used TEXT NOT NULL,
    quarters_missing TEXT NOT NULL DEFAULT '[]',
    is_current INTEGER NOT NULL DEFAULT 1 CHECK (is_current IN (0, 1))
);
CREATE UNIQUE INDEX IF NOT EXISTS annual_finalisations_one_current ON annual_finalisations (year) WHERE is_current = 1;
CREATE TABLE IF NOT EXISTS annual_results (
    finalisation_id INTEGER NOT NULL REFERENCES annual_finalisations(id),
    year INTEGER NOT NULL,
    agency TEXT NOT NULL REFERENCES agencies(code),
    quarters INTEGER NOT NULL,
    survey_score REAL,
    work_score REAL,
    score REAL,
    grade TEXT NOT NULL CHECK (grade IN ('good', 'fair', 'poor', 'insufficient')),
    rank INTEGER,
    vetoed INTEGER NOT NULL DEFAULT 0 CHECK (vetoed IN (0, 1)),
    veto_cases TEXT NOT NULL DEFAULT '[]',
    agency_group TEXT,
    group_rank INTEGER,
    PRIMARY KEY (finalisation_id, agency)
);
CREATE VIEW IF NOT EXISTS current_annual_results AS
    SELECT annual_results.* FROM annual_results
    JOIN annual_finalisations f ON f.id = annual_results.finalisation_id
    WHERE f.is_current = 1;
