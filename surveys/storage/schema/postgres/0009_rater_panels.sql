-- PostgreSQL's form of 0009_rater_panels.sql: the same table, changed in place (SQLite has to rebuild
-- a table to change a CHECK; PostgreSQL would drop the foreign keys that point at a dropped table).
ALTER TABLE enterprises ADD COLUMN panel TEXT NOT NULL DEFAULT 'enterprise'
    CHECK (panel IN ('enterprise', 'representative', 'supervisor'));
ALTER TABLE enterprises DROP CONSTRAINT enterprises_uscc_check;
ALTER TABLE enterprises ADD CONSTRAINT enterprises_uscc_panel_check
    CHECK (CASE WHEN panel = 'enterprise' THEN length(uscc) = 18 ELSE length(uscc) BETWEEN 2 AND 16 END);
CREATE INDEX IF NOT EXISTS enterprises_panel ON enterprises (panel, active);
CREATE TABLE IF NOT EXISTS round_panel_weights (
    round TEXT NOT NULL REFERENCES rounds(name),
    panel TEXT NOT NULL CHECK (panel IN ('enterprise', 'representative', 'supervisor')),
    weight REAL NOT NULL CHECK (weight > 0),
    PRIMARY KEY (round, panel)
)
