-- The platform lifecycle (NT10 三(一)): setup registration, documents, operation, rectification
-- and the 退/转/并/留 decision, integrity records, and the timeline of every stage change and key event.

-- Documents, versioned: a new upload never destroys an old one. Content lives in PostgreSQL so a
-- database backup is a complete backup.
CREATE TABLE documents (
    id          bigserial PRIMARY KEY,
    platform_id bigint NOT NULL REFERENCES platforms (id),
    kind        text   NOT NULL CHECK (kind IN ('charter', 'co_building_agreement', 'construction_plan',
                                                'decision_body', 'company', 'acceptance_report',
                                                'rectification', 'decision', 'integrity', 'other')),
    title       text   NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    created_by  bigint REFERENCES users (id),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX documents_platform_idx ON documents (platform_id, kind);

CREATE TABLE document_versions (
    id           bigserial PRIMARY KEY,
    document_id  bigint NOT NULL REFERENCES documents (id),
    version      int    NOT NULL CHECK (version >= 1),
    file_name    text   NOT NULL,                -- shown and offered on download; never used as a path
    content_type text   NOT NULL,                -- detected from the content, not from the client
    size_bytes   int    NOT NULL CHECK (size_bytes > 0),
    sha256       text   NOT NULL,
    content      bytea  NOT NULL,
    note         text   NOT NULL DEFAULT '',
    uploaded_by  bigint REFERENCES users (id),
    uploaded_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT document_versions_number_key UNIQUE (document_id, version)
);

-- Registration dossier (设立登记), one row per platform. Its documents (charter, agreement, plan)
-- are the platform's documents of those kinds.
CREATE TABLE registrations (
    platform_id             bigint PRIMARY KEY REFERENCES platforms (id),
    charter_status          text NOT NULL DEFAULT 'none' CHECK (charter_status IN ('none', 'draft', 'approved')),
    plan_targets            text NOT NULL DEFAULT '',
    operating_modes         text[] NOT NULL DEFAULT '{}'
        CHECK (operating_modes <@ ARRAY['operating_company', 'industrialization_company',
                                        'proof_of_concept_center', 'joint_innovation_center']::text[]),
    approved_at             timestamptz,
    approved_by             bigint REFERENCES users (id),
    version                 int NOT NULL DEFAULT 1
);

-- Decision bodies (理事会/董事会/管委会) and their members.
CREATE TABLE decision_bodies (
    id          bigserial PRIMARY KEY,
    platform_id bigint NOT NULL REFERENCES platforms (id),
    kind        text NOT NULL CHECK (kind IN ('council', 'board', 'management_committee')),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX decision_bodies_platform_idx ON decision_bodies (platform_id);

CREATE TABLE decision_body_members (
    id          bigserial PRIMARY KEY,
    body_id     bigint NOT NULL REFERENCES decision_bodies (id) ON DELETE CASCADE,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 50),
    position    text NOT NULL DEFAULT '',       -- e.g. 理事长, 副理事长, 理事
    affiliation text NOT NULL DEFAULT '',
    is_chair    boolean NOT NULL DEFAULT false
);
-- At most one chair per body.
CREATE UNIQUE INDEX decision_body_one_chair ON decision_body_members (body_id) WHERE is_chair;

-- The operating / industrialization company (平台+运营管理公司 / +产业化公司).
CREATE TABLE platform_companies (
    id                    bigserial PRIMARY KEY,
    platform_id           bigint NOT NULL REFERENCES platforms (id),
    mode                  text NOT NULL CHECK (mode IN ('operating_company', 'industrialization_company')),
    name                  text NOT NULL CHECK (length(name) BETWEEN 2 AND 100),
    uscc                  text NOT NULL CHECK (uscc ~ '^[0-9A-HJ-NPQRTUWXY]{18}$'),
    mgmt_cash_controlling boolean NOT NULL DEFAULT false,  -- management and core staff control it by cash contribution
    created_at            timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT platform_companies_mode_key UNIQUE (platform_id, mode)
);

CREATE TABLE company_shareholders (
    id          bigserial PRIMARY KEY,
    company_id  bigint NOT NULL REFERENCES platform_companies (id) ON DELETE CASCADE,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    share_pct   numeric(5, 2) NOT NULL CHECK (share_pct > 0 AND share_pct <= 100),
    contribution text NOT NULL DEFAULT 'cash' CHECK (contribution IN ('cash', 'ip', 'equipment', 'other')),
    is_management boolean NOT NULL DEFAULT false  -- held by the platform's management / core staff
);

-- Operation (运行管理): the advisor's service visits and the construction-period acceptance.
CREATE TABLE advisor_visits (
    id          bigserial PRIMARY KEY,
    platform_id bigint NOT NULL REFERENCES platforms (id),
    advisor_id  bigint NOT NULL REFERENCES users (id),
    visit_date  date   NOT NULL,
    form        text   NOT NULL CHECK (form IN ('on_site', 'remote', 'meeting', 'phone')),
    topics      text   NOT NULL CHECK (length(topics) BETWEEN 1 AND 500),
    advice      text   NOT NULL CHECK (length(advice) BETWEEN 1 AND 2000),
    follow_up   text   NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX advisor_visits_platform_idx ON advisor_visits (platform_id, visit_date DESC);

CREATE TABLE construction_acceptances (
    platform_id  bigint PRIMARY KEY REFERENCES platforms (id),
    result       text NOT NULL CHECK (result IN ('passed', 'conditional', 'failed')),
    accepted_on  date NOT NULL,
    remarks      text NOT NULL DEFAULT '',
    document_id  bigint REFERENCES documents (id),
    recorded_by  bigint REFERENCES users (id),
    recorded_at  timestamptz NOT NULL DEFAULT now()
);

-- Exit / rectification (退出整改).
CREATE TABLE rectification_cases (
    id               bigserial PRIMARY KEY,
    platform_id      bigint NOT NULL REFERENCES platforms (id),
    status           text NOT NULL DEFAULT 'open' CHECK (status IN ('draft', 'open', 'decided', 'withdrawn')),
    triggers         text[] NOT NULL CHECK (cardinality(triggers) >= 1 AND triggers <@ ARRAY[
                         'progress_below_expectation', 'transfer_not_working', 'functions_weakened',
                         'fail_grade', 'integrity_violation', 'other']::text[]),
    trigger_note     text NOT NULL DEFAULT '',
    plan_summary     text NOT NULL DEFAULT '',
    deadline         date,
    assessment       text NOT NULL DEFAULT '',       -- 经充分评估
    assessed_by      bigint REFERENCES users (id),
    assessed_at      timestamptz,
    decision         text CHECK (decision IN ('exit', 'convert', 'merge', 'retain')),
    decision_reason  text NOT NULL DEFAULT '',
    convert_to       text CHECK (convert_to IN ('strategic_task', 'industrial_transformation', 'technical_service', 'other')),
    merge_into_id    bigint REFERENCES platforms (id),
    proposed_by      bigint REFERENCES users (id),
    proposed_at      timestamptz,
    signed_off_by    bigint REFERENCES users (id),
    signed_off_at    timestamptz,
    source           text NOT NULL DEFAULT 'manual',  -- 'manual' or e.g. 'evaluation:2025'
    opened_by        bigint REFERENCES users (id),
    opened_at        timestamptz NOT NULL DEFAULT now(),
    version          int NOT NULL DEFAULT 1,
    CONSTRAINT rectification_two_people CHECK (signed_off_by IS NULL OR signed_off_by <> proposed_by)
);
-- At most one open (or draft) case per platform.
CREATE UNIQUE INDEX rectification_one_open ON rectification_cases (platform_id) WHERE status IN ('draft', 'open');

CREATE TABLE rectification_measures (
    id          bigserial PRIMARY KEY,
    case_id     bigint NOT NULL REFERENCES rectification_cases (id),
    description text NOT NULL CHECK (length(description) BETWEEN 1 AND 500),
    owner       text NOT NULL CHECK (length(owner) BETWEEN 1 AND 50),
    due_date    date NOT NULL,
    done        boolean NOT NULL DEFAULT false
);

CREATE TABLE rectification_notes (
    id         bigserial PRIMARY KEY,
    case_id    bigint NOT NULL REFERENCES rectification_cases (id),
    author_id  bigint REFERENCES users (id),
    note       text NOT NULL CHECK (length(note) BETWEEN 1 AND 2000),
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Research integrity (科研诚信, JY 四(四)): a serious violation bars evaluation for 36 months.
CREATE TABLE integrity_records (
    id               bigserial PRIMARY KEY,
    platform_id      bigint NOT NULL REFERENCES platforms (id),
    occurred_on      date NOT NULL,
    serious          boolean NOT NULL,
    description      text NOT NULL CHECK (length(description) BETWEEN 1 AND 2000),
    funds_to_recover bigint NOT NULL DEFAULT 0 CHECK (funds_to_recover >= 0),
    recorded_by      bigint REFERENCES users (id),
    recorded_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX integrity_records_platform_idx ON integrity_records (platform_id);

-- The timeline: every stage change and key event, who, when, why, with its document.
CREATE TABLE lifecycle_events (
    id          bigserial PRIMARY KEY,
    platform_id bigint NOT NULL REFERENCES platforms (id),
    at          timestamptz NOT NULL DEFAULT now(),
    actor_id    bigint REFERENCES users (id),
    actor_name  text NOT NULL,
    kind        text NOT NULL,            -- e.g. registration.approved, advisor.assigned, case.opened
    from_stage  text,
    to_stage    text,
    summary     text NOT NULL,            -- Chinese, shown as is
    reason      text NOT NULL DEFAULT '',
    document_id bigint REFERENCES documents (id)
);
CREATE INDEX lifecycle_events_platform_idx ON lifecycle_events (platform_id, at);

-- Rule parameters (POLICY-RULES.md), with history: the value in force is the latest row per key.
CREATE TABLE rule_params (
    id         bigserial PRIMARY KEY,
    key        text NOT NULL,              -- e.g. MKT-BREAK-EVEN.transition_months
    value      jsonb NOT NULL,
    reason     text NOT NULL,
    changed_by bigint REFERENCES users (id),
    changed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX rule_params_key_idx ON rule_params (key, changed_at DESC);

-- None of this is written by administrators (三员分立).
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['documents', 'document_versions', 'registrations', 'decision_bodies',
                             'decision_body_members', 'platform_companies', 'company_shareholders',
                             'advisor_visits', 'construction_acceptances', 'rectification_cases',
                             'rectification_measures', 'rectification_notes', 'integrity_records',
                             'lifecycle_events', 'rule_params'] LOOP
        EXECUTE format('CREATE TRIGGER %I BEFORE INSERT OR UPDATE OR DELETE ON %I
                        FOR EACH ROW EXECUTE FUNCTION kc_forbid_admin_writes()', t || '_no_admin_writes', t);
    END LOOP;
END $$;

-- Every platform has its registration dossier.
INSERT INTO registrations (platform_id) SELECT id FROM platforms;
CREATE FUNCTION kc_new_registration() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO registrations (platform_id) VALUES (NEW.id);
    RETURN NEW;
END $$;
CREATE TRIGGER platforms_new_registration AFTER INSERT ON platforms
    FOR EACH ROW EXECUTE FUNCTION kc_new_registration();
