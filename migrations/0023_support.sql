-- Support programmes (SUPPORT-RULES.md, issue 13 part 1): the real records behind a platform's
-- `platform.support` snapshot field, entered by the platform's operator and by staff (through the
-- write path: audited, CSRF-checked, data version advanced).

-- A recognition (认定) that opens a programme: its kind, date, issuing body and document.
CREATE TABLE support_recognitions (
    id            bigserial PRIMARY KEY,
    platform_id   bigint NOT NULL REFERENCES platforms (id),
    kind          text   NOT NULL CHECK (kind IN ('js_provincial_poc_center', 'social_tech_transfer_agency',
                                                  'new_rnd_institution', 'nj_city_poc_center', 'nj_pilot_platform',
                                                  'led_public_service_platform', 'jitri_new_institute')),
    recognised_on date   NOT NULL,
    issuing_body  text   NOT NULL CHECK (length(btrim(issuing_body)) BETWEEN 1 AND 100),
    -- 文号 of the recognition document.
    document_ref  text   NOT NULL DEFAULT '' CHECK (length(document_ref) <= 100),
    -- The platform's copy of the document, when it is on file.
    document_id   bigint REFERENCES documents (id),
    created_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT support_recognitions_once UNIQUE (platform_id, kind)
);

-- 技术交易额 the platform brokered (JS 社会化技术转移机构奖补).
CREATE TABLE support_tech_transactions (
    id           bigserial PRIMARY KEY,
    platform_id  bigint NOT NULL REFERENCES platforms (id),
    year         int    NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    counterparty text   NOT NULL CHECK (length(btrim(counterparty)) BETWEEN 1 AND 100),
    amount_yuan  bigint NOT NULL CHECK (amount_yuan > 0 AND amount_yuan <= 1000000000000000),
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX support_tech_transactions_idx ON support_tech_transactions (platform_id, year);

-- Enterprise-led 产学研 projects with the money actually received (JS 企业牵头产学研项目).
CREATE TABLE support_enterprise_projects (
    id            bigserial PRIMARY KEY,
    platform_id   bigint NOT NULL REFERENCES platforms (id),
    name          text   NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
    enterprise    text   NOT NULL CHECK (length(btrim(enterprise)) BETWEEN 1 AND 100),
    year          int    NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    receipts_yuan bigint NOT NULL CHECK (receipts_yuan >= 0 AND receipts_yuan <= 1000000000000000),
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX support_enterprise_projects_idx ON support_enterprise_projects (platform_id, year);

-- Investments: 协同企业联合攻关新增投入, 概念验证中心建设投入, 中试平台建设投入 (NJ 四13, 四10, 四11).
CREATE TABLE support_investments (
    id          bigserial PRIMARY KEY,
    platform_id bigint NOT NULL REFERENCES platforms (id),
    kind        text   NOT NULL CHECK (kind IN ('joint_rnd', 'poc_build', 'pilot_build')),
    year        int    NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    amount_yuan bigint NOT NULL CHECK (amount_yuan > 0 AND amount_yuan <= 1000000000000000),
    description text   NOT NULL DEFAULT '' CHECK (length(description) <= 200),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX support_investments_idx ON support_investments (platform_id, year);

-- Results first equity-invested by a market fund (NJ 四10, 四11): a count per year.
CREATE TABLE support_fund_results (
    id          bigserial PRIMARY KEY,
    platform_id bigint NOT NULL REFERENCES platforms (id),
    year        int    NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    results     int    NOT NULL CHECK (results BETWEEN 1 AND 10000),
    description text   NOT NULL DEFAULT '' CHECK (length(description) <= 200),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX support_fund_results_idx ON support_fund_results (platform_id, year);
