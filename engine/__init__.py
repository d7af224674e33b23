"""Domain logic: ingest, indicators, demo data, methodology, training, evaluation. No UI here."""
