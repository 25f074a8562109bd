-- Year-end evaluation: staff may reopen an unsubmitted evaluation after the deadline (补交) until a date
-- they choose, with a reason. The deadline applies to the first submission only; returned evaluations are
-- resubmitted without reopening.
ALTER TABLE evaluations
    ADD COLUMN reopened_until  date,
    ADD COLUMN reopened_reason text NOT NULL DEFAULT '',
    ADD COLUMN reopened_by     bigint REFERENCES users (id);
