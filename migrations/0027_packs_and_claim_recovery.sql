-- Issue 13, what was left: (1) the support packs a deployment enables, edited by city staff with history
-- (SUPPORT-RULES.md "Policy packs"); (2) a claim's 追回 linked to the 退/转/并 decision whose funds it recovers
-- (or to a serious integrity violation, JY 新型研发机构 四(四)). Never edit this file once it has landed.

-- (1) Pack settings: one row per change; the latest row per pack (highest id) is in force. The seed rows are
-- the deployment's defaults: NT10 and JS on, NJ off (a reference pack).
CREATE TABLE support_pack_settings (
    id         bigserial PRIMARY KEY,
    pack       text    NOT NULL CHECK (pack IN ('NT10', 'JS', 'NJ')),
    enabled    boolean NOT NULL,
    reason     text    NOT NULL CHECK (char_length(btrim(reason)) BETWEEN 1 AND 200),
    changed_by bigint  REFERENCES users (id),
    changed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX support_pack_settings_pack_idx ON support_pack_settings (pack, id DESC);

INSERT INTO support_pack_settings (pack, enabled, reason) VALUES
    ('NT10', true, '部署默认：本市现行政策（通政办发〔2025〕10号）'),
    ('JS', true, '部署默认：江苏省支持政策清单（征求意见稿）'),
    ('NJ', false, '部署默认：南京市措施为参考政策包，不启用');

-- Settings are kept as recorded, and at least one pack stays enabled (the handler checks it first, under a
-- lock, and says so in Chinese; this is the last line).
CREATE FUNCTION kc_guard_support_pack_settings() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        RAISE EXCEPTION 'pack settings are kept as recorded' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NOT NEW.enabled AND NOT EXISTS (
        SELECT 1 FROM (SELECT DISTINCT ON (pack) pack, enabled FROM support_pack_settings
                       ORDER BY pack, id DESC) latest
        WHERE latest.pack <> NEW.pack AND latest.enabled
    ) THEN
        RAISE EXCEPTION 'at least one support pack stays enabled' USING ERRCODE = 'check_violation',
            CONSTRAINT = 'support_packs_one_enabled';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER support_pack_settings_guard BEFORE INSERT OR UPDATE OR DELETE ON support_pack_settings
    FOR EACH ROW EXECUTE FUNCTION kc_guard_support_pack_settings();
CREATE TRIGGER support_pack_settings_no_admin_writes BEFORE INSERT OR UPDATE OR DELETE ON support_pack_settings
    FOR EACH ROW EXECUTE FUNCTION kc_forbid_admin_writes();

-- (2) The basis of a claim's 追回: a signed-off 退/转/并 decision with funds to recover, or a serious integrity
-- violation; neither for another basis (then the reason text says what it is).
ALTER TABLE support_claims
    ADD COLUMN recover_case_id      bigint REFERENCES rectification_cases (id),
    ADD COLUMN recover_integrity_id bigint REFERENCES integrity_records (id),
    ADD CONSTRAINT support_claims_one_recover_basis
        CHECK (recover_case_id IS NULL OR recover_integrity_id IS NULL),
    ADD CONSTRAINT support_claims_basis_when_recovering
        CHECK ((recover_case_id IS NULL AND recover_integrity_id IS NULL) OR recover_yuan IS NOT NULL);
CREATE INDEX support_claims_recover_case_idx ON support_claims (recover_case_id) WHERE recover_case_id IS NOT NULL;

-- One place holds each recovered yuan: money recovered directly under a decision is a `fund_recoveries` row;
-- money recovered on a claim stays on the claim (`recovered_yuan`). The decision's recovered total is the sum
-- of both. What a decision has committed also counts claims still being recovered (their `recover_yuan`), so
-- the two books together never exceed the decision's funds to recover.
CREATE FUNCTION kc_case_recovered(case_id bigint) RETURNS bigint LANGUAGE sql STABLE AS $$
    SELECT (SELECT coalesce(sum(amount), 0) FROM fund_recoveries r WHERE r.case_id = $1)
         + (SELECT coalesce(sum(recovered_yuan), 0) FROM support_claims c
             WHERE c.recover_case_id = $1 AND c.status = 'recovered')
$$;
CREATE FUNCTION kc_case_committed(case_id bigint) RETURNS bigint LANGUAGE sql STABLE AS $$
    SELECT kc_case_recovered($1)
         + (SELECT coalesce(sum(recover_yuan), 0) FROM support_claims c
             WHERE c.recover_case_id = $1 AND c.status = 'recovering')
$$;

-- Direct recoveries: capped by what remains after the claims' share.
CREATE OR REPLACE FUNCTION kc_guard_fund_recoveries() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    due bigint;
    case_platform bigint;
    case_status text;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        RAISE EXCEPTION 'recorded recoveries are kept as recorded' USING ERRCODE = 'insufficient_privilege';
    END IF;
    SELECT funds_to_recover, platform_id, status INTO due, case_platform, case_status
      FROM rectification_cases WHERE id = NEW.case_id FOR UPDATE;
    IF case_status IS DISTINCT FROM 'decided' OR case_platform <> NEW.platform_id OR coalesce(due, 0) = 0 THEN
        RAISE EXCEPTION 'nothing to recover on this case' USING ERRCODE = 'check_violation',
            CONSTRAINT = 'fund_recoveries_within_due';
    END IF;
    IF kc_case_committed(NEW.case_id) + NEW.amount > due THEN
        RAISE EXCEPTION 'recovered % would exceed % to recover', kc_case_committed(NEW.case_id) + NEW.amount, due
            USING ERRCODE = 'check_violation', CONSTRAINT = 'fund_recoveries_within_due';
    END IF;
    RETURN NEW;
END $$;

-- A claim's 追回 under a decision: the decision is this platform's, signed off, with funds to recover, and
-- the claim's amount fits in what remains; the basis never changes once set.
CREATE FUNCTION kc_guard_claim_recovery() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    due bigint;
    case_platform bigint;
    case_status text;
BEGIN
    IF (OLD.recover_case_id IS NOT NULL OR OLD.recover_integrity_id IS NOT NULL)
       AND (NEW.recover_case_id, NEW.recover_integrity_id) IS DISTINCT FROM (OLD.recover_case_id, OLD.recover_integrity_id) THEN
        RAISE EXCEPTION 'the basis of a recovery is kept' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NEW.recover_case_id IS NOT NULL AND OLD.recover_case_id IS NULL THEN
        SELECT funds_to_recover, platform_id, status INTO due, case_platform, case_status
          FROM rectification_cases WHERE id = NEW.recover_case_id FOR UPDATE;
        IF case_status IS DISTINCT FROM 'decided' OR case_platform <> NEW.platform_id OR coalesce(due, 0) = 0
           OR kc_case_committed(NEW.recover_case_id) + NEW.recover_yuan > due THEN
            RAISE EXCEPTION 'the claim''s recovery does not fit the decision''s funds to recover'
                USING ERRCODE = 'check_violation', CONSTRAINT = 'support_claims_recover_within_due';
        END IF;
    END IF;
    IF NEW.recover_integrity_id IS NOT NULL AND OLD.recover_integrity_id IS NULL
       AND NOT EXISTS (SELECT 1 FROM integrity_records i
                       WHERE i.id = NEW.recover_integrity_id AND i.platform_id = NEW.platform_id AND i.serious) THEN
        RAISE EXCEPTION 'not a serious violation of this platform' USING ERRCODE = 'check_violation',
            CONSTRAINT = 'support_claims_recover_within_due';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER support_claims_recovery_guard BEFORE UPDATE ON support_claims
    FOR EACH ROW EXECUTE FUNCTION kc_guard_claim_recovery();
