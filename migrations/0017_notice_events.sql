-- Notices on events and reminders that do not go stale (issue 10, item 5). Never edit this file
-- once it has landed: add a new migration instead.
--
-- A deadline reminder now carries its deadline (`due_on`); the list says how far away it is (or
-- how long overdue, or that the step is done) as of the day it is read, so its stored text no
-- longer says "今天截止" or "还剩 N 天". Event notices (returned, approved, assigned, published…)
-- have no deadline: `due_on` is NULL and `kind` starts with 'event.'.

ALTER TABLE notices ADD COLUMN due_on date;

UPDATE notices
   SET due_on = substring(text FROM '截止日期为 (\d{4}-\d{2}-\d{2})')::date
 WHERE kind LIKE 'deadline.%' AND text ~ '截止日期为 \d{4}-\d{2}-\d{2}';

UPDATE notices
   SET text = regexp_replace(text, '（(今天截止|还剩 \d+ 天)）', '')
 WHERE kind LIKE 'deadline.%';
