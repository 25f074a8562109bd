-- POLICY-RULES.md v2: a year's evaluation_date is the FIRST submission of the self-evaluation; a
-- resubmission after a county or city return must not move it (`submitted_at` keeps the latest
-- submission, which the review queues show).
ALTER TABLE evaluations ADD COLUMN first_submitted_at timestamptz;
UPDATE evaluations SET first_submitted_at = submitted_at WHERE submitted_at IS NOT NULL;
