-- Migration 8: agency groups (DESIGN §4.9). Every agency belongs to one group; a round's rules say
-- whether ranking and flags are county-wide or within each group; each stored result keeps the
-- group its agency was in when the round was finalised, so history does not move when an agency
-- changes group later. Portable SQL (SQLite and PostgreSQL). Never edit once shipped: add a new file.
CREATE TABLE IF NOT EXISTS agency_groups (
    code TEXT PRIMARY KEY CHECK (code <> ''),
    name_zh TEXT NOT NULL CHECK (name_zh <> ''),
    name_en TEXT NOT NULL DEFAULT '',
    position INTEGER NOT NULL
);
INSERT INTO agency_groups (code, name_zh, name_en, position) VALUES
    ('approval', '审批类', 'Approval', 1),
    ('enforcement', '执法类', 'Enforcement', 2),
    ('service', '服务类', 'Service', 3),
    ('utility', '公用事业', 'Utility', 4)
ON CONFLICT (code) DO NOTHING;
-- NOT NULL with a default, so every agency has a group even when written by code that predates
-- groups; SQLite cannot add a column with both a REFERENCES clause and a non-NULL default, so the
-- services check the code against agency_groups and refuse to delete a group in use.
ALTER TABLE agencies ADD COLUMN group_code TEXT NOT NULL DEFAULT 'approval';
-- The roster's old free "category" held these same words (approval, service, utility): it becomes
-- the group where it names one; anything else starts in the approval group. The category column
-- stays for old readers; new agencies copy their group into it.
UPDATE agencies SET group_code = category WHERE category IN (SELECT code FROM agency_groups);
ALTER TABLE rounds ADD COLUMN ranking_scope TEXT NOT NULL DEFAULT 'county'
    CHECK (ranking_scope IN ('county', 'group'));
ALTER TABLE results ADD COLUMN agency_group TEXT;
UPDATE results SET agency_group = (SELECT a.group_code FROM agencies a WHERE a.code = results.agency);
CREATE INDEX IF NOT EXISTS agencies_group ON agencies (group_code);
