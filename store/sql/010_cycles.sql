-- Rating cycles (docs/rating-cycle.md): every eligible fund graded at a month-end by one model,
-- with the rule scorer and the tabular baseline beside it, routed to the analysts or rated by the
-- model. A cycle's header is written when it starts; its grades and its "finished" state in one
-- transaction at the end, so a crash never leaves half a cycle. Releases made from a cycle name
-- it, and each of their rows says where its grade comes from.

CREATE TABLE cycles (
    cycle_id            VARCHAR PRIMARY KEY,      -- 'cycle-0001', sequential
    as_of               DATE NOT NULL,
    model               VARCHAR NOT NULL,         -- rules | run:<run_id>
    run_id              VARCHAR,                  -- the model's run (NULL for rules)
    methodology_id      VARCHAR NOT NULL,
    methodology_version INTEGER NOT NULL,
    state               VARCHAR NOT NULL CHECK (state IN ('running', 'finished', 'failed')),
    params              JSON,                     -- samples, routing thresholds, language, clients
    evaluation_id       VARCHAR,                  -- the model's answers (a language-model cycle)
    n_funds             INTEGER,
    n_routed            INTEGER,
    message             VARCHAR,
    created_by          VARCHAR NOT NULL,
    created_at          TIMESTAMP NOT NULL DEFAULT current_timestamp,
    finished_at         TIMESTAMP,
    UNIQUE (as_of, model, methodology_id, methodology_version)
);

CREATE TABLE cycle_grades (
    cycle_id        VARCHAR NOT NULL,
    fund_id         VARCHAR NOT NULL,
    fund_name       VARCHAR,
    category        VARCHAR,
    model_grade     INTEGER CHECK (model_grade BETWEEN 1 AND 5),    -- NULL: invalid answer
    rules_grade     INTEGER CHECK (rules_grade BETWEEN 1 AND 5),
    tabular_grade   INTEGER CHECK (tabular_grade BETWEEN 1 AND 5),
    self_agreement  DOUBLE,                   -- share of the k samples giving the greedy grade
    samples         INTEGER NOT NULL,
    invalid         BOOLEAN NOT NULL,
    route           VARCHAR NOT NULL CHECK (route IN ('analyst', 'model')),
    route_reasons   VARCHAR[] NOT NULL,       -- invalid | rules_gap | self_agreement
    expert_grade    INTEGER,                  -- latest expert rating on or before as_of
    expert_as_of    DATE,
    analyst_grade   INTEGER CHECK (analyst_grade BETWEEN 1 AND 5),  -- decided at as_of
    analyst_by      VARCHAR,
    final_grade     INTEGER CHECK (final_grade BETWEEN 1 AND 5),
    source          VARCHAR NOT NULL CHECK (source IN ('analyst-reviewed', 'model-rated', 'rules')),
    model_scores    JSON,
    model_reasoning VARCHAR,
    rules_scores    JSON,
    PRIMARY KEY (cycle_id, fund_id)
);

ALTER TABLE releases ADD COLUMN cycle_id VARCHAR;          -- NULL: published from an evaluation
ALTER TABLE releases ALTER COLUMN run_id DROP NOT NULL;    -- NULL: a rules cycle, no model run
ALTER TABLE releases ALTER COLUMN evaluation_id DROP NOT NULL;
ALTER TABLE release_evaluations ADD COLUMN source VARCHAR; -- NULL (older rows): model-rated
