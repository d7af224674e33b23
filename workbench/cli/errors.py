"""The CLI's one error for bad requests, and its exit statuses."""

EXIT_BAD_INPUT = 2
EXIT_UNEXPECTED = 1


class CliError(Exception):
    """A bad request from the user: printed as one line, exit status 2."""
