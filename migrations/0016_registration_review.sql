-- Setup registration review (设立登记 退回补正, issue 10): the dossier is submitted for approval,
-- staff approve it or return it with reasons per section, the filer corrects it and resubmits;
-- every step is kept as the registration's history. And the platform's own unified social credit
-- code (统一社会信用代码), so that a second registration of the same legal entity is noticed.
-- Never edit this file once it has landed: add a new migration instead.

-- Where the dossier is in its review: draft → submitted → (returned → submitted)* → approved.
ALTER TABLE registrations
    ADD COLUMN status text NOT NULL DEFAULT 'draft'
        CHECK (status IN ('draft', 'submitted', 'returned', 'approved'));
UPDATE registrations r SET status = 'approved'
FROM platforms p
WHERE p.id = r.platform_id AND (r.approved_at IS NOT NULL OR p.stage <> 'registration');

-- The history: one row per submission, return, resubmission and approval, with who and when.
-- A return carries its reasons per section of the dossier (`section code → reason`).
CREATE TABLE registration_reviews (
    id            bigserial PRIMARY KEY,
    platform_id   bigint NOT NULL REFERENCES platforms (id),
    action        text   NOT NULL CHECK (action IN ('submitted', 'returned', 'resubmitted', 'approved')),
    actor_id      bigint REFERENCES users (id),
    at            timestamptz NOT NULL DEFAULT now(),
    comment       text   NOT NULL DEFAULT '' CHECK (length(comment) <= 2000),
    item_comments jsonb  NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(item_comments) = 'object'),
    CONSTRAINT registration_reviews_return_has_reasons
        CHECK (action <> 'returned' OR item_comments <> '{}'::jsonb)
);
CREATE INDEX registration_reviews_platform_idx ON registration_reviews (platform_id, at, id);
CREATE TRIGGER registration_reviews_no_admin_writes BEFORE INSERT OR UPDATE OR DELETE ON registration_reviews
    FOR EACH ROW EXECUTE FUNCTION kc_forbid_admin_writes();
CREATE INDEX registrations_status_idx ON registrations (status) WHERE status = 'submitted';

-- The platform's own code (a 非独立法人 has none). Not unique: a second platform of the same
-- legal entity is possible, but the registration form warns and asks for a confirmation.
ALTER TABLE platforms
    ADD COLUMN uscc text CHECK (uscc IS NULL OR uscc ~ '^[0-9A-HJ-NPQRTUWXY]{18}$');
CREATE INDEX platforms_uscc_idx ON platforms (uscc) WHERE uscc IS NOT NULL;
