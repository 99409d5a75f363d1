-- Migration 2: finalisation and cases. Never edit once shipped: add a new file.
ALTER TABLE rounds ADD COLUMN scoring_config TEXT;
ALTER TABLE rounds ADD COLUMN finalised_at TEXT;
ALTER TABLE rounds ADD COLUMN published_at TEXT;
CREATE TABLE exclusions (
    response_id INTEGER PRIMARY KEY REFERENCES responses(id),
    reason TEXT NOT NULL CHECK (reason <> ''),
    decided_by TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE TABLE finalisations (
    id INTEGER PRIMARY KEY,
    round TEXT NOT NULL REFERENCES rounds(name),
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    config TEXT NOT NULL,
    questionnaire_version INTEGER NOT NULL,
    responses_counted INTEGER NOT NULL,
    is_current INTEGER NOT NULL DEFAULT 1 CHECK (is_current IN (0, 1))
);
CREATE UNIQUE INDEX finalisations_one_current ON finalisations (round) WHERE is_current = 1;
CREATE TABLE results (
    finalisation_id INTEGER NOT NULL REFERENCES finalisations(id),
    round TEXT NOT NULL REFERENCES rounds(name),
    agency TEXT NOT NULL REFERENCES agencies(code),
    n INTEGER NOT NULL,
    mean REAL,
    score REAL,
    ci_low REAL,
    ci_high REAL,
    grade TEXT NOT NULL CHECK (grade IN ('good', 'fair', 'poor', 'insufficient')),
    uncertain INTEGER NOT NULL DEFAULT 0,
    action TEXT NOT NULL CHECK (action IN ('none', 'reminder', 'interview', 'referral')),
    flag TEXT CHECK (flag IN ('red', 'yellow', 'blue')),
    rank INTEGER,
    PRIMARY KEY (finalisation_id, agency)
);
CREATE VIEW current_results AS
    SELECT results.* FROM results JOIN finalisations f ON f.id = results.finalisation_id
    WHERE f.is_current = 1;
CREATE TABLE cases (
    id INTEGER PRIMARY KEY,
    round TEXT NOT NULL REFERENCES rounds(name),
    agency TEXT NOT NULL REFERENCES agencies(code),
    action TEXT NOT NULL CHECK (action IN ('reminder', 'interview', 'referral')),
    status TEXT NOT NULL,
    finalisation_id INTEGER NOT NULL REFERENCES finalisations(id),
    opened_at TEXT NOT NULL,
    due_on TEXT NOT NULL,
    closed_at TEXT
);
CREATE INDEX cases_agency ON cases (agency, round);
CREATE TABLE case_events (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    step TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    details TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX case_events_case ON case_events (case_id, id);
