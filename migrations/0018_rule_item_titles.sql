-- Checklist items opened by a compliance rule were titled "【RULE-ID】requirement"; the app names rules
-- by their Chinese name now (and renders a rule's item from the rule), so drop the ID prefix from the
-- stored titles too (exports and notices read the stored title).
UPDATE checklist_items
SET title = regexp_replace(title, '^【[A-Z0-9-]+】', '')
WHERE source LIKE 'rule:%' AND title ~ '^【[A-Z0-9-]+】';
