-- Migration 9: rater panels (DESIGN §4.10). Never edit once shipped: add a new file.
-- Safe to apply again (as migrations 6 and 7 are): nothing here fails or loses data on a
-- database that has it already.
--
-- Every rater belongs to a panel: 'enterprise' (the default, every rater so far),
-- 'representative' (deputies and CPPCC members) or 'supervisor' (conduct supervisors). Raters of
-- every panel stay in the one table `enterprises`, so responses, choices, problems, reminders and
-- reveals keep pointing at it unchanged, and a panel rater signs in with an access code exactly
-- like an enterprise. Its key column `uscc` holds the credit code for an enterprise and the
-- county's rater code (R0001, S0001 …, 2–16 characters, so never mistaken for an 18-character
-- credit code) for the other panels.
-- SQLite cannot change a CHECK in place, so the table is rebuilt: copied aside, dropped and
-- created again. The children's foreign keys are deferred for the rebuild: dropping the table
-- counts their rows as orphans, and putting every row back clears that count before COMMIT
-- (a row lost would refuse the commit). The copy carries a `panel` column either way: the
-- table's own when it has one (applied again; the added one is then named "panel:1"), else
-- 'enterprise' for every rater.
PRAGMA defer_foreign_keys = ON;
CREATE TEMP TABLE enterprises_before_panels AS SELECT *, 'enterprise' AS panel FROM enterprises;
DROP TABLE enterprises;
CREATE TABLE enterprises (
    uscc TEXT PRIMARY KEY,
    name TEXT NOT NULL CHECK (name <> ''),
    industry TEXT NOT NULL DEFAULT '',
    contact_person TEXT NOT NULL DEFAULT '',
    contact_phone TEXT NOT NULL DEFAULT '',
    active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    access_code_hash TEXT UNIQUE,
    panel TEXT NOT NULL DEFAULT 'enterprise' CHECK (panel IN ('enterprise', 'representative', 'supervisor')),
    CHECK (CASE WHEN panel = 'enterprise' THEN length(uscc) = 18 ELSE length(uscc) BETWEEN 2 AND 16 END)
);
INSERT INTO enterprises (uscc, name, industry, contact_person, contact_phone, active, access_code_hash, panel)
    SELECT uscc, name, industry, contact_person, contact_phone, active, access_code_hash, panel
    FROM enterprises_before_panels;
DROP TABLE enterprises_before_panels;
CREATE INDEX IF NOT EXISTS enterprises_panel ON enterprises (panel, active);
-- A round's panel weights, set by the administrator while the round is a draft or open: one row
-- per weighted panel (a panel without a row counts nowhere; a round without rows counts
-- enterprises alone, the county's rule). Finalisation pins them with the rest of the round's
-- rules in rounds.scoring_config.
CREATE TABLE IF NOT EXISTS round_panel_weights (
    round TEXT NOT NULL REFERENCES rounds(name),
    panel TEXT NOT NULL CHECK (panel IN ('enterprise', 'representative', 'supervisor')),
    weight REAL NOT NULL CHECK (weight > 0),
    PRIMARY KEY (round, panel)
)
