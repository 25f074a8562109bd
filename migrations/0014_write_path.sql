-- The one write path (src/web/write.rs): one-time form tokens and the data version.

-- A create/submit form carries a one-time token. The first submission claims it inside its
-- writing transaction; a parallel duplicate waits on the key and then finds it taken, a replay
-- finds it done: both are sent to the first one's result (`location`) and write nothing.
CREATE TABLE submissions (
    token       text PRIMARY KEY CHECK (length(token) BETWEEN 16 AND 64),
    user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    route       text NOT NULL,
    location    text,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX submissions_created_at ON submissions (created_at);

-- Advanced by every committed write (in its own transaction): caches key on it.
CREATE TABLE data_version (
    only_row    boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    version     bigint NOT NULL
);
INSERT INTO data_version (only_row, version) VALUES (true, 0);
