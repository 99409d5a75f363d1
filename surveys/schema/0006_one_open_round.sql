-- Migration 6: at most one round is open at a time (DESIGN §5), kept by the database itself,
-- not only by a check before the write, so two administrators opening rounds at the same
-- moment cannot both succeed. A partial unique index: SQLite and PostgreSQL both accept it.
-- Never edit once shipped: add a new file.
CREATE UNIQUE INDEX one_open_round ON rounds (status) WHERE status = 'open';
