-- Year-start filings (年初备案): an approved version stays in force while a change (变更备案) is drafted,
-- submitted and reviewed, and is superseded only when the change is approved; a returned version stays
-- as it was returned (with its comments) and the fix is a new version. So instead of "one live version"
-- there is at most one version in progress (draft or submitted) and at most one approved version.
DROP INDEX filings_one_live;
CREATE UNIQUE INDEX filings_one_open ON filings (platform_id, year) WHERE status IN ('draft', 'submitted');
CREATE UNIQUE INDEX filings_one_approved ON filings (platform_id, year) WHERE status = 'approved';
