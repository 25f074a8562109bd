-- Excel imports (issue 14, part 1). Never edit this file once it has landed: add a new migration
-- instead.
--
-- An upload that passes every check is kept here, parsed, until its uploader confirms it on the
-- preview page (`imported_at` NULL: pending; nothing else is written before). Confirming writes
-- every row in one transaction and sets `imported_at`. The same file (by SHA-256) imported twice
-- into the same target is refused: the unique index below holds even for two confirmations racing.
--
-- `target` names what the file is imported into: 'platforms' (the registry), 'accounts', or
-- 'ledger:<platform id>:<year>'. The platform and year are also kept as columns for the history.

CREATE TABLE imports (
    id              bigserial PRIMARY KEY,
    kind            text NOT NULL CHECK (kind IN ('platforms', 'ledger', 'accounts')),
    target          text NOT NULL,
    platform_id     bigint REFERENCES platforms (id),
    year            integer CHECK (year BETWEEN 2000 AND 2100),
    -- The uploader's county when a county's staff member uploads (their data scope), else NULL.
    jurisdiction_id integer REFERENCES jurisdictions (id),
    file_name       text NOT NULL,
    sha256          text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    row_count       integer NOT NULL CHECK (row_count >= 0),
    -- The rows as read from the file (normalised cell texts by field), validated again on confirm.
    rows            jsonb NOT NULL,
    created_by      bigint NOT NULL REFERENCES users (id),
    created_at      timestamptz NOT NULL DEFAULT now(),
    imported_at     timestamptz,
    CHECK ((kind = 'ledger') = (platform_id IS NOT NULL AND year IS NOT NULL))
);

CREATE UNIQUE INDEX imports_done_key ON imports (target, sha256) WHERE imported_at IS NOT NULL;
CREATE INDEX imports_history ON imports (kind, imported_at DESC) WHERE imported_at IS NOT NULL;
