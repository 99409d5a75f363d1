-- Migration 16 (issue 16 item 5): what a province's pages read, made cheap.
--
-- An index of the responses by agency, then round and rater. An agency's page counts its own
-- responses per round (privacy.py: its figures, its cases' results), and without table statistics
-- SQLite answered "round = ? AND agency = ?" from the (round, enterprise, agency) key, reading all of
-- a round's entries: 60 ms a case, and "agency = ?" alone read all 900,000 (130 ms) at province
-- size. With this index both read the agency's own entries only (under 2 ms); rater included, so
-- that those counts read no table row.
--
-- Each response's score, stored by the transaction that saves it (surveys/results/stored_scores.py):
-- the first view of a round in progress in a process reads 300,000 scores instead of pivoting and
-- scoring 1,500,000 ratings. Valid while ``revision`` is the response's and ``rules`` the fingerprint
-- of the round's questionnaire and rules; gone with a withdrawn response. The responses of rounds in
-- progress get theirs from the Python step (migrations.FOLLOW_UPS).
-- Portable SQL (SQLite and PostgreSQL). Never edit once shipped: add a new file.
CREATE INDEX responses_agency_round ON responses (agency, round, enterprise);

CREATE TABLE response_scores (
    response_id INTEGER PRIMARY KEY REFERENCES responses(id) ON DELETE CASCADE,
    revision INTEGER NOT NULL,
    rules TEXT NOT NULL,
    score REAL
);
