-- Analysts' feedback on AI grades (docs/review-format.md section 3): the audit trail.
-- Append-only: rows are inserted, never updated or deleted. The effective decision for a
-- (fund, as_of) is its latest non-comment row; `engine.feedback` reads it.

CREATE SEQUENCE feedback_seq START 1;

CREATE TABLE feedback (
    feedback_id   INTEGER   PRIMARY KEY DEFAULT nextval('feedback_seq'),
    fund_id       VARCHAR   NOT NULL,
    as_of         DATE      NOT NULL,
    evaluation_id VARCHAR,                      -- the AI evaluation the analyst reviewed
    action        VARCHAR   NOT NULL
                  CHECK (action IN ('accept_ai', 'keep_expert', 'correct', 'comment')),
    grade_before  INTEGER   CHECK (grade_before BETWEEN 1 AND 5),  -- the label before this action
    grade_after   INTEGER   CHECK (grade_after BETWEEN 1 AND 5),   -- after it (NULL for comment)
    ai_grade      INTEGER   CHECK (ai_grade BETWEEN 1 AND 5),
    reason        VARCHAR,
    comment       VARCHAR,
    weight        DOUBLE    NOT NULL DEFAULT 1.0 CHECK (weight >= 0),
    created_by    VARCHAR   NOT NULL,
    created_at    TIMESTAMP NOT NULL DEFAULT current_timestamp,
    CHECK (action <> 'correct' OR (grade_after IS NOT NULL AND length(trim(reason)) > 0)),
    CHECK (action = 'comment' OR grade_after IS NOT NULL OR action = 'keep_expert')
);

CREATE INDEX feedback_fund ON feedback (fund_id, as_of);
