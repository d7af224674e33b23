"""Field-level differences between two methodology documents (`diff`), e.g. two saved versions."""

from __future__ import annotations

from typing import Any

from engine.methodology.core import json_path


def _keyed(items: list) -> bool:
    ids = [item.get("id") if isinstance(item, dict) else None for item in items]
    return all(isinstance(i, str) for i in ids) and len(set(ids)) == len(ids)


def _same(a: Any, b: Any) -> bool:
    return a == b and isinstance(a, bool) == isinstance(b, bool)


def _diff(a: Any, b: Any, parts: list, out: list[dict]) -> None:
    def add(change: str, where: list, old: Any, new: Any) -> None:
        out.append({"path": json_path(where), "change": change, "old": old, "new": new})

    if isinstance(a, dict) and isinstance(b, dict):
        for key in list(a) + [k for k in b if k not in a]:
            if not parts and key == "version":
                continue
            if key not in b:
                add("removed", parts + [key], a[key], None)
            elif key not in a:
                add("added", parts + [key], None, b[key])
            else:
                _diff(a[key], b[key], parts + [key], out)
    elif isinstance(a, list) and isinstance(b, list) and a and b and _keyed(a) and _keyed(b):
        old_at = {item["id"]: k for k, item in enumerate(a)}
        new_ids = {item["id"] for item in b}
        for k, item in enumerate(a):
            if item["id"] not in new_ids:
                add("removed", parts + [k], item, None)
        for k, item in enumerate(b):
            if item["id"] in old_at:
                _diff(a[old_at[item["id"]]], item, parts + [k], out)
            else:
                add("added", parts + [k], None, item)
        common_old = [item["id"] for item in a if item["id"] in new_ids]
        common_new = [item["id"] for item in b if item["id"] in old_at]
        if common_old != common_new:
            add("reordered", parts, common_old, common_new)
    elif isinstance(a, list) and isinstance(b, list):
        for k in range(max(len(a), len(b))):
            if k >= len(b):
                add("removed", parts + [k], a[k], None)
            elif k >= len(a):
                add("added", parts + [k], None, b[k])
            else:
                _diff(a[k], b[k], parts + [k], out)
    elif not _same(a, b):
        add("changed", parts, a, b)


def diff(a: dict, b: dict) -> list[dict]:
    """Field-level differences from `a` to `b`: dicts {path, change, old, new}.

    change is "added", "removed", "changed" or "reordered" (a list of sections or criteria
    whose common ids changed order). Sections and criteria are matched by id, other lists by
    position; paths index into `b` (into `a` for removed items). The top-level version is not
    compared.
    """
    out: list[dict] = []
    _diff(a, b, [], out)
    return out
