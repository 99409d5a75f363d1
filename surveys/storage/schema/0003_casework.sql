-- Migration 3: casework — appeals, reveals, enterprise problem tickets. Never edit once shipped: add a new file.
CREATE TABLE appeals (
    id INTEGER PRIMARY KEY,
    response_id INTEGER NOT NULL UNIQUE REFERENCES responses(id),
    round TEXT NOT NULL REFERENCES rounds(name),
    agency TEXT NOT NULL REFERENCES agencies(code),
    reason TEXT NOT NULL CHECK (reason <> ''),
    lodged_by TEXT NOT NULL,
    lodged_at TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'upheld', 'rejected')),
    decided_by TEXT,
    decided_at TEXT,
    decision_reason TEXT,
    -- the round's current finalisation when an appeal was upheld: until a newer
    -- one exists, the stored grade still counts the excluded response
    upheld_on_finalisation INTEGER REFERENCES finalisations(id),
    CHECK ((status = 'pending') = (decided_at IS NULL))
);
CREATE INDEX appeals_round_agency ON appeals (round, agency);
CREATE TABLE problems (
    id INTEGER PRIMARY KEY,
    round TEXT NOT NULL REFERENCES rounds(name),
    agency TEXT NOT NULL REFERENCES agencies(code),
    enterprise TEXT NOT NULL REFERENCES enterprises(uscc),
    text TEXT NOT NULL CHECK (text <> ''),
    may_contact INTEGER NOT NULL DEFAULT 0 CHECK (may_contact IN (0, 1)),
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'answered', 'solved')),
    times_not_solved INTEGER NOT NULL DEFAULT 0,
    raised_at TEXT NOT NULL,
    due_on TEXT NOT NULL,
    closed_at TEXT
);
CREATE INDEX problems_agency ON problems (agency, status);
CREATE INDEX problems_enterprise ON problems (enterprise);
CREATE TABLE problem_events (
    id INTEGER PRIMARY KEY,
    problem_id INTEGER NOT NULL REFERENCES problems(id),
    at TEXT NOT NULL,
    actor_role TEXT NOT NULL,
    actor TEXT NOT NULL,
    step TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    late INTEGER NOT NULL DEFAULT 0 CHECK (late IN (0, 1))
);
CREATE INDEX problem_events_problem ON problem_events (problem_id, id);
CREATE TABLE reveals (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    reason TEXT NOT NULL CHECK (reason <> ''),
    response_id INTEGER REFERENCES responses(id),
    problem_id INTEGER REFERENCES problems(id),
    enterprise TEXT NOT NULL REFERENCES enterprises(uscc),
    CHECK ((response_id IS NULL) <> (problem_id IS NULL))
);
-- the key that shuffles a round's responses into opaque numbers for agencies;
-- random per database, so the numbers map to nothing outside it
INSERT OR IGNORE INTO settings (name, value) VALUES ('response_number_key', lower(hex(randomblob(16))))
