-- Fund universe, market data, expert judgement and the upload log.

CREATE TABLE meta (
    key   VARCHAR PRIMARY KEY,
    value VARCHAR NOT NULL
);

CREATE TABLE companies (
    company_id VARCHAR PRIMARY KEY,   -- the management company (운용사) as named in the fund file
    name       VARCHAR NOT NULL
);

CREATE TABLE benchmarks (
    benchmark_id VARCHAR PRIMARY KEY,
    name         VARCHAR
);

CREATE TABLE benchmark_levels (
    benchmark_id VARCHAR NOT NULL,
    date         DATE    NOT NULL,
    level        DOUBLE  NOT NULL CHECK (level > 0),
    PRIMARY KEY (benchmark_id, date)
);

CREATE TABLE funds (
    fund_id        VARCHAR PRIMARY KEY,
    fund_name      VARCHAR NOT NULL,
    category       VARCHAR,
    company_id     VARCHAR,
    manager        VARCHAR,
    inception_date DATE,
    currency       VARCHAR,
    benchmark_id   VARCHAR,
    expense_ratio  DOUBLE,           -- % per year
    aum            DOUBLE
);

CREATE TABLE nav (
    fund_id VARCHAR NOT NULL,
    date    DATE    NOT NULL,
    nav     DOUBLE  NOT NULL CHECK (nav > 0),   -- distribution-adjusted NAV per share
    PRIMARY KEY (fund_id, date)
);

CREATE TABLE risk_free (
    date DATE PRIMARY KEY,
    rate DOUBLE NOT NULL              -- annual %, simple
);

CREATE TABLE ratings (
    fund_id VARCHAR NOT NULL,
    as_of   DATE    NOT NULL,
    grade   INTEGER NOT NULL CHECK (grade BETWEEN 1 AND 5),   -- 5 is best
    analyst VARCHAR,
    comment VARCHAR,
    PRIMARY KEY (fund_id, as_of)
);

CREATE TABLE rating_scores (
    fund_id      VARCHAR NOT NULL,
    as_of        DATE    NOT NULL,
    criterion_id VARCHAR NOT NULL,
    score        DOUBLE  NOT NULL,
    PRIMARY KEY (fund_id, as_of, criterion_id)
);

CREATE TABLE qualitative (
    subject_id   VARCHAR NOT NULL,    -- a fund_id or a company_id
    subject_kind VARCHAR NOT NULL CHECK (subject_kind IN ('fund', 'company')),
    as_of        DATE    NOT NULL,
    criterion_id VARCHAR NOT NULL,
    score        INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
    note         VARCHAR,
    PRIMARY KEY (subject_id, as_of, criterion_id)
);

CREATE SEQUENCE upload_log_seq START 1;

CREATE TABLE upload_log (
    upload_id   INTEGER PRIMARY KEY DEFAULT nextval('upload_log_seq'),
    file_name   VARCHAR NOT NULL,
    sha256      VARCHAR NOT NULL,
    kind        VARCHAR,
    encoding    VARCHAR,
    rows        INTEGER NOT NULL DEFAULT 0,
    inserted    INTEGER NOT NULL DEFAULT 0,
    replaced    INTEGER NOT NULL DEFAULT 0,
    unchanged   INTEGER NOT NULL DEFAULT 0,
    outcome     VARCHAR NOT NULL CHECK (outcome IN ('ok', 'refused')),
    message     VARCHAR,
    source      VARCHAR NOT NULL DEFAULT 'cli',
    uploaded_at TIMESTAMP NOT NULL DEFAULT current_timestamp
);
