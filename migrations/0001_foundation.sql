-- Foundation: jurisdictions, platforms, accounts and roles, sessions, security policy, audit trail.
-- Never edit this file once it has landed: add a new migration instead.

-- The acting user's role is set per transaction (SET LOCAL kechuang.actor_role) by the application;
-- the triggers below use it to enforce 三员分立 in the database itself.
CREATE FUNCTION kc_actor_role() RETURNS text LANGUAGE sql STABLE AS
$$ SELECT nullif(current_setting('kechuang.actor_role', true), '') $$;

CREATE FUNCTION kc_actor_id() RETURNS bigint LANGUAGE sql STABLE AS
$$ SELECT nullif(current_setting('kechuang.actor_id', true), '')::bigint $$;

-- Business tables refuse writes from the three administrator roles (none of them edits business data).
CREATE FUNCTION kc_forbid_admin_writes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF kc_actor_role() IN ('sysadmin', 'secadmin', 'auditor') THEN
        RAISE EXCEPTION 'administrator role % may not write business data (%)', kc_actor_role(), TG_TABLE_NAME
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN COALESCE(NEW, OLD);
END $$;

CREATE TABLE jurisdictions (
    id          serial PRIMARY KEY,
    code        text NOT NULL,
    name        text NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('city', 'county')),
    sort_order  int  NOT NULL DEFAULT 100,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT jurisdictions_code_key UNIQUE (code),
    CONSTRAINT jurisdictions_name_key UNIQUE (name)
);
-- Exactly one city-level jurisdiction: its staff see every platform.
CREATE UNIQUE INDEX jurisdictions_one_city ON jurisdictions ((kind)) WHERE kind = 'city';

CREATE TABLE users (
    id                   bigserial PRIMARY KEY,
    username             text NOT NULL,
    display_name         text NOT NULL,
    password_hash        text NOT NULL,
    -- One role per account: the three administrator roles can never be held together (三员分立).
    -- NULL = created by the system admin, waiting for the security admin to assign a role.
    role                 text CHECK (role IN ('operator', 'staff', 'advisor', 'expert', 'leader',
                                              'sysadmin', 'secadmin', 'auditor')),
    platform_id          bigint,
    jurisdiction_id      int REFERENCES jurisdictions (id),
    must_change_password boolean NOT NULL DEFAULT true,
    password_changed_at  timestamptz NOT NULL DEFAULT now(),
    failed_logins        int NOT NULL DEFAULT 0,
    locked_until         timestamptz,
    disabled             boolean NOT NULL DEFAULT false,
    is_demo              boolean NOT NULL DEFAULT false,
    version              int NOT NULL DEFAULT 1,
    created_at           timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT users_username_key UNIQUE (username),
    CONSTRAINT users_username_format CHECK (username ~ '^[a-z0-9][a-z0-9._-]{2,31}$'),
    -- Data scope follows the role: an operator is bound to one platform, staff to one jurisdiction, nobody else to either.
    CONSTRAINT users_scope_matches_role CHECK (
        (role = 'operator' AND platform_id IS NOT NULL AND jurisdiction_id IS NULL)
        OR (role = 'staff' AND jurisdiction_id IS NOT NULL AND platform_id IS NULL)
        OR ((role IS NULL OR role NOT IN ('operator', 'staff')) AND platform_id IS NULL AND jurisdiction_id IS NULL)
    )
);

CREATE TABLE platforms (
    id                 bigserial PRIMARY KEY,
    code               text NOT NULL,
    name               text NOT NULL,
    jurisdiction_id    int  NOT NULL REFERENCES jurisdictions (id),
    level              text NOT NULL CHECK (level IN ('city', 'county', 'city_county')),
    category           text CHECK (category IN ('strategic_task', 'industrial_transformation',
                                                'technical_service', 'other')),
    stage              text NOT NULL DEFAULT 'registration'
                       CHECK (stage IN ('registration', 'operating', 'rectifying', 'exited', 'converted', 'merged')),
    industry_cluster   text CHECK (industry_cluster IN ('marine_engineering', 'high_end_textiles',
                                   'high_end_equipment', 'next_gen_it', 'new_materials', 'new_energy')),
    legal_form         text NOT NULL DEFAULT 'public_institution'
                       CHECK (legal_form IN ('public_institution', 'private_non_enterprise', 'enterprise', 'internal_unit')),
    co_builders        text NOT NULL DEFAULT '',
    construction_start date,
    construction_end   date,
    first_support_end  date,
    operating_since    date,
    merged_into_id     bigint REFERENCES platforms (id),
    advisor_id         bigint REFERENCES users (id),
    responsible_staff_id bigint REFERENCES users (id),
    version            int NOT NULL DEFAULT 1,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT platforms_code_key UNIQUE (code),
    CONSTRAINT platforms_construction_order CHECK (construction_end IS NULL OR construction_start IS NULL
                                                   OR construction_end >= construction_start),
    CONSTRAINT platforms_merged_has_target CHECK ((stage = 'merged') = (merged_into_id IS NOT NULL))
);
CREATE INDEX platforms_jurisdiction_idx ON platforms (jurisdiction_id);
CREATE INDEX platforms_stage_idx ON platforms (stage);

ALTER TABLE users ADD CONSTRAINT users_platform_fk FOREIGN KEY (platform_id) REFERENCES platforms (id);

CREATE TRIGGER platforms_no_admin_writes BEFORE INSERT OR UPDATE OR DELETE ON platforms
    FOR EACH ROW EXECUTE FUNCTION kc_forbid_admin_writes();
