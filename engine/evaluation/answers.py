"""An evaluation answer read into result columns: grade, scores, reasoning, parse status."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from engine.llm.rewards import parse_output, validate_output
from engine.methodology.core import GRADES


def read_answer(text: str, criterion_ids: Sequence[str] | None = None) -> dict[str, Any]:
    """An answer as result columns: grade (None unless an integer 1-5), scores {criterion: 1-5},
    reasoning, thinking, parse_status ok|invalid and parse_error (why it is invalid; for a usable
    answer, what else the output format check found wrong, None when nothing)."""
    parsed = parse_output(text)
    data = parsed.data
    base = {"thinking": parsed.thinking, "raw_output": text}
    if data is None:
        return {
            **base,
            "grade": None,
            "scores": None,
            "reasoning": None,
            "parse_status": "invalid",
            "parse_error": parsed.error,
        }
    grade = data.get("grade")
    usable = (
        isinstance(grade, int | float)
        and not isinstance(grade, bool)
        and grade == int(grade)
        and int(grade) in GRADES
    )
    scores = data.get("scores") if isinstance(data.get("scores"), dict) else {}
    kept = {
        str(k): int(v)
        for k, v in scores.items()
        if isinstance(v, int | float) and not isinstance(v, bool) and v == int(v) and v in GRADES
    }
    reasoning = data.get("reasoning")
    problems = validate_output(data, criterion_ids)
    return {
        **base,
        "grade": int(grade) if usable else None,
        "scores": json.dumps(kept, ensure_ascii=False) if kept else None,
        "reasoning": reasoning if isinstance(reasoning, str) else None,
        "parse_status": "ok" if usable else "invalid",
        "parse_error": "; ".join(problems) if problems else (None if usable else "no grade 1-5"),
    }
