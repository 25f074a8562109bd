-- Dual control for administrator accounts (QUALITY.md "Dual control", issue 11) and one-time
-- password-reset links. Never edit this file once it has landed: add a new migration instead.
--
-- A reset, disabling, enabling or role change of an administrator account (sysadmin, secadmin,
-- auditor, before or after the change) is a request first; a second administrator (system or
-- security admin, neither the requester nor the target) approves or rejects it, and only an
-- approval carries it out, in the approving transaction, acting as the requester. The triggers
-- below hold this in the database itself, whatever the web layer does.

CREATE TABLE admin_requests (
    id            bigserial PRIMARY KEY,
    kind          text   NOT NULL CHECK (kind IN ('password_reset', 'disable', 'enable', 'role_change')),
    target_id     bigint NOT NULL REFERENCES users (id),
    -- role_change: {"role", "platform_id", "jurisdiction_id", "version"} as requested.
    payload       jsonb  NOT NULL DEFAULT '{}'::jsonb,
    reason        text   NOT NULL CHECK (char_length(btrim(reason)) BETWEEN 1 AND 200),
    requested_by  bigint NOT NULL REFERENCES users (id),
    requested_at  timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL DEFAULT now() + interval '24 hours',
    status        text   NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'approved', 'rejected', 'expired')),
    decided_by    bigint REFERENCES users (id),
    decided_at    timestamptz,
    CONSTRAINT admin_requests_not_own_account CHECK (requested_by <> target_id),
    CONSTRAINT admin_requests_second_person
        CHECK (decided_by IS NULL OR (decided_by <> requested_by AND decided_by <> target_id)),
    CONSTRAINT admin_requests_decision
        CHECK ((status IN ('approved', 'rejected')) = (decided_by IS NOT NULL AND decided_at IS NOT NULL))
);
-- One open request per account at a time.
CREATE UNIQUE INDEX admin_requests_one_pending ON admin_requests (target_id) WHERE status = 'pending';
CREATE INDEX admin_requests_recent_idx ON admin_requests (requested_at DESC);

CREATE FUNCTION kc_guard_admin_requests() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'administrator requests are kept' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF TG_OP = 'INSERT' THEN
        IF NEW.status <> 'pending' OR NEW.decided_by IS NOT NULL OR NEW.decided_at IS NOT NULL THEN
            RAISE EXCEPTION 'a request starts pending' USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF kc_actor_id() IS NULL OR kc_actor_id() <> NEW.requested_by THEN
            RAISE EXCEPTION 'a request is filed by its requester' USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF NOT COALESCE((NEW.kind = 'role_change' AND kc_actor_role() = 'secadmin')
                        OR (NEW.kind <> 'role_change' AND kc_actor_role() = 'sysadmin'), false) THEN
            RAISE EXCEPTION 'only the system admin requests resets and status changes, only the security admin role changes'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
    END IF;
    -- UPDATE: a pending request is decided or expires, once; nothing else ever changes.
    IF OLD.status <> 'pending'
       OR (NEW.id, NEW.kind, NEW.target_id, NEW.payload, NEW.reason, NEW.requested_by, NEW.requested_at, NEW.expires_at)
          IS DISTINCT FROM
          (OLD.id, OLD.kind, OLD.target_id, OLD.payload, OLD.reason, OLD.requested_by, OLD.requested_at, OLD.expires_at) THEN
        RAISE EXCEPTION 'a request cannot be altered once filed or decided' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NEW.status = 'expired' THEN
        IF OLD.expires_at > now() OR NEW.decided_by IS NOT NULL THEN
            RAISE EXCEPTION 'only an overdue request expires' USING ERRCODE = 'insufficient_privilege';
        END IF;
    ELSIF NEW.status IN ('approved', 'rejected') THEN
        IF OLD.expires_at <= now() THEN
            RAISE EXCEPTION 'the request has expired' USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF NOT COALESCE(kc_actor_role() IN ('sysadmin', 'secadmin') AND kc_actor_id() = NEW.decided_by, false)
           OR NEW.decided_at IS DISTINCT FROM now() THEN
            RAISE EXCEPTION 'a request is decided by another system or security admin'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER admin_requests_guard BEFORE INSERT OR UPDATE OR DELETE ON admin_requests
    FOR EACH ROW EXECUTE FUNCTION kc_guard_admin_requests();

-- Administrator accounts change (role or scope, disabled, someone else setting the password) only
-- under the request approved in this very transaction (named by kechuang.admin_request), acting
-- as its requester. An administrator changing their own password, and the command line
-- ('system'), are not requests.
CREATE FUNCTION kc_guard_admin_accounts() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changes text[] := ARRAY[]::text[];
    req admin_requests%ROWTYPE;
