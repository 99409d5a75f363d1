-- Migration 15 (issue 16 item 2): the counts behind the response-based standard rates (参评率, 好评率,
-- 差评率; scoring/rates.py COUNTS), stored with each finalisation for each agency and for the county,
-- so that a city office ranks counties by their rates without reading a single response.
-- Computed from what the finalisation counted (finalisation_inputs) by surveys/results/rate_counts.py;
-- finalisations already made are filled by its follow-up (migrations.FOLLOW_UPS). The county's row is
-- its own (an enterprise invited by several agencies counts once), not the sum of the agencies' rows.
-- Portable SQL (SQLite and PostgreSQL). Never edit once shipped: add a new file.
CREATE TABLE finalisation_rate_counts (
    finalisation_id INTEGER NOT NULL REFERENCES finalisations(id),
    scope TEXT NOT NULL CHECK (scope IN ('agency', 'county')),
    unit TEXT NOT NULL,
    invited INTEGER NOT NULL CHECK (invited >= 0),
    responded INTEGER NOT NULL CHECK (responded >= 0),
    responses INTEGER NOT NULL CHECK (responses >= 0),
    good_responses INTEGER NOT NULL CHECK (good_responses >= 0),
    bad_responses INTEGER NOT NULL CHECK (bad_responses >= 0),
    PRIMARY KEY (finalisation_id, scope, unit)
);
