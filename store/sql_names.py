"""The one way a column or table name enters SQL text: canonical, allow-listed, quoted.

Names that came from outside (file headers, sheet names, form fields, requests) never reach
SQL text; code maps them to canonical names first. This module refuses anything else, so a
mistake fails loudly instead of becoming an injection.
"""

from __future__ import annotations

import re

_CANONICAL = re.compile(r"[a-z][a-z0-9_]{0,79}")


class UnsafeNameError(ValueError):
    """A name that is not a canonical identifier was about to be written into SQL."""


def quote_name(name: str) -> str:
    """`name` double-quoted for SQL, if it is a canonical identifier (lower-case, [a-z0-9_])."""
    if not isinstance(name, str) or not _CANONICAL.fullmatch(name):
        raise UnsafeNameError(f"not a canonical SQL name: {name!r}")
    return f'"{name}"'


def quote_names(names: list[str] | tuple[str, ...]) -> str:
    """Several canonical names, quoted and comma-separated."""
    return ", ".join(quote_name(n) for n in names)
