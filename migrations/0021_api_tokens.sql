-- API tokens (issue 14, part 3): other systems (the provincial department, 市数据局) read platform
-- data through /api/v1 with a bearer token that the security admin issues to a named system.
-- The token is shown once; only its SHA-256 is stored (256 random bits: no salt or slow hash needed).
-- A token's scope is one jurisdiction; the city-level jurisdiction means the whole city, exactly as
-- for staff accounts.

CREATE TABLE api_tokens (
    id               bigserial PRIMARY KEY,
    -- The system the token was issued to (e.g. 市数据局共享交换平台).
    name             text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
    jurisdiction_id  int NOT NULL REFERENCES jurisdictions (id),
    token_hash       text NOT NULL,
    -- The token's first characters, so the admin can tell which token a system holds.
    token_prefix     text NOT NULL,
    expires_at       timestamptz NOT NULL,
    created_by       bigint NOT NULL REFERENCES users (id),
    created_at       timestamptz NOT NULL DEFAULT now(),
    revoked_at       timestamptz,
    revoked_by       bigint REFERENCES users (id),
    last_used_at     timestamptz,
    CONSTRAINT api_tokens_hash_key UNIQUE (token_hash),
    CONSTRAINT api_tokens_revoked_by CHECK ((revoked_at IS NULL) = (revoked_by IS NULL))
);

CREATE INDEX api_tokens_created ON api_tokens (created_at DESC, id DESC);

-- Only the security admin issues and revokes tokens; nothing else about a token ever changes
-- except when it was last used; tokens are never deleted (the audit trail names them).
CREATE FUNCTION kc_api_tokens_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'API tokens are revoked, never deleted' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF TG_OP = 'INSERT' THEN
        IF kc_actor_role() IS DISTINCT FROM 'secadmin' OR kc_actor_id() IS DISTINCT FROM NEW.created_by THEN
            RAISE EXCEPTION 'only the security admin issues API tokens (role %)', kc_actor_role()
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
    END IF;
    IF (NEW.name, NEW.jurisdiction_id, NEW.token_hash, NEW.token_prefix, NEW.expires_at, NEW.created_by,
        NEW.created_at) IS DISTINCT FROM
       (OLD.name, OLD.jurisdiction_id, OLD.token_hash, OLD.token_prefix, OLD.expires_at, OLD.created_by,
        OLD.created_at) THEN
        RAISE EXCEPTION 'an API token is not edited: revoke it and issue a new one'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF (NEW.revoked_at, NEW.revoked_by) IS DISTINCT FROM (OLD.revoked_at, OLD.revoked_by) THEN
        IF OLD.revoked_at IS NOT NULL OR kc_actor_role() IS DISTINCT FROM 'secadmin'
           OR kc_actor_id() IS DISTINCT FROM NEW.revoked_by THEN
            RAISE EXCEPTION 'only the security admin revokes an API token, once (role %)', kc_actor_role()
                USING ERRCODE = 'insufficient_privilege';
        END IF;
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER api_tokens_guard BEFORE INSERT OR UPDATE OR DELETE ON api_tokens
    FOR EACH ROW EXECUTE FUNCTION kc_api_tokens_guard();
