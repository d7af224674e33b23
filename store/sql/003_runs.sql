-- Training runs: one row per run folder (runs/<run_id>/), written only by the app and the CLI.
-- The training process never opens this database: `engine.runs.sync` copies each folder's
-- status.json into `state`, `started_at`, `finished_at`, `message` and `final`.

CREATE TABLE runs (
    run_id              VARCHAR   PRIMARY KEY,            -- run-0001, run-0002, ...
    created_at          TIMESTAMP NOT NULL DEFAULT current_timestamp,
    model               VARCHAR   NOT NULL,               -- preset key, hub id or folder
    methodology_id      VARCHAR   NOT NULL,
    methodology_version INTEGER   NOT NULL,
    as_of               DATE      NOT NULL,               -- the expert ratings' date
    language            VARCHAR   NOT NULL CHECK (language IN ('ko', 'en')),
    snapshot_sha256     VARCHAR   NOT NULL,               -- content hash of the frozen dataset
    parent_run_id       VARCHAR,                          -- lineage (feedback retraining)
    config              VARCHAR   NOT NULL,               -- RunConfig as JSON
    state               VARCHAR   NOT NULL,               -- created|queued|running|stopping|stopped|finished|failed
    message             VARCHAR,
    started_at          TIMESTAMP,
    finished_at         TIMESTAMP,
    final               VARCHAR                           -- final figures as JSON (finished runs)
);
