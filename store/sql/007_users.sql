-- Users of the Streamlit app (docs: issue 9). Passwords are stored only as argon2id hashes
-- (argon2-cffi, PHC string with its own salt). Roles: analyst | admin | client; a client user
-- belongs to one client (clients.client_id, migration 006). Users are disabled, never deleted,
-- so every `created_by` elsewhere keeps naming someone.

CREATE TABLE users (
    user_name       VARCHAR   PRIMARY KEY,
    role            VARCHAR   NOT NULL CHECK (role IN ('analyst', 'admin', 'client')),
    client_id       VARCHAR,
    password_hash   VARCHAR   NOT NULL,
    disabled        BOOLEAN   NOT NULL DEFAULT false,
    failed_logins   INTEGER   NOT NULL DEFAULT 0,   -- consecutive; reset by a good log-in
    last_failed_at  TIMESTAMP,
    last_login_at   TIMESTAMP,
    password_set_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
    created_by      VARCHAR   NOT NULL,
    created_at      TIMESTAMP NOT NULL DEFAULT current_timestamp,
    CHECK ((role = 'client') = (client_id IS NOT NULL))
);

-- Who made each write the app records (runs, evaluations, feedback and methodology versions
-- already had such a column).
ALTER TABLE upload_log ADD COLUMN created_by VARCHAR;
ALTER TABLE runs ADD COLUMN created_by VARCHAR;