BEGIN
    IF kc_actor_role() IS NOT DISTINCT FROM 'system' THEN
        RETURN NEW;
    END IF;
    IF NOT COALESCE(OLD.role IN ('sysadmin', 'secadmin', 'auditor'), false)
       AND NOT COALESCE(NEW.role IN ('sysadmin', 'secadmin', 'auditor'), false) THEN
        RETURN NEW;
    END IF;
    IF NEW.role IS DISTINCT FROM OLD.role OR NEW.platform_id IS DISTINCT FROM OLD.platform_id
       OR NEW.jurisdiction_id IS DISTINCT FROM OLD.jurisdiction_id THEN
        changes := changes || 'role_change'::text;
    END IF;
    IF NEW.disabled IS DISTINCT FROM OLD.disabled THEN
        changes := changes || (CASE WHEN NEW.disabled THEN 'disable' ELSE 'enable' END)::text;
    END IF;
    IF NEW.password_hash IS DISTINCT FROM OLD.password_hash AND kc_actor_id() IS DISTINCT FROM OLD.id THEN
        changes := changes || 'password_reset'::text;
    END IF;
    IF cardinality(changes) = 0 THEN
        RETURN NEW;
    END IF;
    SELECT * INTO req FROM admin_requests
     WHERE id = nullif(current_setting('kechuang.admin_request', true), '')::bigint;
    IF NOT FOUND OR cardinality(changes) <> 1 OR req.kind <> changes[1] OR req.target_id <> OLD.id
       OR req.status <> 'approved' OR req.decided_at <> now()
       OR kc_actor_id() IS DISTINCT FROM req.requested_by
       OR (req.kind = 'role_change' AND NEW.role IS DISTINCT FROM req.payload ->> 'role') THEN
        RAISE EXCEPTION 'administrator accounts change only through a request approved by a second administrator'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END $$;
-- Named to fire after users_guard_roles (triggers fire in name order), whose message is more specific.
CREATE TRIGGER users_guard_roles_dual_control BEFORE UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION kc_guard_admin_accounts();

-- One-time password-reset links: only the SHA-256 of the token is stored; 24 h; used once.
CREATE TABLE password_reset_links (
    id          bigserial PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES users (id),
    token_hash  bytea  NOT NULL,
    issued_by   bigint NOT NULL REFERENCES users (id),
    request_id  bigint REFERENCES admin_requests (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL DEFAULT now() + interval '24 hours',
    used_at     timestamptz,
    revoked_at  timestamptz,
    CONSTRAINT password_reset_links_token_key UNIQUE (token_hash),
    CONSTRAINT password_reset_links_not_own CHECK (issued_by <> user_id),
    CONSTRAINT password_reset_links_used_or_revoked CHECK (used_at IS NULL OR revoked_at IS NULL)
);
CREATE INDEX password_reset_links_live_idx ON password_reset_links (user_id)
    WHERE used_at IS NULL AND revoked_at IS NULL;

-- The system admin issues links (for an administrator account only under the approved request
-- of this transaction) and revokes superseded ones; only the account's owner uses one.
CREATE FUNCTION kc_guard_reset_links() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    target_role text;
    req admin_requests%ROWTYPE;
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'reset links are kept' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF TG_OP = 'INSERT' THEN
        IF NOT COALESCE(kc_actor_role() = 'sysadmin' AND kc_actor_id() = NEW.issued_by, false)
           OR NEW.used_at IS NOT NULL OR NEW.revoked_at IS NOT NULL THEN
            RAISE EXCEPTION 'only the system admin issues reset links' USING ERRCODE = 'insufficient_privilege';
        END IF;
        SELECT role INTO target_role FROM users WHERE id = NEW.user_id;
        IF target_role IN ('sysadmin', 'secadmin', 'auditor') THEN
            SELECT * INTO req FROM admin_requests WHERE id = NEW.request_id;
            IF NOT FOUND OR req.kind <> 'password_reset' OR req.target_id <> NEW.user_id
               OR req.status <> 'approved' OR req.decided_at <> now()
               OR req.requested_by <> NEW.issued_by THEN
                RAISE EXCEPTION 'a reset link for an administrator needs an approved request'
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
        END IF;
        RETURN NEW;
    END IF;
    IF OLD.used_at IS NOT NULL OR OLD.revoked_at IS NOT NULL
       OR (NEW.id, NEW.user_id, NEW.token_hash, NEW.issued_by, NEW.request_id, NEW.created_at, NEW.expires_at)
          IS DISTINCT FROM
          (OLD.id, OLD.user_id, OLD.token_hash, OLD.issued_by, OLD.request_id, OLD.created_at, OLD.expires_at) THEN
        RAISE EXCEPTION 'a reset link is used or revoked once, and never altered' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NEW.used_at IS NOT NULL THEN
        IF kc_actor_id() IS DISTINCT FROM OLD.user_id OR OLD.expires_at <= now() THEN
            RAISE EXCEPTION 'only the owner uses a live reset link' USING ERRCODE = 'insufficient_privilege';
        END IF;
    ELSIF NEW.revoked_at IS NOT NULL THEN
        IF NOT COALESCE(kc_actor_role() = 'sysadmin', false) AND kc_actor_id() IS DISTINCT FROM OLD.user_id THEN
            RAISE EXCEPTION 'only the system admin or the owner revokes a reset link'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER password_reset_links_guard BEFORE INSERT OR UPDATE OR DELETE ON password_reset_links
    FOR EACH ROW EXECUTE FUNCTION kc_guard_reset_links();
