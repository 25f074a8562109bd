-- Support claims (SUPPORT-RULES.md, "In the application"; issue 13 part 1): 申报 (operator or staff, with a
-- document) → 审核 (staff; granted ≤ the computed amount or ceiling) → 拨付 (date, amount, voucher) → 追回
-- (amount to recover, then recovered). Every step goes through the write path (audited); `version`
-- guards against two people moving the same claim at once.

CREATE TABLE support_claims (
    id             bigserial PRIMARY KEY,
    platform_id    bigint NOT NULL REFERENCES platforms (id),
    -- The programme claimed (PROGRAMME-ID, e.g. JS-TECH-TRANSFER) and what it computed on the day.
    programme      text   NOT NULL CHECK (programme ~ '^[A-Z0-9]+(-[A-Z0-9]+)+$'),
    as_of          date   NOT NULL,
    computed_yuan  bigint NOT NULL CHECK (computed_yuan >= 0),
    up_to          boolean NOT NULL,
    document_id    bigint NOT NULL REFERENCES documents (id),
    note           text   NOT NULL DEFAULT '' CHECK (length(note) <= 500),
    status         text   NOT NULL DEFAULT 'submitted'
                   CHECK (status IN ('submitted', 'approved', 'rejected', 'paid', 'recovering', 'recovered')),
    submitted_by   bigint REFERENCES users (id),
    submitted_at   timestamptz NOT NULL DEFAULT now(),
    -- 审核
    granted_yuan   bigint CHECK (granted_yuan > 0 AND granted_yuan <= computed_yuan),
    review_note    text   NOT NULL DEFAULT '' CHECK (length(review_note) <= 500),
    reviewed_by    bigint REFERENCES users (id),
    reviewed_at    timestamptz,
    -- 拨付
    paid_on        date,
    paid_yuan      bigint CHECK (paid_yuan > 0 AND paid_yuan <= granted_yuan),
    voucher_no     text   CHECK (length(voucher_no) <= 500),
    -- 追回
    recover_yuan   bigint CHECK (recover_yuan > 0 AND recover_yuan <= paid_yuan),
    recover_reason text   CHECK (length(recover_reason) <= 500),
    recovered_on   date,
    recovered_yuan bigint CHECK (recovered_yuan > 0 AND recovered_yuan <= recover_yuan),
    version        int    NOT NULL DEFAULT 1,
    CONSTRAINT support_claims_steps CHECK (
        (status IN ('submitted', 'rejected') OR granted_yuan IS NOT NULL)
        AND (status IN ('submitted', 'approved', 'rejected') OR (paid_on IS NOT NULL AND paid_yuan IS NOT NULL))
        AND (status NOT IN ('recovering', 'recovered') OR recover_yuan IS NOT NULL)
        AND (status <> 'recovered' OR (recovered_on IS NOT NULL AND recovered_yuan IS NOT NULL))
    )
);
CREATE INDEX support_claims_platform_idx ON support_claims (platform_id, submitted_at DESC);
