-- Who ran each fund since when: one row per (fund, manager start). A change is a start after the
-- fund's first one; the funds table's `manager` column stays the current manager as uploaded.

CREATE TABLE manager_history (
    fund_id    VARCHAR NOT NULL,
    manager    VARCHAR NOT NULL,
    start_date DATE    NOT NULL,
    PRIMARY KEY (fund_id, start_date)
);
