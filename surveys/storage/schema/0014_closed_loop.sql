-- Migration 14: the closed loop of issue 15 (好差评: 评价→核实→整改→反馈→复核).
-- Problem tickets get a contact step and a size (simple / complex, which sets the deadline), the
-- enterprise's rating of each answer, and the reminder and escalation of an overdue step; cases
-- get the same reminder and escalation marks. Portable SQL (SQLite and PostgreSQL).
-- Never edit once shipped: add a new file.
ALTER TABLE problems ADD COLUMN contact_due_on TEXT;
ALTER TABLE problems ADD COLUMN contacted_at TEXT;
ALTER TABLE problems ADD COLUMN complexity TEXT CHECK (complexity IN ('simple', 'complex'));
ALTER TABLE problems ADD COLUMN answered_at TEXT;
ALTER TABLE problems ADD COLUMN reminded_on TEXT;
ALTER TABLE problems ADD COLUMN escalated_on TEXT;
-- tickets raised before this migration had no contact step: count them as contacted when raised,
-- so that none is escalated for a step that did not exist
UPDATE problems SET contact_due_on = due_on, contacted_at = raised_at;
UPDATE problems SET answered_at = (SELECT max(e.at) FROM problem_events e
                                   WHERE e.problem_id = problems.id AND e.step = 'answered');
-- every rating of an answer: the enterprise's (满意 / 基本满意 / 不满意, with a comment) or the
-- system's 默认满意 when the enterprise did not rate within the set working days; with the answer
-- it judged (which, when it came and whether it was late) so the rates never reconstruct it
CREATE TABLE problem_ratings (
    id INTEGER PRIMARY KEY,
    problem_id INTEGER NOT NULL REFERENCES problems(id),
    round TEXT NOT NULL REFERENCES rounds(name),
    agency TEXT NOT NULL REFERENCES agencies(code),
    rated_at TEXT NOT NULL,
    rating TEXT NOT NULL CHECK (rating IN ('satisfied', 'basically_satisfied', 'dissatisfied',
                                           'default_satisfied')),
    comment TEXT NOT NULL DEFAULT '',
    -- the answer judged: one rating per answer, whoever (enterprise or system) comes first
    answer_event_id INTEGER NOT NULL UNIQUE REFERENCES problem_events(id),
    answered_at TEXT NOT NULL,
    answer_late INTEGER NOT NULL CHECK (answer_late IN (0, 1))
);
CREATE INDEX problem_ratings_agency ON problem_ratings (agency, rated_at);
ALTER TABLE cases ADD COLUMN reminded_on TEXT;
ALTER TABLE cases ADD COLUMN escalated_on TEXT;
