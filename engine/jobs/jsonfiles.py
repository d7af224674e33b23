"""The files two processes share: strict JSON replaced atomically, read back with a retry, and
the ISO time stamps written into them. Light on purpose: no torch, no DuckDB."""

from __future__ import annotations

import json
import math
import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

READ_ATTEMPTS = 3
READ_PAUSE_S = 0.05


def now_iso() -> str:
    """The current time, UTC, ISO 8601 with seconds."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def parse_time(text: str | None) -> float | None:
    """Seconds since the epoch from `now_iso` text (None for none)."""
    if not text:
        return None
    return datetime.fromisoformat(text).timestamp()


def clean_json(value: Any) -> Any:
    """`value` with NaN/inf as None and numpy/torch scalars as Python numbers (strict JSON)."""
    if isinstance(value, dict):
        return {str(k): clean_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean_json(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    item = getattr(value, "item", None)
    if callable(item):
        return clean_json(item())
    return str(value)


def write_text_atomic(path: Path, text: str) -> None:
    """Write `text` to a private temporary file and rename it over `path` (readers see the old
    file or the new one, never a part)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write_json_atomic(path: Path, data: Any) -> None:
    """`data` as strict JSON at `path`, replaced atomically."""
    write_text_atomic(path, json.dumps(clean_json(data), ensure_ascii=False, indent=1))


def read_json(path: Path, missing: Any = None) -> Any:
    """The JSON at `path` (`missing` when there is no file), read again after a short pause
    when it does not parse: files are replaced atomically, so a bad read is a passing glitch
    (another file system, a foreign writer); after READ_ATTEMPTS the error stands."""
    for _ in range(READ_ATTEMPTS - 1):
        try:
            return _load(path, missing)
        except json.JSONDecodeError:
            time.sleep(READ_PAUSE_S)
    return _load(path, missing)


def _load(path: Path, missing: Any) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return missing
