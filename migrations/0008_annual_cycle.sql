-- The annual cycle (NT10 四(二): 年初备案、半年过堂、年底评估) and EVALUATION.md: per-year configuration,
-- the ledger behind the figures, year-start filings, mid-year reviews, year-end evaluations with expert
-- scoring, public notice and results, the checklist (一平台一清单) and in-app notices.
-- Money is whole yuan (bigint). Indicator values are numeric.

-- Per-year configuration (deadlines, rubric, grade rules, rewards, coefficients) as JSON, versioned: the row
-- here is the version in force; every version (with who/when/why) is in annual_config_versions.
CREATE TABLE annual_configs (
    year       int PRIMARY KEY CHECK (year BETWEEN 2000 AND 2100),
    version    int NOT NULL DEFAULT 1,
    config     jsonb NOT NULL,
    updated_by bigint REFERENCES users (id),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE annual_config_versions (
    year       int NOT NULL REFERENCES annual_configs (year),
    version    int NOT NULL,
    config     jsonb NOT NULL,
    reason     text NOT NULL,
    changed_by bigint REFERENCES users (id),
    changed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (year, version)
);

-- ---- the ledger (kept by the operator) ------------------------------------------------------------

CREATE TABLE ledger_revenue (
    id           bigserial PRIMARY KEY,
    platform_id  bigint NOT NULL REFERENCES platforms (id),
    year         int    NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    channel      text   NOT NULL CHECK (channel IN ('service_orders', 'tech_contracts', 'achievement_transfer',
                                                    'gov_research_projects', 'incubation_returns', 'fiscal_subsidy')),
    amount       bigint NOT NULL CHECK (amount > 0),
    counterparty text   NOT NULL DEFAULT '',
    description  text   NOT NULL DEFAULT '',
    received_on  date,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ledger_revenue_idx ON ledger_revenue (platform_id, year);

CREATE TABLE ledger_expenditures (
    id          bigserial PRIMARY KEY,
    platform_id bigint NOT NULL REFERENCES platforms (id),
    year        int    NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    category    text   NOT NULL CHECK (category IN ('personnel', 'equipment', 'operations', 'research', 'other')),
    amount      bigint NOT NULL CHECK (amount > 0),
    description text   NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ledger_expenditures_idx ON ledger_expenditures (platform_id, year);

CREATE TABLE tech_contracts (
    id              bigserial PRIMARY KEY,
    platform_id     bigint NOT NULL REFERENCES platforms (id),
    year            int    NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    contract_type   text   NOT NULL CHECK (contract_type IN ('development', 'transfer', 'license', 'consulting', 'service')),
    counterparty    text   NOT NULL CHECK (length(counterparty) BETWEEN 1 AND 100),
    amount          bigint NOT NULL CHECK (amount > 0),
    registration_no text   NOT NULL DEFAULT '',      -- 技术合同登记号; empty = not registered
    signed_on       date   NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tech_contracts_idx ON tech_contracts (platform_id, year);

CREATE TABLE licences (
    id              bigserial PRIMARY KEY,
    platform_id     bigint NOT NULL REFERENCES platforms (id),
    year            int    NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    licensee        text   NOT NULL CHECK (length(licensee) BETWEEN 1 AND 100),
    achievement     text   NOT NULL CHECK (length(achievement) BETWEEN 1 AND 200),
    payment_model   text   NOT NULL CHECK (payment_model IN ('zero_fee_staged_royalty', 'instalments', 'deferred', 'lump_sum')),
    use_first_pay_later boolean NOT NULL DEFAULT true,  -- 先使用后付费
    schedule        text   NOT NULL DEFAULT '',
    amount_agreed   bigint NOT NULL CHECK (amount_agreed >= 0),
    amount_received bigint NOT NULL DEFAULT 0 CHECK (amount_received >= 0),
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX licences_idx ON licences (platform_id, year);

CREATE TABLE incubated_companies (
    id              bigserial PRIMARY KEY,
    platform_id     bigint NOT NULL REFERENCES platforms (id),
    year            int    NOT NULL CHECK (year BETWEEN 2000 AND 2100),   -- the year it was incubated
    name            text   NOT NULL CHECK (length(name) BETWEEN 2 AND 100),
    uscc            text   NOT NULL CHECK (uscc ~ '^[0-9A-HJ-NPQRTUWXY]{18}$'),
    equity_pct      numeric(5, 2) NOT NULL DEFAULT 0 CHECK (equity_pct >= 0 AND equity_pct <= 100),
    investment_form text   NOT NULL CHECK (investment_form IN ('cash', 'technology', 'equipment', 'none')),
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX incubated_companies_idx ON incubated_companies (platform_id, year);

CREATE TABLE major_tasks (
    id          bigserial PRIMARY KEY,
    platform_id bigint NOT NULL REFERENCES platforms (id),
    year        int    NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    name        text   NOT NULL CHECK (length(name) BETWEEN 2 AND 200),
    level       text   NOT NULL CHECK (level IN ('national', 'provincial')),
    funding     bigint NOT NULL DEFAULT 0 CHECK (funding >= 0),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX major_tasks_idx ON major_tasks (platform_id, year);

CREATE TABLE instruments (
    id                bigserial PRIMARY KEY,
    platform_id       bigint NOT NULL REFERENCES platforms (id),
    name              text   NOT NULL CHECK (length(name) BETWEEN 2 AND 100),
    value_yuan        bigint NOT NULL CHECK (value_yuan > 0),
    acquired_on       date,
    open_shared       boolean NOT NULL DEFAULT false,
    on_provincial_platform boolean NOT NULL DEFAULT false,   -- 省大型科学仪器共享平台
    created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX instruments_idx ON instruments (platform_id);

-- Indicator values that are not derived from ledger items (talent and R&D figures, patents, …), per year.
-- `annual_figures` (0001) keeps the platform's self-reported year totals; pages compare them with the ledger.
CREATE TABLE indicator_values (
    platform_id   bigint  NOT NULL REFERENCES platforms (id),
    year          int     NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    indicator_key text    NOT NULL,
    value         numeric NOT NULL CHECK (value >= 0),
    PRIMARY KEY (platform_id, year, indicator_key)
);

-- ---- year-start filing (年初备案) -----------------------------------------------------------------

CREATE TABLE filings (
    id                 bigserial PRIMARY KEY,
    platform_id        bigint NOT NULL REFERENCES platforms (id),
    year               int    NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    version            int    NOT NULL CHECK (version >= 1),
    status             text   NOT NULL DEFAULT 'draft'
                       CHECK (status IN ('draft', 'submitted', 'returned', 'approved', 'superseded')),
    targets            jsonb  NOT NULL DEFAULT '{}',   -- indicator_key → target
    revenue_plan       jsonb  NOT NULL DEFAULT '{}',   -- channel → yuan
    expenditure_budget bigint NOT NULL DEFAULT 0 CHECK (expenditure_budget >= 0),
    change_reason      text   NOT NULL DEFAULT '',     -- required for a version after an approved one
    submitted_at       timestamptz,
    submitted_by       bigint REFERENCES users (id),
    reviewed_at        timestamptz,
    reviewed_by        bigint REFERENCES users (id),
    review_comment     text   NOT NULL DEFAULT '',
    field_comments     jsonb  NOT NULL DEFAULT '{}',   -- field → comment, when returned
    lock_version       int    NOT NULL DEFAULT 1,      -- optimistic concurrency
    created_at         timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT filings_version_key UNIQUE (platform_id, year, version)
);
-- One live (not superseded) filing version per platform and year.
CREATE UNIQUE INDEX filings_one_live ON filings (platform_id, year) WHERE status <> 'superseded';

-- ---- mid-year review (半年过堂) ---------------------------------------------------------------------

CREATE TABLE midyear_reports (
    id           bigserial PRIMARY KEY,
    platform_id  bigint NOT NULL REFERENCES platforms (id),
    year         int    NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    actuals      jsonb  NOT NULL DEFAULT '{}',          -- indicator_key → H1 actual
    status       text   NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'submitted')),
    submitted_at timestamptz,
    submitted_by bigint REFERENCES users (id),
    lock_version int    NOT NULL DEFAULT 1,
    CONSTRAINT midyear_reports_key UNIQUE (platform_id, year)
);

CREATE TABLE midyear_reviews (
    id           bigserial PRIMARY KEY,
    platform_id  bigint NOT NULL REFERENCES platforms (id),
    year         int    NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    meeting_date date   NOT NULL,
    attendees    text   NOT NULL CHECK (length(attendees) BETWEEN 1 AND 1000),
    assessment   text   NOT NULL CHECK (length(assessment) BETWEEN 1 AND 4000),
    problems     text   NOT NULL DEFAULT '',
    recorded_by  bigint REFERENCES users (id),
    recorded_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT midyear_reviews_key UNIQUE (platform_id, year)
);

-- ---- the checklist (一平台一清单) -------------------------------------------------------------------

CREATE TABLE checklist_items (
    id          bigserial PRIMARY KEY,
    platform_id bigint NOT NULL REFERENCES platforms (id),
    source      text   NOT NULL,          -- 'manual', 'midyear:2026', 'rule:OPS-ADVISOR', 'evaluation:2025', …
    title       text   NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    description text   NOT NULL DEFAULT '',
    owner       text   NOT NULL DEFAULT '',
    due_date    date,
    status      text   NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'closed')),
    evidence    text   NOT NULL DEFAULT '',
    created_by  bigint REFERENCES users (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    closed_at   timestamptz,
    version     int    NOT NULL DEFAULT 1
);
CREATE INDEX checklist_items_platform_idx ON checklist_items (platform_id, status);
-- A rule finding has at most one open item per platform.
CREATE UNIQUE INDEX checklist_one_open_per_rule ON checklist_items (platform_id, source)
    WHERE status = 'open' AND source LIKE 'rule:%';

CREATE TABLE checklist_comments (
    id         bigserial PRIMARY KEY,
    item_id    bigint NOT NULL REFERENCES checklist_items (id),
    author_id  bigint REFERENCES users (id),
    comment    text   NOT NULL CHECK (length(comment) BETWEEN 1 AND 2000),
    created_at timestamptz NOT NULL DEFAULT now()
);

-- ---- year-end evaluation (年底评估) -----------------------------------------------------------------

CREATE TABLE evaluations (
    id                bigserial PRIMARY KEY,
    platform_id       bigint NOT NULL REFERENCES platforms (id),
    year              int    NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    status            text   NOT NULL DEFAULT 'draft' CHECK (status IN (
                          'draft', 'submitted', 'county_returned', 'county_passed', 'city_returned',
                          'city_passed', 'scored', 'excluded')),
    actuals           jsonb  NOT NULL DEFAULT '{}',          -- indicator_key → full-year actual
    self_assessment   text   NOT NULL DEFAULT '',
    submitted_at      timestamptz,
    submitted_by      bigint REFERENCES users (id),
    county_reviewed_by bigint REFERENCES users (id),
    county_reviewed_at timestamptz,
    county_comment    text   NOT NULL DEFAULT '',
    city_reviewed_by  bigint REFERENCES users (id),
    city_reviewed_at  timestamptz,
    city_comment      text   NOT NULL DEFAULT '',
    excluded_reason   text   NOT NULL DEFAULT '',            -- e.g. INTEG-BAN
    -- Results (computed; full precision; rounded only for display).
    config_version    int,
    score_detail      jsonb,                                 -- by dimension and indicator, warnings
    total_score       double precision,
    rank              int,
    grade             text CHECK (grade IN ('excellent', 'good', 'pass', 'fail')),
    reward_yuan       bigint,
    funding_coefficient double precision,
    lock_version      int    NOT NULL DEFAULT 1,
    CONSTRAINT evaluations_key UNIQUE (platform_id, year)
);

CREATE TABLE evaluation_evidence (
    evaluation_id bigint NOT NULL REFERENCES evaluations (id),
    document_id   bigint NOT NULL REFERENCES documents (id),
    PRIMARY KEY (evaluation_id, document_id)
);

CREATE TABLE expert_assignments (
    id            bigserial PRIMARY KEY,
    evaluation_id bigint NOT NULL REFERENCES evaluations (id),
    expert_id     bigint NOT NULL REFERENCES users (id),
    conflict      boolean,                 -- NULL until declared; true = conflicted, cannot score
    conflict_note text   NOT NULL DEFAULT '',
    declared_at   timestamptz,
    submitted_at  timestamptz,             -- scores final
    assigned_by   bigint REFERENCES users (id),
    assigned_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT expert_assignments_key UNIQUE (evaluation_id, expert_id)
);

CREATE TABLE expert_scores (
    assignment_id bigint NOT NULL REFERENCES expert_assignments (id),
    indicator_key text   NOT NULL,
    score         double precision NOT NULL CHECK (score >= 0 AND score <= 100),
    PRIMARY KEY (assignment_id, indicator_key)
);

-- The year's results: proposed → public notice (公示) with objections → published.
CREATE TABLE evaluation_rounds (
    year            int PRIMARY KEY CHECK (year BETWEEN 2000 AND 2100),
    status          text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'proposed', 'notice', 'published')),
    config_version  int,
    proposed_at     timestamptz,
    proposed_by     bigint REFERENCES users (id),
    notice_starts   date,
    notice_ends     date,
    published_at    timestamptz,
    published_by    bigint REFERENCES users (id),
    lock_version    int NOT NULL DEFAULT 1
);

CREATE TABLE objections (
    id           bigserial PRIMARY KEY,
    year         int    NOT NULL REFERENCES evaluation_rounds (year),
    platform_id  bigint NOT NULL REFERENCES platforms (id),
    raised_by    text   NOT NULL CHECK (length(raised_by) BETWEEN 1 AND 100),
    raised_on    date   NOT NULL,
    content      text   NOT NULL CHECK (length(content) BETWEEN 1 AND 4000),
    response     text   NOT NULL DEFAULT '',
    responded_by bigint REFERENCES users (id),
    responded_at timestamptz,
    recorded_by  bigint REFERENCES users (id),
    recorded_at  timestamptz NOT NULL DEFAULT now()
);

-- ---- in-app notices (nothing is sent outside the system) ----------------------------------------------

CREATE TABLE notices (
    id         bigserial PRIMARY KEY,
    user_id    bigint NOT NULL REFERENCES users (id),
    kind       text   NOT NULL,             -- e.g. deadline.filing
    subject    text   NOT NULL,             -- e.g. 'filing:2026:platform:12'
    days_left  int    NOT NULL,             -- 14, 3 or 0
    text       text   NOT NULL,
    link       text   NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    read_at    timestamptz,
    CONSTRAINT notices_once UNIQUE (user_id, kind, subject, days_left)
);
CREATE INDEX notices_user_idx ON notices (user_id, read_at);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['annual_configs', 'annual_config_versions', 'ledger_revenue', 'ledger_expenditures',
                             'tech_contracts', 'licences', 'incubated_companies', 'major_tasks', 'instruments',
                             'indicator_values', 'filings', 'midyear_reports', 'midyear_reviews',
                             'checklist_items', 'checklist_comments', 'evaluations', 'evaluation_evidence',
                             'expert_assignments', 'expert_scores', 'evaluation_rounds', 'objections'] LOOP
        EXECUTE format('CREATE TRIGGER %I BEFORE INSERT OR UPDATE OR DELETE ON %I
                        FOR EACH ROW EXECUTE FUNCTION kc_forbid_admin_writes()', t || '_no_admin_writes', t);
    END LOOP;
END $$;
