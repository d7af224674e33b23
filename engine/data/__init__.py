"""Data: the kinds of upload, reading and checking files, ingest, returns and indicators."""