CREATE TRIGGER jurisdictions_no_admin_writes BEFORE INSERT OR UPDATE OR DELETE ON jurisdictions
    FOR EACH ROW EXECUTE FUNCTION kc_forbid_admin_writes();

-- Year totals as reported by the platform (self-generated income = the five channels; fiscal subsidy is not).
-- Money in whole yuan.
CREATE TABLE annual_figures (
    platform_id            bigint NOT NULL REFERENCES platforms (id),
    year                   int    NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    service_orders         bigint NOT NULL DEFAULT 0 CHECK (service_orders >= 0),
    tech_contracts         bigint NOT NULL DEFAULT 0 CHECK (tech_contracts >= 0),
    achievement_transfer   bigint NOT NULL DEFAULT 0 CHECK (achievement_transfer >= 0),
    gov_research_projects  bigint NOT NULL DEFAULT 0 CHECK (gov_research_projects >= 0),
    incubation_returns     bigint NOT NULL DEFAULT 0 CHECK (incubation_returns >= 0),
    fiscal_subsidy         bigint NOT NULL DEFAULT 0 CHECK (fiscal_subsidy >= 0),
    expenditure            bigint NOT NULL DEFAULT 0 CHECK (expenditure >= 0),
    rnd_staff              int    NOT NULL DEFAULT 0 CHECK (rnd_staff >= 0),
    major_tasks            int    NOT NULL DEFAULT 0 CHECK (major_tasks >= 0),
    PRIMARY KEY (platform_id, year)
);
CREATE TRIGGER annual_figures_no_admin_writes BEFORE INSERT OR UPDATE OR DELETE ON annual_figures
    FOR EACH ROW EXECUTE FUNCTION kc_forbid_admin_writes();

-- Role and scope may only be changed by the security admin (or the bootstrap CLI, which acts as 'system'),
-- and nobody changes their own role.
CREATE FUNCTION kc_guard_user_roles() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND (NEW.role IS DISTINCT FROM OLD.role
                             OR NEW.platform_id IS DISTINCT FROM OLD.platform_id
                             OR NEW.jurisdiction_id IS DISTINCT FROM OLD.jurisdiction_id) THEN
        IF kc_actor_role() IS DISTINCT FROM 'secadmin' AND kc_actor_role() IS DISTINCT FROM 'system' THEN
            RAISE EXCEPTION 'only the security admin assigns roles' USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF kc_actor_id() = NEW.id THEN
            RAISE EXCEPTION 'nobody changes their own role' USING ERRCODE = 'insufficient_privilege';
        END IF;
    END IF;
    IF TG_OP = 'INSERT' AND NEW.role IS NOT NULL AND kc_actor_role() IS DISTINCT FROM 'system' THEN
        RAISE EXCEPTION 'new accounts start without a role; the security admin assigns it'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER users_guard_roles BEFORE INSERT OR UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION kc_guard_user_roles();

CREATE TABLE sessions (
    id_hash      bytea PRIMARY KEY,          -- SHA-256 of the cookie value; the value itself is never stored
    user_id      bigint NOT NULL REFERENCES users (id),
    csrf_token   text   NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    client_addr  text
);
CREATE INDEX sessions_user_idx ON sessions (user_id);

-- The password / lockout / session policy, managed by the security admin. A single row.
CREATE TABLE security_policy (
    id                     int PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    min_length             int NOT NULL DEFAULT 8  CHECK (min_length BETWEEN 8 AND 64),
    min_classes            int NOT NULL DEFAULT 3  CHECK (min_classes BETWEEN 3 AND 4),
    max_failures           int NOT NULL DEFAULT 5  CHECK (max_failures BETWEEN 3 AND 10),
    lockout_minutes        int NOT NULL DEFAULT 30 CHECK (lockout_minutes BETWEEN 10 AND 1440),
    idle_minutes           int NOT NULL DEFAULT 30 CHECK (idle_minutes BETWEEN 5 AND 30),
    admin_idle_minutes     int NOT NULL DEFAULT 15 CHECK (admin_idle_minutes BETWEEN 5 AND 15),
    absolute_hours         int NOT NULL DEFAULT 12 CHECK (absolute_hours BETWEEN 1 AND 12),
    password_max_age_days  int NOT NULL DEFAULT 90 CHECK (password_max_age_days BETWEEN 30 AND 90),
    version                int NOT NULL DEFAULT 1,
    updated_at             timestamptz NOT NULL DEFAULT now()
);
INSERT INTO security_policy (id) VALUES (1);

-- The audit trail: append-only and hash-chained. `seq` is gap-free (assigned under an advisory lock),
-- so a deleted row shows as a gap; `hash` covers the row and the previous hash, so an edit or a
-- reordering breaks the chain.
CREATE TABLE audit_log (
    seq         bigint PRIMARY KEY,
    at          timestamptz NOT NULL,
    actor_id    bigint,
    actor_name  text NOT NULL,
    action      text NOT NULL,
    entity      text NOT NULL,
    entity_id   text,
    before      jsonb,
    after       jsonb,
    client_addr text,
    prev_hash   text NOT NULL,
    hash        text NOT NULL
);
CREATE INDEX audit_log_at_idx ON audit_log (at);
CREATE INDEX audit_log_entity_idx ON audit_log (entity, entity_id);
CREATE INDEX audit_log_actor_idx ON audit_log (actor_name);

CREATE FUNCTION kc_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION kc_audit_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION kc_audit_append_only();
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM PUBLIC;
