-- Rating methodologies: immutable numbered versions, and which version is active per client.

CREATE TABLE methodologies (
    methodology_id VARCHAR   NOT NULL,
    version        INTEGER   NOT NULL CHECK (version >= 1),
    name           VARCHAR   NOT NULL,
    language       VARCHAR   NOT NULL CHECK (language IN ('ko', 'en')),
    client         VARCHAR,                       -- the client (위탁사) it is written for; NULL = any
    body           VARCHAR   NOT NULL,            -- the JSON document, version included
    sha256         VARCHAR   NOT NULL,            -- of the canonical body without "version"
    source_file    VARCHAR,                       -- e.g. the PDF it was extracted from
    note           VARCHAR,
    created_by     VARCHAR   NOT NULL,
    created_at     TIMESTAMP NOT NULL DEFAULT current_timestamp,
    PRIMARY KEY (methodology_id, version)
);

CREATE TABLE methodology_active (
    client         VARCHAR   PRIMARY KEY,         -- '*' = the default for every client
    methodology_id VARCHAR   NOT NULL,
    version        INTEGER   NOT NULL,
    set_by         VARCHAR   NOT NULL,
    set_at         TIMESTAMP NOT NULL DEFAULT current_timestamp,
    FOREIGN KEY (methodology_id, version) REFERENCES methodologies (methodology_id, version)
);
