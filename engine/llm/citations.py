"""Whether a number that a reasoning cites is one the prompt shows: the grounding check.

A fact (`engine.llm.prompts.render`: {"value", "text", "label"}) shows the numbers of its text
("15.3%", "-12.3%", "0.82", "82", "1,234억원", "KRW 123.4bn") with the text's decimals. Its value
shows the same number more precisely when it is the fraction behind a percentage (0.1234 behind
"12.3%" is 12.34) and another number when it is in other units (raw won behind "1,523억원"); a fact
without text shows its value.

A citation (`engine.llm.output.cited_numbers`) matches a number shown, d with k decimals, when
- it is d rounded to the decimals it is written with: |c - d| <= half a unit of its last digit
  (a whole number of 1,000 or more counts to its last non-zero digit: "1,200억" is hundreds);
- written with fewer decimals than k, the rounding moves d by at most ROUNDING_SHARE (5 %) of
  its size, as an analyst rounds: 15.3% as "15%", 0.82 as "0.8", 1,234억원 as "1,200억원", but
  not 0.82 as "1", 15.3% as "0" or "20%", -12.3% as "0%"; a fact of exactly 0 allows "0";
- its sign agrees: "-12.3%", "−12%" for -12.3%, "+15.3%" for 15.3%; a number without a sign is
  positive. The one exception is a drawdown, which analysts write as its size beside the word
  ("최대낙폭 12.3%", "a maximum drawdown of 12.3%"): a number without a sign right after
  낙폭 / drawdown / MDD matches a negative drawdown fact by its size ("+12.3%" does not).

A citation is read as written; for a percentage fact also as a fraction ("0.153" is 15.3%, and
"0.15" is 15% written to a whole percent); for a fact without text a percentage is also read as
a fraction ("12.3%" against 0.123); "상위 18%" / "top 18%" also reads as the percentile 82.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from engine.llm.output import NUMBER_RE, TOPIC_PATTERNS, read_number

ROUNDING_SHARE = 0.05  # the most a coarser rounding may move a number, as a share of its size
EPSILON = 1e-9
MAX_DECIMALS = 6
ROUND_THOUSANDS = 1000  # from here a whole number's trailing zeros are rounding ("1,200억")
PERCENT = 100.0
DRAWDOWN = "max_drawdown"


@dataclass(frozen=True)
class Shown:
    """One number a fact shows: `number` with `decimals` decimals; `percent` when the fact's
    text is a percentage, `textless` when the fact has no text (its value is all it shows)."""

    number: float
    decimals: int
    fact: dict  # the fact with its "key"
    percent: bool = False
    textless: bool = False


def _decimals(value: float) -> int:
    """The decimals a bare value is written with (0.82 -> 2, 4.0 -> 0), at most MAX_DECIMALS."""
    text = f"{value:.{MAX_DECIMALS}f}".rstrip("0")
    return len(text) - text.index(".") - 1


def _within(gap: float, decimals: int) -> bool:
    return gap <= 0.5 * 10.0**-decimals + EPSILON


def shown_numbers(facts: dict) -> list[Shown]:
    """Every number the facts show (see the module doc), each with the fact it belongs to."""
    out = []
    for key, raw in facts.items():
        fact = {"key": key, **(raw if isinstance(raw, dict) else {"value": raw})}
        text = str(fact.get("text") or "")
        percent = "%" in text
        numbers = [read_number(m) for m in NUMBER_RE.finditer(text)]
        out += [Shown(number, decimals, fact, percent) for number, decimals in numbers]
        value = fact.get("value")
        if not isinstance(value, int | float) or isinstance(value, bool):
            continue
        if not math.isfinite(value):
            continue
        value = float(value)
        if not numbers:
            out.append(Shown(value, _decimals(value), fact, textless=True))
            continue
        first, decimals = numbers[0]
        if percent and _within(abs(value * PERCENT - first), decimals):
            out.append(Shown(value * PERCENT, decimals, fact, percent))  # the fraction's digits
        elif _within(abs(value - first), decimals):
            if value != first:
                out.append(Shown(value, decimals, fact, percent))
        else:
            out.append(Shown(value, _decimals(value), fact))  # other units (raw won)
    return out


def about(topics: tuple[str, ...], shown: list[Shown]) -> list[Shown]:
    """The numbers of facts about one of `topics` (by fact key or label); all without topics."""
    if not topics:
        return shown
    return [s for s in shown if any(TOPIC_PATTERNS[t].search(_words(s.fact)) for t in topics)]


def _words(fact: dict) -> str:
    return f"{fact['key']} {fact.get('label') or ''}"


def _written_decimals(cited: dict) -> int:
    """The decimals a citation is written to; negative for a rounded whole number ("1,200")."""
    decimals, value = cited["decimals"], abs(cited["value"])
    if decimals or value < ROUND_THOUSANDS or value != int(value):
        return decimals
    whole = int(value)
    zeros = len(str(whole)) - len(str(whole).rstrip("0"))
    return -zeros


def _readings(cited: dict, shown: Shown) -> list[tuple[float, int]]:
    """(value, decimals) for each way the citation may be read against this number."""
    value, decimals = cited["value"], _written_decimals(cited)
    out = [(value, decimals)]
    if shown.percent and not cited["pct"]:
        out.append((value * PERCENT, decimals - 2))
    if shown.textless and cited["pct"]:
        out.append((value / PERCENT, decimals + 2))
    if cited["top"]:
        out.append((PERCENT - abs(value), decimals))
    return out


def _as_size(cited: dict, shown: Shown) -> bool:
    """Whether an unsigned citation of a negative drawdown reads as the drawdown's size."""
    return (
        not cited["signed"]
        and shown.number < 0
        and DRAWDOWN in cited["topics"]
        and bool(TOPIC_PATTERNS[DRAWDOWN].search(_words(shown.fact)))
    )


def matches(cited: dict, shown: Shown) -> bool:
    """Whether the citation is this number as shown or as an analyst rounds it (module doc)."""
    target = abs(shown.number) if _as_size(cited, shown) else shown.number
    for value, decimals in _readings(cited, shown):
        gap = abs(value - target)
        if not _within(gap, decimals):
            continue
        if decimals >= shown.decimals or gap <= ROUNDING_SHARE * abs(target) + EPSILON:
            return True
    return False


def nearest(cited: dict, shown: list[Shown]) -> dict | None:
    """The fact whose number is closest (relatively, sizes only) to a citation that matched none."""
    best, best_gap = None, math.inf
    for s in shown:
        for value, _ in _readings(cited, s):
            gap = abs(abs(value) - abs(s.number)) / max(abs(s.number), EPSILON)
            if gap < best_gap:
                best, best_gap = s.fact, gap
    return best
