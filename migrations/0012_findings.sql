-- Compliance findings (POLICY-RULES.md): the current finding of every rule for every platform,
-- refreshed when a platform's data changes and daily (dates move deadlines). History is in the
-- audit trail; the findings themselves are reproducible from `kechuang snapshot` + `kechuang check`.
CREATE TABLE findings (
    platform_id  bigint NOT NULL REFERENCES platforms (id),
    rule_id      text   NOT NULL,
    status       text   NOT NULL CHECK (status IN ('pass', 'fail', 'warn', 'info', 'not_applicable', 'insufficient_data')),
    clause       text   NOT NULL,
    message      text   NOT NULL,
    facts        jsonb  NOT NULL DEFAULT '{}',
    as_of        date   NOT NULL,
    evaluated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (platform_id, rule_id)
);
CREATE INDEX findings_rule_status_idx ON findings (rule_id, status);
CREATE TRIGGER findings_no_admin_writes BEFORE INSERT OR UPDATE OR DELETE ON findings
    FOR EACH ROW EXECUTE FUNCTION kc_forbid_admin_writes();
