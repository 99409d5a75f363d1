-- Placeholder so that the year's migration (0010) loads on its own branch: migration numbers run 1..n
-- without gaps. Another issue-14 branch owns number 0008; DELETE THIS FILE when that branch is merged.
SELECT 1;
