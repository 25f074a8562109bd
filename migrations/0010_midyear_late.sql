-- Mid-year reports submitted after the deadline are accepted but recorded as late (issue 4 item 4):
-- the flag is fixed at submission, against the deadline in force that day.
ALTER TABLE midyear_reports ADD COLUMN late boolean NOT NULL DEFAULT false;

-- The staff's overdue list and the reminder generator look for open checklist items by due date.
CREATE INDEX checklist_items_due_idx ON checklist_items (due_date) WHERE status = 'open';
