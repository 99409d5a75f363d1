-- Migration 16 (issue 16 item 5): an index of the responses by agency, then round and rater. An agency's
-- page counts its own responses per round (privacy.py: its figures, its cases' results), and without
-- table statistics SQLite answered "round = ? AND agency = ?" from the (round, enterprise, agency)
-- key, reading all of a round's entries: 60 ms a case, and "agency = ?" alone read all 900,000
-- (130 ms) at province size. With this index both read the agency's own entries only (under 2 ms);
-- rater included, so that those counts read no table row. Portable SQL (SQLite and PostgreSQL).
-- Never edit once shipped: add a new file.
CREATE INDEX responses_agency_round ON responses (agency, round, enterprise);
