-- Failed log-ins, counted per typed name and client address (scope 'name') and per client
-- address over all names (scope 'address', user_name ''). A name need not exist: an unknown
-- name is throttled exactly like a known one, so the throttle does not reveal which users exist.
-- Rows whose last failure is older than the policy's forget time are pruned.

CREATE TABLE login_failures (
    scope          VARCHAR   NOT NULL CHECK (scope IN ('name', 'address')),
    address        VARCHAR   NOT NULL,
    user_name      VARCHAR   NOT NULL,
    failures       INTEGER   NOT NULL,
    last_failed_at TIMESTAMP NOT NULL,
    PRIMARY KEY (scope, address, user_name)
);
