"""The methodology format: schema and semantic checks with JSON paths, loading, summary, the
criteria table, diffs, and immutable versions in the store."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import store.db as db
from engine import methodology as m
from engine.methodology import MethodologyError, Problem
from engine.schemas import load_schema, schema_path
from store import methodologies as stored
from store.db import connect, schema_version
from store.home import Home

BANDS = [
    {"min_pct": 90, "score": 5},
    {"min_pct": 67.5, "score": 4},
    {"min_pct": 32.5, "score": 3},
    {"min_pct": 10, "score": 2},
    {"min_pct": 0, "score": 1},
]
GRADES = [{"grade": b["score"], "min_pct": b["min_pct"]} for b in BANDS]


def _doc() -> dict:
    """A valid methodology using every measure type and scoring method."""
    return {
        "id": "house",
        "name": "하우스 펀드평가 방법론",
        "name_en": "House fund-rating methodology",
        "language": "ko",
        "client": None,
        "eligibility": {
            "min_track_record_months": 36,
            "min_aum": 10_000_000_000,
            "categories": ["국내주식형", "국내채권형"],
        },
        "sections": [
            {
                "id": "quantitative",
                "kind": "quantitative",
                "name_ko": "정량평가",
                "name_en": "Quantitative",
                "weight": 60,
                "criteria": [
                    {
                        "id": "sharpe_3y",
                        "name_ko": "샤프지수(3년)",
                        "name_en": "Sharpe ratio (3y)",
                        "weight": 50,
                        "measure": {"type": "indicator", "indicator": "sharpe", "window": "3y"},
                        "direction": "higher_is_better",
                        "scoring": {"method": "percentile_bands", "bands": copy.deepcopy(BANDS)},
                    },
                    {
                        "id": "vol_3y",
                        "name_ko": "변동성(3년)",
                        "name_en": "Volatility (3y)",
                        "weight": 30,
                        "measure": {"type": "indicator", "indicator": "volatility", "window": "3y"},
                        "direction": "lower_is_better",
                        "scoring": {
                            "method": "thresholds",
                            "thresholds": [
                                {"max": 0.1, "score": 5},
                                {"max": 0.2, "score": 3},
                                {"max": None, "score": 1},
                            ],
                        },
                    },
                    {
                        "id": "sortino_5y",
                        "name_ko": "소르티노(5년)",
                        "name_en": "Sortino ratio (5y)",
                        "weight": 20,
                        "measure": {
                            "type": "indicator",
                            "indicator": "sortino",
                            "window": "5y",
                            "fallback_window": "3y",
                        },
                        "scoring": {
                            "method": "thresholds",
                            "thresholds": [
                                {"min": 1.0, "score": 5},
                                {"min": 0, "score": 3},
                                {"min": None, "score": 1},
                            ],
                        },
                    },
                ],
            },
            {
                "id": "qualitative",
                "kind": "qualitative",
                "name_ko": "정성평가",
                "name_en": "Qualitative",
                "weight": 25,
                "criteria": [
                    {
                        "id": "process",
                        "name_ko": "운용프로세스",
                        "weight": 100,
                        "measure": {"type": "qualitative", "criterion": "philosophy_process"},
                        "scoring": {"method": "qualitative"},
                    }
                ],
            },
            {
                "id": "company",
                "kind": "company",
                "name_ko": "운용사평가",
                "name_en": "Management company",
                "weight": 15,
                "criteria": [
                    {
                        "id": "org",
                        "name_en": "Organisation",
                        "weight": 100,
                        "measure": {"type": "qualitative", "criterion": "company_organisation"},
                        "scoring": {"method": "qualitative"},
                        "x-source": {"page": 3, "text": "조직 안정성 100%"},
                    }
                ],
            },
        ],
        "grade_scale": {"method": "percentile", "bands": copy.deepcopy(GRADES)},
        "x-extracted-from": "house.pdf",
    }


def _crit(doc: dict, section: int, criterion: int) -> dict:
    return doc["sections"][section]["criteria"][criterion]


# ---------------------------------------------------------------- schema and semantic checks


def test_schema_file_is_a_draft_2020_12_schema_with_id_and_descriptions() -> None:
    schema = json.loads(schema_path("methodology").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] and schema["description"]
    assert schema == load_schema("methodology")
    undocumented = [
        name
        for name, sub in schema["properties"].items()
        if name != "$schema" and "description" not in sub and "$ref" not in sub
    ]
    assert undocumented == []


def test_example_and_blank_documents_are_valid() -> None:
    assert m.validate(_doc()) == []
    assert m.validate(m.blank("ko")) == []
    assert m.validate(m.blank("en")) == []
    assert m.check(_doc()) == _doc()


def _set(path: list, value) -> Callable[[dict], None]:
    def apply(doc: dict) -> None:
        target = doc
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = value

    return apply


def _delete(path: list) -> Callable[[dict], None]:
    def apply(doc: dict) -> None:
        target = doc
        for part in path[:-1]:
            target = target[part]
        del target[path[-1]]

    return apply


Q = ["sections", 0, "criteria"]  # the quantitative criteria
SEMANTIC_CASES = [
    (_set(["sections", 0, "weight"], 50), "$.sections", "section weights sum to 90, not 100"),
    (
        _set(Q + [1, "weight"], 25),
        "$.sections[0].criteria",
        "criterion weights of section 'quantitative' sum to 95, not 100",
    ),
    (
        _set(["sections", 1, "criteria", 0, "id"], "sharpe_3y"),
        "$.sections[1].criteria[0].id",
        "criterion id 'sharpe_3y' is already used at $.sections[0].criteria[0].id",
    ),
    (
        _set(["sections", 2, "id"], "quantitative"),
        "$.sections[2].id",
        "section id 'quantitative' is already used at $.sections[0].id",
    ),
    (
        _set(Q + [0, "scoring", "bands", 2, "min_pct"], 70),
        "$.sections[0].criteria[0].scoring.bands[2].min_pct",
        "must be below the band above (67.5)",
    ),
    (
        _set(Q + [0, "scoring", "bands", 4, "min_pct"], 5),
        "$.sections[0].criteria[0].scoring.bands[4].min_pct",
        "the last band must start at 0",
    ),
    (
        _set(Q + [0, "scoring", "bands", 2, "score"], 5),
        "$.sections[0].criteria[0].scoring.bands[2].score",
        "list bands from best to worst",
    ),
    (
        _set(Q + [1, "scoring", "thresholds", 2, "max"], 0.5),
        "$.sections[0].criteria[1].scoring.thresholds[2].max",
        "the last threshold must be null so every value scores",
    ),
    (
        _set(Q + [1, "scoring", "thresholds", 0, "max"], None),
        "$.sections[0].criteria[1].scoring.thresholds[0].max",
        "only the last threshold may be null",
    ),
    (
        _set(Q + [1, "scoring", "thresholds", 1, "max"], 0.05),
        "$.sections[0].criteria[1].scoring.thresholds[1].max",
        "must be above the threshold above (0.1)",
    ),
    (
        _set(Q + [2, "scoring", "thresholds", 1, "min"], 2.0),
        "$.sections[0].criteria[2].scoring.thresholds[1].min",
        "must be below the threshold above (1)",
    ),
    (
        _set(Q + [1, "direction"], "higher_is_better"),
        "$.sections[0].criteria[1].scoring.thresholds[0].max",
        "a higher_is_better threshold uses 'min', not 'max'",
    ),
    (
        _delete(Q + [1, "scoring", "thresholds", 1, "max"]),
        "$.sections[0].criteria[1].scoring.thresholds[1]",
        "needs 'max' (null on the last threshold)",
    ),
    (
        _set(Q + [0, "measure", "indicator"], "sharp"),
        "$.sections[0].criteria[0].measure.indicator",
        "unknown indicator 'sharp'",
    ),
    (
        _set(Q + [0, "measure", "window"], "2y"),
        "$.sections[0].criteria[0].measure.window",
        "unknown window '2y' (1y, 3y, 5y)",
    ),
    (
        _set(Q + [2, "measure", "fallback_window"], "5y"),
        "$.sections[0].criteria[2].measure.fallback_window",
        "the fallback is the window itself",
    ),
    (
        _set(
            ["sections", 1, "criteria", 0, "scoring"],
            {"method": "percentile_bands", "bands": BANDS},
        ),
        "$.sections[1].criteria[0].scoring.method",
        "a qualitative measure is scored with method 'qualitative'",
    ),
    (
        _set(Q + [0, "scoring"], {"method": "qualitative"}),
        "$.sections[0].criteria[0].scoring.method",
        "method 'qualitative' needs a qualitative measure",
    ),
    (
        _set(["sections", 1, "criteria", 0, "direction"], "lower_is_better"),
        "$.sections[1].criteria[0].direction",
        "a qualitative score is always higher_is_better",
    ),
    (
        _set(["grade_scale", "bands", 1, "grade"], 5),
        "$.grade_scale.bands[1].grade",
        "grade 5 appears twice",
    ),
    (
        _set(["grade_scale", "bands", 1, "grade"], 5),
        "$.grade_scale.bands",
        "grade 4 missing: each of 1-5 appears once",
    ),
    (
        _delete(["grade_scale", "bands", 4]),
        "$.grade_scale.bands",
        "grade 1 missing",
    ),
    (
        _set(["grade_scale", "bands"], list(reversed(GRADES))),
        "$.grade_scale.bands[1].grade",
        "list grades from 5 down to 1",
    ),
    (
        _set(["grade_scale", "bands", 3, "min_pct"], 40),
        "$.grade_scale.bands[3].min_pct",
        "must be below the band above (32.5)",
    ),
    (
        _set(["grade_scale", "bands", 4, "min_pct"], 1),
        "$.grade_scale.bands[4].min_pct",
        "the last band must start at 0 or lower",
    ),
    (
        _set(
            ["grade_scale"],
            {
                "method": "thresholds",
                "bands": [
                    {"grade": g, "min_score": s}
                    for g, s in zip(range(5, 0, -1), [4, 3, 2.5, 2, 1.5], strict=True)
                ],
            },
        ),
        "$.grade_scale.bands[4].min_score",
        "the last band must start at 1 or lower",
    ),
    (
        _set(["sections", 0, "weight"], float("nan")),
        "$.sections[0].weight",
        "not a finite number",
    ),
]


@pytest.mark.parametrize(("mutate", "path", "message"), SEMANTIC_CASES)
def test_semantic_check_reports_its_json_path(mutate, path: str, message: str) -> None:
    doc = _doc()
    mutate(doc)
    problems = m.validate(doc)
    assert any(p.path == path and message in p.message for p in problems), problems


SCHEMA_CASES = [
    (_delete(Q + [0, "weight"]), "$.sections[0].criteria[0]", "'weight' is a required property"),
    (_set(Q + [0, "weight"], "30"), "$.sections[0].criteria[0].weight", "is not of type 'number'"),
    (_set(Q + [0, "weight"], 0), "$.sections[0].criteria[0].weight", "less than or equal to"),
    (_set(Q + [0, "wieght"], 30), "$.sections[0].criteria[0].wieght", "unknown key 'wieght'"),
    (_set(["id"], "House Method"), "$.id", "is not a valid id: lower-case"),
    (_set(["language"], "kr"), "$.language", "'kr' is not one of ['ko', 'en']"),
    (_set(["sections", 0, "kind"], "quant"), "$.sections[0].kind", "is not one of"),
    (
        _delete(["sections", 1, "criteria", 0, "name_ko"]),
        "$.sections[1].criteria[0]",
        "needs a name",
    ),
    (
        _set(Q + [0, "measure", "criterion"], "x"),
        "$.sections[0].criteria[0].measure.criterion",
        "'criterion' is not allowed here",
    ),
    (
        _delete(Q + [0, "measure", "window"]),
        "$.sections[0].criteria[0].measure",
        "'window' is a required",
    ),
    (
        _set(Q + [0, "scoring", "method"], "thresholds"),
        "$.sections[0].criteria[0].scoring",
        "'thresholds' is a required property",
    ),
    (
        _set(Q + [0, "scoring", "bands", 0, "score"], 6),
        "$.sections[0].criteria[0].scoring.bands[0].score",
        "maximum of 5",
    ),
    (
        _set(["grade_scale", "bands", 0], {"grade": 5, "min_score": 4}),
        "$.grade_scale.bands[0]",
        "'min_pct' is a required property",
    ),
    (_set(["sections"], []), "$.sections", "should be non-empty"),
    (_set(["eligibility", "min_aum"], -1), "$.eligibility.min_aum", "less than the minimum of 0"),
    (
        _set(["missing_inputs"], {"score": 0}),
        "$.missing_inputs.score",
        "less than the minimum of 1",
    ),
]


@pytest.mark.parametrize(("mutate", "path", "message"), SCHEMA_CASES)
def test_schema_error_reports_its_json_path(mutate, path: str, message: str) -> None:
    doc = _doc()
    mutate(doc)
    problems = m.validate(doc)
    assert any(p.path == path and message in p.message for p in problems), problems


def test_x_keys_are_free_and_version_is_accepted() -> None:
    doc = _doc()
    doc["version"] = 7
    doc["sections"][0]["x-page"] = 2
    doc["sections"][0]["criteria"][0]["measure"]["x-confidence"] = 0.8
    assert m.validate(doc) == []


def test_weights_within_a_hundredth_of_100_pass() -> None:
    doc = _doc()
    for k, weight in enumerate([100 / 3, 100 / 3, 100 / 3]):
        doc["sections"][0]["criteria"][k]["weight"] = weight
    doc["sections"][1]["weight"] = 25.005
    doc["sections"][2]["weight"] = 14.995
    assert m.validate(doc) == []


def test_check_raises_with_every_problem_in_a_one_line_message() -> None:
    doc = _doc()
    doc["sections"][0]["weight"] = 50
    doc["sections"][0]["criteria"][0]["measure"]["indicator"] = "sharp"
    doc["id"] = "House"
    with pytest.raises(MethodologyError) as caught:
        m.check(doc)
    error = caught.value
    assert [p.path for p in error.problems] == [
        "$.id",
        "$.sections",
        "$.sections[0].criteria[0].measure.indicator",
    ]
    assert "\n" not in str(error)
    assert str(error).startswith(
        "methodology 'House' has 3 problems: $.id: 'House' is not a valid id"
    )
    assert str(Problem("$.a", "b")) == "$.a: b"


def test_check_remembers_only_valid_documents_as_they_are(monkeypatch) -> None:
    validated = []
    validate = m.core.validate
    monkeypatch.setattr(m.core, "validate", lambda doc: validated.append(1) or validate(doc))
    doc = _doc()
    doc["id"] = "remembered"  # not a document another test has checked in this process
    assert m.check(doc) is doc and m.check(copy.deepcopy(doc)) is not doc
    assert len(validated) == 1  # an equal document is not validated again
    doc["sections"][0]["weight"] = 50  # changed after it passed: validated again
    for _ in range(2):  # and, refused, never remembered
        with pytest.raises(MethodologyError, match=r"\$\.sections"):
            m.check(doc)
    assert len(validated) == 3
    doc["sections"][0]["weight"] = 60
    doc["sections"] = tuple(doc["sections"])  # the valid one's JSON text, but not a list
    with pytest.raises(MethodologyError, match=r"\$\.sections"):
        m.check(doc)


def test_validate_refuses_a_non_object() -> None:
    assert m.validate([]) == [Problem("$", "a methodology is a JSON object, not list")]


def _paths(value, parts=()) -> list[tuple]:
    found = [parts]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, parts + (key,))
    elif isinstance(value, list):
        for k, item in enumerate(value):
            found += _paths(item, parts + (k,))
    return found


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 200) | st.floats(-1e3, 1e3) | st.text(max_size=4),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)
PATHS = _paths(_doc())[1:]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(PATHS), JSON_VALUES)
def test_validate_never_raises_on_a_damaged_document(path: tuple, value) -> None:
    doc = _doc()
    _set(list(path), value)(doc)
    problems = m.validate(doc)
    assert all(isinstance(p, Problem) and p.path.startswith("$") for p in problems)


# ---------------------------------------------------------------- load


def test_load_reports_line_and_column_of_invalid_json(tmp_path: Path) -> None:
    path = tmp_path / "house.json"
    path.write_text('{\n  "id": "house",\n  "name" "x"\n}', encoding="utf-8")
    with pytest.raises(MethodologyError) as caught:
        m.load(path)
    assert (caught.value.line, caught.value.column) == (3, 10)
    assert str(caught.value) == (
        "house.json is not valid JSON: Expecting ':' delimiter at line 3, column 10"
    )


def test_load_reads_a_path_a_file_name_text_and_bytes_with_bom(tmp_path: Path) -> None:
    text = json.dumps(_doc(), ensure_ascii=False, indent=2)
    path = tmp_path / "house.json"
    path.write_text(text, encoding="utf-8")
    assert m.load(path) == _doc()
    assert m.load(str(path)) == _doc()
    assert m.load(text) == _doc()
    assert m.load(b"\xef\xbb\xbf" + text.encode("utf-8")) == _doc()


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("missing.json", "cannot read missing.json"),
        ("[1, 2]", "the methodology must be a JSON object, not list"),
        ('{"weight": NaN}', "NaN is not a JSON number"),
        (b"\xff\xfe{}", "the methodology is not UTF-8 text"),
        ("", "the methodology is not valid JSON: Expecting value at line 1, column 1"),
    ],
)
def test_load_refuses_with_a_clear_message(source, message: str) -> None:
    with pytest.raises(MethodologyError, match=message.replace("(", r"\(").replace("[", r"\[")):
        m.load(source)


# ---------------------------------------------------------------- summary

SUMMARY_EN = """\
Methodology house v3: House fund-rating methodology (all clients)
Rated funds: track record >= 36 months; AUM >= 10,000,000,000; categories 국내주식형, 국내채권형.
Each criterion scores 1-5; section score = sum of criterion weight% x score; total = sum of section weight% x section score (1-5).
Percentile = rank within the fund's category among rated funds, 0 worst to 100 best (reversed when lower is better).
Indicator values in % are fractions: 0.12 = 12%.
Missing input: score 3, listed; no grade when missing criteria weigh over 30% of the total.
1. Quantitative [quantitative] 60%
- sharpe_3y Sharpe ratio (3y): 50% (30% of total); sharpe 3y, higher is better; percentile >=90->5, >=67.5->4, >=32.5->3, >=10->2, else 1
- vol_3y Volatility (3y): 30% (18% of total); volatility 3y, lower is better; value <=0.1->5, <=0.2->3, else 1
- sortino_5y Sortino ratio (5y): 20% (12% of total); sortino 5y (else 3y), higher is better; value >=1->5, >=0->3, else 1
2. Qualitative [qualitative] 25%
- process 운용프로세스: 100% (25% of total); analyst score 1-5 as is (fund: philosophy_process)
3. Management company [company] 15%
- org Organisation: 100% (15% of total); analyst score 1-5 as is (management company: company_organisation)
Grade: category percentile of total >=90->5, >=67.5->4, >=32.5->3, >=10->2, else 1"""


def test_summary_in_english_states_every_rule_weight_and_band() -> None:
    doc = _doc()
    doc["version"] = 3
    assert m.summary(doc, "en") == SUMMARY_EN


def test_summary_in_korean_uses_korean_names_and_amounts() -> None:
    doc = _doc()
    doc["client"] = "kb"
    doc["grade_scale"] = {
        "method": "thresholds",
        "bands": [
            {"grade": g, "min_score": s}
            for g, s in zip(range(5, 0, -1), [4.2, 3.5, 2.5, 1.8, 0], strict=True)
        ],
    }
    doc["missing_inputs"] = {"score": 2, "max_weight": 20}
    lines = m.summary(doc, "ko").splitlines()
    assert lines[0] == "평가방법론 house: 하우스 펀드평가 방법론 (위탁사 kb)"
    assert (
        lines[1]
        == "평가대상: 운용기간 36개월 이상; 순자산 100억원 이상; 유형 국내주식형, 국내채권형."
    )
    assert lines[4] == "% 단위 지표값은 소수로 표기: 0.12 = 12%."
    assert lines[5] == (
        "입력값 없음: 2점 부여 후 표시; 없는 항목의 가중치 합이 전체의 20%를 넘으면 등급 없음."
    )
    assert lines[7] == (
        "- sharpe_3y 샤프지수(3년): 50% (전체 30%); sharpe 3y, 높을수록 우수; "
        "백분위 >=90->5, >=67.5->4, >=32.5->3, >=10->2, 그 외 1"
    )
    assert (
        lines[13]
        == "- org Organisation: 100% (전체 15%); 정성평가 점수 1~5 그대로 (운용사: company_organisation)"
    )
    assert lines[-1] == "등급: 종합점수 >=4.2->5, >=3.5->4, >=2.5->3, >=1.8->2, 그 외 1"


def test_summary_leaves_out_the_percentile_rule_when_nothing_uses_percentiles() -> None:
    doc = _doc()
    doc["sections"][0]["criteria"][0]["scoring"] = {
        "method": "thresholds",
        "thresholds": [{"min": 1, "score": 5}, {"min": None, "score": 2}],
    }
    doc["grade_scale"] = {
        "method": "thresholds",
        "bands": [
            {"grade": g, "min_score": s}
            for g, s in zip(range(5, 0, -1), [4, 3, 2, 1.5, 1], strict=True)
        ],
    }
    text = m.summary(doc, "en")
    assert "Percentile" not in text and "percentile" not in text
    assert "value >=1->5, else 2" in text
    assert "fractions" in text  # volatility thresholds are in %


# ---------------------------------------------------------------- criteria table


def test_criteria_table_has_one_row_per_criterion_with_effective_weights() -> None:
    table = m.criteria(_doc())
    assert list(table.columns) == m.CRITERIA_COLUMNS
    assert list(table["criterion"]) == ["sharpe_3y", "vol_3y", "sortino_5y", "process", "org"]
    assert list(table["effective_weight"]) == [30.0, 18.0, 12.0, 25.0, 15.0]
    vol = table.set_index("criterion").loc["vol_3y"]
    assert vol["bands"] == "0.1:5, 0.2:3, *:1" and vol["direction"] == "lower_is_better"
    assert (
        table.set_index("criterion").loc["sharpe_3y", "bands"] == "90:5, 67.5:4, 32.5:3, 10:2, 0:1"
    )
    org = table.set_index("criterion").loc["org"]
    assert (org["measure"], org["qualitative"], org["bands"]) == (
        "qualitative",
        "company_organisation",
        "",
    )
    assert pd.isna(org["indicator"]) and pd.isna(org["name_ko"])


def test_from_criteria_of_the_unedited_table_gives_back_the_document() -> None:
    doc = _doc()
    assert m.from_criteria(doc, m.criteria(doc)) == doc
    assert m.from_criteria(m.blank("en"), m.criteria(m.blank("en"))) == m.blank("en")


def test_from_criteria_applies_edits_and_keeps_extra_keys() -> None:
    doc = _doc()
    table = m.criteria(doc)
    table.loc[0, "weight"] = 40.0
    table.loc[1, "weight"] = 40.0
    table.loc[2, ["direction", "bands"]] = ["lower_is_better", "0.5:5, *:2"]
    table.loc[4, ["name_ko", "effective_weight"]] = ["조직", 99.0]
    new_row = table.iloc[[0]].assign(criterion="ir_1y", indicator="information_ratio", window="1y")
    table = pd.concat([table, new_row], ignore_index=True)
    table.loc[5, ["weight", "bands"]] = [0.0, "50:4, 0:2"]
    edited = m.from_criteria(doc, table)
    quant = edited["sections"][0]["criteria"]
    assert [c["weight"] for c in quant] == [40, 40, 20, 0]
    assert quant[2]["direction"] == "lower_is_better"
    assert quant[2]["scoring"]["thresholds"] == [
        {"max": 0.5, "score": 5},
        {"max": None, "score": 2},
    ]
    assert quant[3]["measure"] == {
        "type": "indicator",
        "indicator": "information_ratio",
        "window": "1y",
    }
    assert quant[3]["scoring"]["bands"] == [{"min_pct": 50, "score": 4}, {"min_pct": 0, "score": 2}]
    org = edited["sections"][2]["criteria"][0]
    assert org["name_ko"] == "조직" and org["x-source"] == {"page": 3, "text": "조직 안정성 100%"}
    assert doc == _doc()  # the input is not modified
    problems = m.validate(edited)
    assert [p.path for p in problems] == ["$.sections[0].criteria[3].weight"]  # weight 0


def test_from_criteria_reports_unreadable_cells_with_path_and_row() -> None:
    table = m.criteria(_doc())
    table.loc[0, "bands"] = "90:5, sixty:4"
    table.loc[1, "weight"] = None
    table.loc[3, "section"] = "esg"
    with pytest.raises(MethodologyError) as caught:
        m.from_criteria(_doc(), table)
    assert [str(p) for p in caught.value.problems] == [
        "$.sections[0].criteria[0].scoring: row 1: cannot read band 2 'sixty:4': write "
        "bound:score, e.g. '90:5, 67.5:4, 0:1'",
        "$.sections[0].criteria[1].weight: row 2: weight is empty",
        "$.sections: row 4: unknown section 'esg' (quantitative, qualitative, company)",
    ]


# ---------------------------------------------------------------- diff


def test_diff_lists_changed_added_and_removed_fields_with_paths() -> None:
    old, new = _doc(), _doc()
    new["version"] = 2
    new["name_en"] = "House methodology"
    new["sections"][0]["criteria"][0]["scoring"]["bands"][1]["min_pct"] = 70
    new["sections"][0]["criteria"][1]["measure"]["fallback_window"] = "1y"
    del new["eligibility"]["min_aum"]
    new["sections"][2]["criteria"][0]["weight"] = 100.0  # same number: no change
    assert m.diff(old, new) == [
        {
            "path": "$.name_en",
            "change": "changed",
            "old": "House fund-rating methodology",
            "new": "House methodology",
        },
        {"path": "$.eligibility.min_aum", "change": "removed", "old": 10_000_000_000, "new": None},
        {
            "path": "$.sections[0].criteria[0].scoring.bands[1].min_pct",
            "change": "changed",
            "old": 67.5,
            "new": 70,
        },
        {
            "path": "$.sections[0].criteria[1].measure.fallback_window",
            "change": "added",
            "old": None,
            "new": "1y",
        },
    ]
    assert m.diff(old, copy.deepcopy(old)) == []


def test_diff_matches_sections_and_criteria_by_id() -> None:
    old, new = _doc(), _doc()
    quant = new["sections"][0]["criteria"]
    removed = quant.pop(1)  # vol_3y
    quant[0], quant[1] = quant[1], quant[0]  # sortino_5y now first
    quant[1]["weight"] = 80  # sharpe_3y, now at index 1
    added = {**removed, "id": "vol_1y"}
    new["sections"][1]["criteria"].append(added)
    changes = m.diff(old, new)
    assert changes == [
        {
            "path": "$.sections[0].criteria[1]",
            "change": "removed",
            "old": old["sections"][0]["criteria"][1],
            "new": None,
        },
        {"path": "$.sections[0].criteria[1].weight", "change": "changed", "old": 50, "new": 80},
        {
            "path": "$.sections[0].criteria",
            "change": "reordered",
            "old": ["sharpe_3y", "sortino_5y"],
            "new": ["sortino_5y", "sharpe_3y"],
        },
        {"path": "$.sections[1].criteria[1]", "change": "added", "old": None, "new": added},
    ]


# ---------------------------------------------------------------- store


PUBLIC_API = (
    "load validate check Problem MethodologyError iter_criteria direction effective_weight "
    "missing_rule windows_needed json_path summary blank criteria from_criteria CRITERIA_COLUMNS "
    "diff save_version list_versions get set_active active body_sha256 ALL_CLIENTS"
).split()


def _fresh_python(code: str) -> subprocess.CompletedProcess:
    """Run `code` in a new interpreter (nothing imported yet) from the repository root."""
    root = Path(__file__).resolve().parent.parent
    return subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=False
    )


@pytest.mark.process  # new interpreters
def test_every_public_name_is_importable_from_engine_methodology_in_any_import_order() -> None:
    for name in PUBLIC_API:
        assert getattr(m, name) is not None, name
    assert set(PUBLIC_API) <= set(m.__all__) and set(PUBLIC_API) <= set(dir(m))
    with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
        m.nothing_here  # noqa: B018
    names = ", ".join(PUBLIC_API)
    for first in (
        "methodology.table",
        "methodology.text",
        "methodology.diff",
        "methodology.versions",
    ):
        done = _fresh_python(f"import engine.{first}\nfrom engine.methodology import {names}")
        assert done.returncode == 0, (first, done.stderr)


@pytest.mark.process  # new interpreters
def test_the_store_of_versions_imports_nothing_from_the_engine() -> None:
    done = _fresh_python(
        "import sys, store.methodologies\n"
        "print(sorted(k for k in sys.modules if k == 'engine' or k.startswith('engine.')))"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


@pytest.fixture
def con(home: Home):
    with connect(home) as connection:
        yield connection


def test_save_numbers_versions_per_methodology_id(con) -> None:
    doc = _doc()
    assert m.save_version(con, doc, created_by="kim", note="first") == 1
    doc["name_en"] = "House v2"
    assert m.save_version(con, doc, created_by="kim") == 2
    other = m.blank("en")
    assert m.save_version(con, other, created_by="lee", source_file="new.pdf") == 1
    table = m.list_versions(con)
    assert list(zip(table["methodology_id"], table["version"], strict=True)) == [
        ("house", 2),
        ("house", 1),
        ("new-methodology", 1),
    ]
    assert list(m.list_versions(con, "house")["note"].fillna("-")) == ["-", "first"]


def test_saving_the_latest_body_again_returns_its_version(con) -> None:
    doc = _doc()
    assert m.save_version(con, doc, created_by="kim") == 1
    again = json.loads(json.dumps(doc))  # same body, other key order and a stale version
    again = {"version": 9, **dict(reversed(list(again.items())))}
    assert m.save_version(con, again, created_by="lee") == 1
    changed = {**doc, "description": "v2"}
    assert m.save_version(con, changed, created_by="kim") == 2
    assert m.save_version(con, doc, created_by="kim") == 3  # a revert is a new version
    assert len(m.list_versions(con)) == 3


def test_save_refuses_an_invalid_document_and_writes_nothing(con) -> None:
    doc = _doc()
    doc["sections"][0]["weight"] = 61
    with pytest.raises(MethodologyError, match=r"\$\.sections: section weights sum to 101"):
        m.save_version(con, doc, created_by="kim")
    assert m.list_versions(con).empty


def test_saved_versions_do_not_change_when_the_caller_edits_its_document(con) -> None:
    doc = _doc()
    m.save_version(con, doc, created_by="kim")
    doc["sections"][0]["weight"] = 70
    doc["sections"][1]["weight"] = 15
    m.save_version(con, doc, created_by="kim")
    first, second = m.get(con, "house", 1), m.get(con, "house")
    assert first == {**_doc(), "version": 1}
    assert second["version"] == 2 and second["sections"][0]["weight"] == 70
    for module in (m, stored):
        assert not hasattr(module, "update_version") and not hasattr(module, "delete_version")
    sha = m.list_versions(con, "house").set_index("version")["sha256"]
    assert sha[1] == m.body_sha256(_doc()) and sha[1] != sha[2]


def test_get_names_the_missing_methodology_or_version(con) -> None:
    with pytest.raises(MethodologyError, match="no methodology 'house' is saved"):
        m.get(con, "house")
    m.save_version(con, _doc(), created_by="kim")
    with pytest.raises(
        MethodologyError, match="methodology 'house' has no version 4 \\(latest 1\\)"
    ):
        m.get(con, "house", 4)


def test_active_version_per_client_falls_back_to_the_default(con) -> None:
    assert m.active(con) is None
    m.save_version(con, _doc(), created_by="kim")
    m.save_version(con, {**_doc(), "description": "v2"}, created_by="kim")
    m.set_active(con, "house", 1, set_by="kim")
    assert m.active(con) == ("house", 1)
    assert m.active(con, "kb") == ("house", 1)
    m.set_active(con, "house", 2, "kb", set_by="kim")
    m.set_active(con, "house", 2, set_by="lee")  # replaces the default
    m.set_active(con, "house", 1, "kb", set_by="kim")  # replaces kb's
    assert m.active(con) == ("house", 2)
    assert m.active(con, "kb") == ("house", 1)
    assert m.active(con, "nh") == ("house", 2)
    table = m.list_versions(con, "house").set_index("version")
    assert table.loc[1, "active_for"] == "kb" and table.loc[2, "active_for"] == "*"


def test_set_active_refuses_an_unknown_version_or_another_clients_methodology(con) -> None:
    with pytest.raises(MethodologyError, match="no methodology 'house'"):
        m.set_active(con, "house", 1, set_by="kim")
    m.save_version(con, {**_doc(), "client": "kb"}, created_by="kim")
    with pytest.raises(MethodologyError, match="written for client 'kb'"):
        m.set_active(con, "house", 1, "nh", set_by="kim")
    with pytest.raises(MethodologyError, match="written for client 'kb'"):
        m.set_active(con, "house", 1, set_by="kim")
    m.set_active(con, "house", 1, "kb", set_by="kim")
    assert m.active(con, "kb") == ("house", 1) and m.active(con) is None


def test_migration_002_upgrades_a_version_1_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    only_v1 = tmp_path / "sql"
    only_v1.mkdir()
    shutil.copy(db.SQL_DIR / "001_init.sql", only_v1)
    home = Home(tmp_path / "h")
    monkeypatch.setattr(db, "SQL_DIR", only_v1)
    with connect(home) as con:
        assert schema_version(con) == 1
        con.execute("INSERT INTO funds (fund_id, fund_name) VALUES ('F1', '한빛')")
    monkeypatch.undo()
    with connect(home) as con:
        assert schema_version(con) >= 2
        tables = {r[0] for r in con.execute("SHOW TABLES").fetchall()}
        assert {"methodologies", "methodology_active"} <= tables
        assert con.execute("SELECT fund_id FROM funds").fetchall() == [("F1",)]
        assert m.save_version(con, _doc(), created_by="kim") == 1
