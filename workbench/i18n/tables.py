"""The text tables, one per page or area, and `TEXT`: all of them as one key -> (Korean, English).

A key lives in exactly one table (tests/test_i18n.py checks it), so merging loses nothing.
"""

from __future__ import annotations

from types import ModuleType

from workbench.i18n import (
    admin,
    auth,
    client,
    common,
    cycle,
    data,
    home,
    methodology,
    review,
    runs,
    training,
    validation,
)

_AREAS: tuple[ModuleType, ...] = (
    common,
    home,
    data,
    methodology,
    training,
    runs,
    validation,
    review,
    cycle,
    auth,
    admin,
    client,
)

# area (module name) -> its table
TABLES: dict[str, dict[str, tuple[str, str]]] = {
    area.__name__.rsplit(".", 1)[-1]: area.TEXT for area in _AREAS
}

TEXT: dict[str, tuple[str, str]] = {
    key: pair for table in TABLES.values() for key, pair in table.items()
}
