-- Migration 1: foundation. Never edit once shipped: add a new file.
CREATE TABLE agencies (
    code TEXT PRIMARY KEY CHECK (code <> ''),
    name_zh TEXT NOT NULL CHECK (name_zh <> ''),
    name_en TEXT NOT NULL,
    category TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1))
);
CREATE TABLE enterprises (
    uscc TEXT PRIMARY KEY CHECK (length(uscc) = 18),
    name TEXT NOT NULL CHECK (name <> ''),
    industry TEXT NOT NULL DEFAULT '',
    contact_person TEXT NOT NULL DEFAULT '',
    contact_phone TEXT NOT NULL DEFAULT '',
    active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    access_code_hash TEXT UNIQUE
);
CREATE TABLE staff (
    username TEXT PRIMARY KEY CHECK (username <> ''),
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'discipline', 'agency')),
    agency_code TEXT REFERENCES agencies(code),
    display_name TEXT NOT NULL DEFAULT '',
    active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    CHECK ((role = 'agency') = (agency_code IS NOT NULL))
);
CREATE TABLE sign_in_failures (
    key TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX sign_in_failures_key ON sign_in_failures (key, at);
CREATE TABLE settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE questionnaires (
    version INTEGER PRIMARY KEY,
    title_zh TEXT NOT NULL,
    title_en TEXT NOT NULL,
    definition TEXT NOT NULL
);
CREATE TABLE rounds (
    name TEXT PRIMARY KEY CHECK (name GLOB '[0-9][0-9][0-9][0-9]Q[1-4]'),
    status TEXT NOT NULL DEFAULT 'draft'
        CHECK (status IN ('draft', 'open', 'closed', 'finalised', 'published')),
    questionnaire_version INTEGER REFERENCES questionnaires(version),
    opens_on TEXT,
    closes_on TEXT,
    created_at TEXT NOT NULL,
    opened_at TEXT,
    closed_at TEXT
);
CREATE TABLE survey_choices (
    round TEXT NOT NULL REFERENCES rounds(name),
    enterprise TEXT NOT NULL REFERENCES enterprises(uscc),
    agency TEXT NOT NULL REFERENCES agencies(code),
    PRIMARY KEY (round, enterprise, agency)
);
CREATE TABLE responses (
    id INTEGER PRIMARY KEY,
    round TEXT NOT NULL REFERENCES rounds(name),
    enterprise TEXT NOT NULL REFERENCES enterprises(uscc),
    agency TEXT NOT NULL REFERENCES agencies(code),
    comment TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL DEFAULT 'online' CHECK (source IN ('online', 'paper')),
    revision INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (round, enterprise, agency)
);
CREATE INDEX responses_round_agency ON responses (round, agency);
CREATE TABLE response_ratings (
    response_id INTEGER NOT NULL REFERENCES responses(id) ON DELETE CASCADE,
    item TEXT NOT NULL,
    rating INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
    PRIMARY KEY (response_id, item)
);
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_at ON audit_log (at);
