-- City–county co-building admission (市县共建, NT10 三(四)) and the funds to recover after a 退/转/并 decision
-- (issue 13, build item 5). Never edit this file once it has landed: add a new migration instead.
--
-- Co-building: per year, staff configure the share (比例, whole percent, and/or a maximum number of platforms)
-- with a reason; the configuration is kept as history (the latest row per year is in force). An eligible
-- county platform is proposed by one staff member and approved or rejected by a second one; approval sets
-- the platform's level to city_county in the same transaction.

CREATE TABLE cobuild_shares (
    id            bigserial PRIMARY KEY,
    year          int    NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    share_pct     int    CHECK (share_pct BETWEEN 1 AND 100),
    max_platforms int    CHECK (max_platforms BETWEEN 1 AND 10000),
    reason        text   NOT NULL CHECK (char_length(btrim(reason)) BETWEEN 1 AND 500),
    set_by        bigint NOT NULL REFERENCES users (id),
    set_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT cobuild_shares_some_limit CHECK (share_pct IS NOT NULL OR max_platforms IS NOT NULL)
);
CREATE INDEX cobuild_shares_year_idx ON cobuild_shares (year, id DESC);

CREATE TABLE cobuild_proposals (
    id              bigserial PRIMARY KEY,
    year            int    NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    platform_id     bigint NOT NULL REFERENCES platforms (id),
    -- The grades the proposal rested on (E(year−2), E(year−1)), as they were when proposed.
    previous_grade  text,
    last_grade      text,
    reason          text   NOT NULL CHECK (char_length(btrim(reason)) BETWEEN 1 AND 2000),
    proposed_by     bigint NOT NULL REFERENCES users (id),
    proposed_at     timestamptz NOT NULL DEFAULT now(),
    status          text   NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
    decided_by      bigint REFERENCES users (id),
    decided_at      timestamptz,
    decision_reason text   NOT NULL DEFAULT '',
    CONSTRAINT cobuild_two_people CHECK (decided_by IS NULL OR decided_by <> proposed_by),
    CONSTRAINT cobuild_decision
        CHECK ((status IN ('approved', 'rejected')) = (decided_by IS NOT NULL AND decided_at IS NOT NULL)),
    CONSTRAINT cobuild_decision_reason
        CHECK (status = 'pending' OR char_length(btrim(decision_reason)) BETWEEN 1 AND 2000)
);
-- One pending proposal per platform, and a platform is admitted once.
CREATE UNIQUE INDEX cobuild_one_pending ON cobuild_proposals (platform_id) WHERE status = 'pending';
CREATE UNIQUE INDEX cobuild_one_admission ON cobuild_proposals (platform_id) WHERE status = 'approved';
CREATE INDEX cobuild_proposals_year_idx ON cobuild_proposals (year, status);

-- A proposal is decided once, by the acting user, never the proposer; nothing else ever changes; none is deleted.
CREATE FUNCTION kc_guard_cobuild_proposals() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'co-building proposals are kept' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF TG_OP = 'INSERT' THEN
        IF NEW.status <> 'pending' OR NEW.decided_by IS NOT NULL THEN
            RAISE EXCEPTION 'a proposal starts pending' USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF kc_actor_id() IS NOT NULL AND kc_actor_id() <> NEW.proposed_by THEN
            RAISE EXCEPTION 'a proposal is filed by its proposer' USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
    END IF;
    IF OLD.status <> 'pending'
       OR (NEW.id, NEW.year, NEW.platform_id, NEW.previous_grade, NEW.last_grade, NEW.reason, NEW.proposed_by,
           NEW.proposed_at)
          IS DISTINCT FROM
          (OLD.id, OLD.year, OLD.platform_id, OLD.previous_grade, OLD.last_grade, OLD.reason, OLD.proposed_by,
           OLD.proposed_at) THEN
        RAISE EXCEPTION 'a proposal cannot be altered once filed or decided' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF kc_actor_id() IS NOT NULL AND kc_actor_id() IS DISTINCT FROM NEW.decided_by THEN
        RAISE EXCEPTION 'a proposal is decided by the acting user' USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER cobuild_proposals_guard BEFORE INSERT OR UPDATE OR DELETE ON cobuild_proposals
    FOR EACH ROW EXECUTE FUNCTION kc_guard_cobuild_proposals();

-- After 退/转/并: the funds to recover (whole yuan, may be 0) with their basis, and the end of the co-building
-- agreement (defaults to the decision date). Recorded with the proposal, in force once signed off.
ALTER TABLE rectification_cases
    ADD COLUMN funds_to_recover bigint CHECK (funds_to_recover BETWEEN 0 AND 1000000000000000),
    ADD COLUMN funds_basis      text NOT NULL DEFAULT '' CHECK (char_length(funds_basis) <= 2000),
    ADD COLUMN agreement_end    date,
    ADD CONSTRAINT rectification_funds_need_exit
        CHECK (funds_to_recover IS NULL OR decision IN ('exit', 'convert', 'merge'));

-- Recoveries (追回) recorded against a decided case: never more than the amount to recover.
CREATE TABLE fund_recoveries (
    id           bigserial PRIMARY KEY,
    case_id      bigint NOT NULL REFERENCES rectification_cases (id),
    platform_id  bigint NOT NULL REFERENCES platforms (id),
    recovered_on date   NOT NULL,
    amount       bigint NOT NULL CHECK (amount > 0),
    voucher      text   NOT NULL CHECK (char_length(btrim(voucher)) BETWEEN 1 AND 200),
    note         text   NOT NULL DEFAULT '' CHECK (char_length(note) <= 1000),
    recorded_by  bigint NOT NULL REFERENCES users (id),
    recorded_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX fund_recoveries_case_idx ON fund_recoveries (case_id, recovered_on);

CREATE FUNCTION kc_guard_fund_recoveries() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    due bigint;
    done bigint;
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
    SELECT coalesce(sum(amount), 0) INTO done FROM fund_recoveries WHERE case_id = NEW.case_id;
    IF done + NEW.amount > due THEN
        RAISE EXCEPTION 'recovered % would exceed % to recover', done + NEW.amount, due
            USING ERRCODE = 'check_violation', CONSTRAINT = 'fund_recoveries_within_due';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER fund_recoveries_guard BEFORE INSERT OR UPDATE OR DELETE ON fund_recoveries
    FOR EACH ROW EXECUTE FUNCTION kc_guard_fund_recoveries();

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['cobuild_shares', 'cobuild_proposals', 'fund_recoveries'] LOOP
        EXECUTE format('CREATE TRIGGER %I BEFORE INSERT OR UPDATE OR DELETE ON %I
                        FOR EACH ROW EXECUTE FUNCTION kc_forbid_admin_writes()', t || '_no_admin_writes', t);
    END LOOP;
END $$;
