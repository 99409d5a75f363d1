-- Migration 8 belongs to another branch (issue 14/15). This empty file only keeps the numbers
-- without a gap so that migration 12 runs on the chain branch alone: when the branch that owns
-- 8 is merged, delete this file and keep theirs. Never ship both.
SELECT 1
