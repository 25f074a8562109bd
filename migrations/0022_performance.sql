-- Performance at the stack's ceiling (QUALITY.md): search by index, sorting by name by index, and a
-- findings refresh that writes only what changed.

-- The registry's search is `name ILIKE '%term%' OR code ILIKE '%term%'`: trigram indexes serve it
-- for codes and for Chinese (the cluster's C.UTF-8 ctype counts CJK characters as letters, so
-- "船舶海工" has trigrams). A term shorter than three characters has no trigram and is scanned —
-- over a few thousand platforms that is cheap. pg_trgm is a trusted extension: a database owner
-- may create it without being a superuser.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX platforms_name_trgm ON platforms USING gin (name gin_trgm_ops);
CREATE INDEX platforms_code_trgm ON platforms USING gin (code gin_trgm_ops);

-- Sorting by name is in pinyin order (the list's `sort=name`); comparing with ICU costs ~30 µs a
-- pair, so a sorted page reads this index in order instead of sorting every match.
CREATE INDEX platforms_name_zh ON platforms (name COLLATE "zh-Hans-x-icu", id);
-- The list's default order is by code then id: read in that order, a page skips index entries
-- instead of sorting every platform.
CREATE INDEX platforms_code_id ON platforms (code, id);

-- A fingerprint of what each finding says (written by the refresh, db::compliance): a refresh
-- compares fingerprints and writes only the findings that changed.
ALTER TABLE findings ADD COLUMN digest bytea;

-- When each platform's compliance was last checked. The findings themselves are rewritten only
-- when they change (their `as_of` is the day they last changed), so a refresh that finds nothing
-- new writes nothing but these dates, and those once a day.
CREATE TABLE compliance_checks (
    platform_id bigint PRIMARY KEY REFERENCES platforms (id),
    as_of       date   NOT NULL
);
INSERT INTO compliance_checks (platform_id, as_of)
SELECT platform_id, max(as_of) FROM findings GROUP BY platform_id;
CREATE TRIGGER compliance_checks_no_admin_writes BEFORE INSERT OR UPDATE OR DELETE ON compliance_checks
    FOR EACH ROW EXECUTE FUNCTION kc_forbid_admin_writes();
