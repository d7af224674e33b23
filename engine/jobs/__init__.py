"""Background jobs: what training and evaluation processes share."""
