"""Clients: live evaluation and the rules for users' passwords."""
