-- Client institutions (위탁사), their funds, API keys, the API audit log, the model registry and
-- releases (docs/clients-format.md). Promotions, audit rows and releases are append-only: a
-- release and its frozen evaluation rows are never updated or deleted.

CREATE TABLE clients (
    client_id  VARCHAR PRIMARY KEY,                -- 'c-0001', sequential
    name       VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
    created_by VARCHAR NOT NULL,
    disabled   BOOLEAN NOT NULL DEFAULT false
);

CREATE TABLE client_funds (
    client_id VARCHAR NOT NULL,
    fund_id   VARCHAR NOT NULL,
    added_at  TIMESTAMP NOT NULL DEFAULT current_timestamp,
    added_by  VARCHAR NOT NULL,
    PRIMARY KEY (client_id, fund_id)
);

CREATE TABLE api_keys (
    key_id     VARCHAR PRIMARY KEY,                -- the public part of lgk_<key_id>_<secret>
    client_id  VARCHAR NOT NULL,
    salt       VARCHAR NOT NULL,                   -- hex, 16 random bytes
    key_hash   VARCHAR NOT NULL,                   -- hex SHA-256(salt + secret); the secret is never stored
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
    created_by VARCHAR NOT NULL,
    revoked_at TIMESTAMP,
    revoked_by VARCHAR
);

CREATE TABLE api_audit (
    called_at   TIMESTAMP NOT NULL,
    key_id      VARCHAR,                           -- NULL when no key was recognised
    client_id   VARCHAR,
    method      VARCHAR NOT NULL,
    path        VARCHAR NOT NULL,
    status      INTEGER NOT NULL,
    duration_ms DOUBLE
);

CREATE TABLE model_promotions (
    run_id    VARCHAR NOT NULL,
    state     VARCHAR NOT NULL CHECK (state IN ('draft', 'approved', 'retired')),
    client_id VARCHAR NOT NULL,                    -- a client id, or '*' for all clients
    promoted_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
    promoted_by VARCHAR NOT NULL,
    reason    VARCHAR NOT NULL,
    seq       INTEGER NOT NULL                     -- order of the rows (ties in promoted_at)
);

CREATE TABLE releases (
    client_id           VARCHAR NOT NULL,
    version             INTEGER NOT NULL,          -- 1, 2, ... per client
    run_id              VARCHAR NOT NULL,
    methodology_id      VARCHAR NOT NULL,
    methodology_version INTEGER NOT NULL,
    as_of               DATE NOT NULL,
    evaluation_id       VARCHAR NOT NULL,
    n_funds             INTEGER NOT NULL,
    published_at        TIMESTAMP NOT NULL DEFAULT current_timestamp,
    published_by        VARCHAR NOT NULL,
    note                VARCHAR,
    PRIMARY KEY (client_id, version)
);

CREATE TABLE release_evaluations (
    client_id    VARCHAR NOT NULL,
    version      INTEGER NOT NULL,
    fund_id      VARCHAR NOT NULL,
    fund_name    VARCHAR,
    category     VARCHAR,
    grade        INTEGER,
    scores       JSON,
    reasoning    VARCHAR,
    thinking     VARCHAR,
    evaluator    VARCHAR NOT NULL,
    parse_status VARCHAR NOT NULL,
    PRIMARY KEY (client_id, version, fund_id)
);
