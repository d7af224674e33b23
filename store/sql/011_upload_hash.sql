-- An unchanged re-upload is recognised by its content key: the sha256 of the file's sha256, the
-- kind asked for and the sheet. NULL on older rows, which are never matched.
ALTER TABLE upload_log ADD COLUMN content_key VARCHAR;
