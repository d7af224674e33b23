"""Clients: institutions and their API keys, users and log-ins, the model registry, releases,
live evaluation, and the rules for each (the rows are store/'s)."""
