"""JSON Schemas shipped with the engine (draft 2020-12), read once and cached."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

SCHEMA_DIR = Path(__file__).resolve().parent


def schema_path(name: str) -> Path:
    """The file of schema `name` (e.g. "methodology")."""
    return SCHEMA_DIR / f"{name}.schema.json"


@cache
def load_schema(name: str) -> dict:
    """Schema `name` as a dict; callers must not modify it (it is shared)."""
    return json.loads(schema_path(name).read_text(encoding="utf-8"))
