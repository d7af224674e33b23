-- API audit: the caller's address, and how many calls a row stands for. Calls without a
-- verified key are summed into one row per minute, address and status (docs/clients-format.md
-- section 6); a call with a verified key stays one row (calls = 1).

ALTER TABLE api_audit ADD COLUMN address VARCHAR;
ALTER TABLE api_audit ADD COLUMN calls INTEGER DEFAULT 1;
