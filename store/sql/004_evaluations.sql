-- Evaluations (docs/review-format.md section 1): one row per evaluation of a set of funds by
-- one evaluator, and one row per (fund, sample) answer. Written only by the app and the CLI:
-- rules and tabular evaluators inline, language-model evaluators when `engine.evaluation.sync`
-- imports a finished background job's results.parquet (the job never opens this database).

CREATE TABLE evaluations (
    evaluation_id       VARCHAR PRIMARY KEY,      -- 'eval-0001', sequential
    evaluator           VARCHAR NOT NULL,         -- rules | tabular:<run> | base:<model> | sft:<run> | run:<run>
    evaluator_kind      VARCHAR NOT NULL,         -- rules | tabular | base | sft | model
    run_id              VARCHAR,                  -- the training run it comes from, if any
    methodology_id      VARCHAR NOT NULL,
    methodology_version INTEGER NOT NULL,
    as_of               DATE NOT NULL,
    selection           VARCHAR NOT NULL,         -- all | category:<name> | test:<run_id> | funds:<n>
    samples             INTEGER NOT NULL DEFAULT 1,  -- k generations per fund (self-consistency)
    state               VARCHAR NOT NULL,         -- queued | running | finished | failed | stopped
    n_funds             INTEGER,
    settings            JSON,                     -- decoding settings, device, model folder
    summary             JSON,                     -- agreement vs expert when finished
    created_by          VARCHAR NOT NULL,
    created_at          TIMESTAMP NOT NULL DEFAULT current_timestamp,
    finished_at         TIMESTAMP,
    message             VARCHAR
);

CREATE TABLE evaluation_results (
    evaluation_id VARCHAR NOT NULL,
    fund_id       VARCHAR NOT NULL,
    sample        INTEGER NOT NULL,               -- 0 = the greedy answer; 1..k-1 sampled
    grade         INTEGER,                        -- NULL when the output is invalid
    scores        JSON,                           -- {criterion_id: 1..5}
    reasoning     VARCHAR,
    thinking      VARCHAR,
    raw_output    VARCHAR,
    parse_status  VARCHAR NOT NULL,               -- ok | invalid
    parse_error   VARCHAR,
    latency_ms    DOUBLE,
    PRIMARY KEY (evaluation_id, fund_id, sample)
);
