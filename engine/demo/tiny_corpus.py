"""The text the built-in tiny model's tokenizer learns its merges from.

Our own words: the prompt templates, the house methodology's rules and criterion ids, the
indicator names and the analysts' phrases, in Korean and English. A tokenizer that knows them
keeps the prompts short (about half the tokens of a byte-level reading).

`engine.llm.models` reads these lines from `engine/llm/tiny_corpus.json` (the model side does
not import the demo); `python -m engine.demo.tiny_corpus` writes that file again after the
prompts or the demo's text change (tests/test_models.py says when).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

from engine.data.metrics import INDICATORS
from engine.demo import text as demo_text
from engine.demo.house import house_methodology
from engine.llm import prompts
from engine.llm.models import TINY_CORPUS_FILE
from engine.methodology import iter_criteria, summary


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            yield from _strings(item)


def _module_strings(module: ModuleType) -> list[str]:
    return [s for name, v in vars(module).items() if name.isupper() for s in _strings(v)]


def corpus() -> list[str]:
    """Lines of project text, Korean and English, with numbers in the forms prompts show."""
    lines = _module_strings(prompts) + _module_strings(demo_text)
    for key, meta in INDICATORS.items():
        lines += [key, meta.label, meta.label_ko]
    for lang in ("ko", "en"):
        doc = house_methodology(lang)
        lines += [summary(doc, lang), prompts.system_message(doc, lang)]
        lines += [f"- {c['id']} {prompts.criterion_name(c, lang)}" for _, c in iter_criteria(doc)]
    lines += [
        '{"scores": {"sharpe_3y": 4, "ann_return_3y": 3, "esg": 5}, "grade": 4, "reasoning": "..."}',
        "<think>먼저 정량 지표를 확인한다.</think>",
        " ".join(f"{n / 100:.2f} {n / 10:.1f}% {n}" for n in range(-300, 301, 7)),
        "백분위 상위 하위 개월 억원 점 등급 기준일 설정일 순자산 percentile months KRW bn",
    ]
    return lines


def write(path: Path = TINY_CORPUS_FILE) -> Path:
    """Write `corpus()` as the JSON list `engine.llm.models` trains the tiny tokenizer on."""
    path.write_text(json.dumps(corpus(), ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    return path


if __name__ == "__main__":
    print(write(Path(sys.argv[1]) if len(sys.argv) > 1 else TINY_CORPUS_FILE))
