-- The policy library (issue 5 item 1): the policies the product cites and their clause trees.
-- Filled (and kept up to date) at start-up from the texts embedded in the binary (policies/*.txt,
-- parsed by src/domain/policy_text.rs); written by the system only. Rules are not stored here: they
-- live in the code catalogue and link to clauses by their citations.

CREATE TABLE policies (
    short_id      text PRIMARY KEY CHECK (short_id ~ '^[A-Z][A-Z0-9]{1,15}$'),   -- NT10, NJ, JY, LYG, JS
    title         text NOT NULL CHECK (length(title) > 0),
    issuer        text,                     -- 发布机构, null when the text names none
    number        text,                     -- 文号
    issued_on     date,                     -- 成文日期
    published_on  date,                     -- 发布日期
    validity      text,                     -- validity as the header states it (有效), if it does
    status        text NOT NULL CHECK (status IN ('in_force', 'draft', 'reference')),
    role          text NOT NULL CHECK (role IN ('primary', 'reference')),
    jurisdiction  text NOT NULL,            -- the government the document comes from
    purpose       text NOT NULL,            -- what the product uses it for
    note          text NOT NULL DEFAULT '', -- what the text itself does not say
    preamble      text NOT NULL DEFAULT '', -- header, notice and introduction before the first clause
    source_file   text NOT NULL,            -- policies/<file>
    source_sha256 text NOT NULL CHECK (source_sha256 ~ '^[0-9a-f]{64}$'),
    sort_order    int  NOT NULL,
    synced_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE policy_clauses (
    policy     text NOT NULL REFERENCES policies (short_id) ON DELETE CASCADE,
    clause_id  text NOT NULL,               -- path ID: 二(一)3, 新型研发机构 三(二)4, 附件
    parent_id  text,
    kind       text NOT NULL CHECK (kind IN ('part', 'chapter', 'section', 'item', 'annex')),
    level      smallint NOT NULL CHECK (level BETWEEN 0 AND 3),
    ordinal    int  NOT NULL CHECK (ordinal >= 1),   -- position in document order
    anchor     text NOT NULL CHECK (anchor ~ '^[A-Za-z0-9.-]+$'),
    heading    text NOT NULL,
    text       text NOT NULL,               -- the clause's own original text (sub-clauses are rows of their own)
    PRIMARY KEY (policy, clause_id),
    -- Deferred: a re-parse may shift ordinals and move clauses within one transaction.
    CONSTRAINT policy_clauses_ordinal_key UNIQUE (policy, ordinal) DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT policy_clauses_anchor_key UNIQUE (policy, anchor) DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT policy_clauses_parent_fkey FOREIGN KEY (policy, parent_id)
        REFERENCES policy_clauses (policy, clause_id) DEFERRABLE INITIALLY DEFERRED
);

-- Only the start-up sync (acting as `system`) writes the library: no user, administrator or not.
CREATE FUNCTION kc_policy_library_system_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF kc_actor_role() IS DISTINCT FROM 'system' THEN
        RAISE EXCEPTION 'the policy library is written by the system only (%, role %)', TG_TABLE_NAME, kc_actor_role()
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN COALESCE(NEW, OLD);
END $$;
CREATE TRIGGER policies_system_only BEFORE INSERT OR UPDATE OR DELETE ON policies
    FOR EACH ROW EXECUTE FUNCTION kc_policy_library_system_only();
CREATE TRIGGER policy_clauses_system_only BEFORE INSERT OR UPDATE OR DELETE ON policy_clauses
    FOR EACH ROW EXECUTE FUNCTION kc_policy_library_system_only();
