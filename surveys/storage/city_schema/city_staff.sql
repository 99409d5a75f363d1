-- A city office's own small database (issue 16 item 2): its accounts. It holds no county's data;
-- the published results it reads stay in each county's file (surveys/results/city.py).
CREATE TABLE IF NOT EXISTS city_staff (
    username TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    display_name TEXT NOT NULL DEFAULT '',
    active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1))
);
