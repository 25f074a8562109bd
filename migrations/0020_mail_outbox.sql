-- Notices by e-mail as well as in the app (issue 14, part 2). Never edit this file once it has
-- landed: add a new migration instead.
--
-- Each account may have an e-mail address (set by the system admin) and may turn off the e-mail
-- copies of reminders (deadline reminders, overdue checklist items) — never of decisions
-- (returned, approved, assigned, published…), which always go out.
--
-- The outbox is transactional: a trigger on `notices` queues the e-mail in the same transaction
-- as the in-app notice, so every kind of notice, wherever it is written, is covered, and an
-- e-mail exists exactly when its notice does. One row per notice (each notice has one
-- recipient): `mail_outbox_once` means a notice is never queued twice. The sender
-- (src/mail.rs) claims due rows with FOR UPDATE SKIP LOCKED and marks them `sending` in the
-- claiming statement; a row is sent at most once (a row left `sending` by a crash is given up,
-- never re-sent).

ALTER TABLE users
    ADD COLUMN email text CHECK (email IS NULL OR (length(email) BETWEEN 3 AND 254 AND email LIKE '%_@_%')),
    ADD COLUMN mail_reminders boolean NOT NULL DEFAULT true;

CREATE TABLE mail_outbox (
    id              bigserial PRIMARY KEY,
    notice_id       bigint NOT NULL REFERENCES notices (id),
    user_id         bigint NOT NULL REFERENCES users (id),
    -- The address when the notice was written (a later change of address does not redirect it).
    to_address      text   NOT NULL,
    status          text   NOT NULL DEFAULT 'pending'
                           CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
    attempts        int    NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    claimed_at      timestamptz,
    delivered_at    timestamptz,
    -- The last failure: a Chinese summary, then the mail server's own words.
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT mail_outbox_once UNIQUE (notice_id)
);
CREATE INDEX mail_outbox_due_idx ON mail_outbox (next_attempt_at) WHERE status = 'pending';
CREATE INDEX mail_outbox_failed_idx ON mail_outbox (claimed_at DESC) WHERE status = 'failed';

-- Reminders are the notices a user may opt out of; everything else is a decision or an event.
CREATE FUNCTION kc_is_reminder(kind text) RETURNS boolean LANGUAGE sql IMMUTABLE AS
$$ SELECT kind LIKE 'deadline.%' OR kind LIKE 'overdue.%' $$;

CREATE FUNCTION kc_queue_mail() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO mail_outbox (notice_id, user_id, to_address)
    SELECT NEW.id, u.id, u.email
      FROM users u
     WHERE u.id = NEW.user_id AND u.email IS NOT NULL AND NOT u.disabled
       AND (u.mail_reminders OR NOT kc_is_reminder(NEW.kind))
    ON CONFLICT ON CONSTRAINT mail_outbox_once DO NOTHING;
    RETURN NULL;
END $$;

CREATE TRIGGER notices_queue_mail AFTER INSERT ON notices
    FOR EACH ROW EXECUTE FUNCTION kc_queue_mail();
