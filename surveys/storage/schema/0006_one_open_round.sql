-- Migration 6: at most one round is open at a time (DESIGN §5), kept by the database itself,
-- not only by a check before the write, so two administrators opening rounds at the same
-- moment cannot both succeed. A partial unique index (IF NOT EXISTS: safe to apply again);
-- SQLite and PostgreSQL both accept it.
-- Never edit once shipped: add a new file.
CREATE UNIQUE INDEX IF NOT EXISTS one_open_round ON rounds (status) WHERE status = 'open';
