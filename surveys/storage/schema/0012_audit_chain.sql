-- Migration 12: the tamper-evident record (issue 15 item 5; docs/integrity.md has the recipe).
-- Never edit once shipped: add a new file.
-- Each audit entry carries sha256 over its own fields and the previous entry's hash; the
-- entries already there are chained by the Python step that completes this migration
-- (surveys/storage/migrations.py FOLLOW_UPS → surveys.core.integrity.seal_existing).
ALTER TABLE audit_log ADD COLUMN hash TEXT;
-- Each finalisation: the digest of the pinned rules it used, one digest over everything it
-- sealed, and whether it was sealed when it was made (recomputable from the stored responses)
-- or by this migration (digests only: what it counted then can no longer be known for sure).
ALTER TABLE finalisations ADD COLUMN rules_digest TEXT;
ALTER TABLE finalisations ADD COLUMN digest TEXT;
ALTER TABLE finalisations ADD COLUMN sealed TEXT CHECK (sealed IN ('at_finalisation', 'at_migration'));
-- The responses each finalisation counted, per agency; an agency graded without any response
-- has one row with no response. Exclusions and re-finalisations later never touch these rows,
-- so every finalisation in history can be recomputed exactly.
CREATE TABLE finalisation_inputs (
    finalisation_id INTEGER NOT NULL REFERENCES finalisations(id),
    agency TEXT NOT NULL REFERENCES agencies(code),
    response_id INTEGER REFERENCES responses(id)
);
CREATE UNIQUE INDEX finalisation_inputs_response ON finalisation_inputs (finalisation_id, response_id)
    WHERE response_id IS NOT NULL;
CREATE INDEX finalisation_inputs_agency ON finalisation_inputs (finalisation_id, agency);
-- Per finalisation and agency: the digest of the counted ratings and of the stored result.
CREATE TABLE finalisation_digests (
    finalisation_id INTEGER NOT NULL REFERENCES finalisations(id),
    agency TEXT NOT NULL REFERENCES agencies(code),
    inputs_digest TEXT NOT NULL,
    results_digest TEXT NOT NULL,
    PRIMARY KEY (finalisation_id, agency)
)
