"""`python -m workbench methodology …` and `score`: versions, diffs, activation, scores (run in
the test process, `tests.cli_support`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.methodology import blank
from tests.cli_support import cli_demo, run_cli
from tests.template_support import copy_home


def write_doc(path: Path, doc: dict) -> Path:
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture()
def demo_home(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the store `python -m workbench demo --funds 30` builds."""
    template, _ = cli_demo(tmp_path_factory, funds=30)
    return copy_home(template, tmp_path / "home").root


def test_validate_reports_problems_with_json_paths(tmp_path: Path) -> None:
    doc = blank("ko")
    doc["sections"][0]["criteria"][0]["weight"] = 90
    done = run_cli(
        "methodology",
        "validate",
        str(write_doc(tmp_path / "m.json", doc)),
        "--json",
        home=tmp_path / "h",
    )
    assert done.returncode == 2
    error = json.loads(done.stdout)["error"]
    assert "is not a valid methodology" in error and "$.sections[0]" in error
    ok = run_cli(
        "methodology",
        "validate",
        str(write_doc(tmp_path / "ok.json", blank("en"))),
        home=tmp_path / "h",
    )
    assert ok.returncode == 0


def test_save_list_show_diff_and_activate(tmp_path: Path) -> None:
    home = tmp_path / "h"
    doc = blank("ko")
    first = run_cli(
        "methodology", "save", str(write_doc(tmp_path / "a.json", doc)), "--json", home=home
    )
    assert json.loads(first.stdout)["version"] == 1
    again = run_cli("methodology", "save", str(tmp_path / "a.json"), "--json", home=home)
    assert json.loads(again.stdout)["version"] == 1  # identical body: no new version
    doc["eligibility"]["min_track_record_months"] = 60
    second = run_cli(
        "methodology",
        "save",
        str(write_doc(tmp_path / "b.json", doc)),
        "--activate",
        "--json",
        home=home,
    )
    assert json.loads(second.stdout) == {
        "ok": True,
        "methodology_id": doc["id"],
        "version": 2,
        "active_for": "*",
    }
    listed = json.loads(run_cli("methodology", "list", "--json", home=home).stdout)["versions"]
    assert [v["version"] for v in listed] == [2, 1]
    changes = json.loads(
        run_cli("methodology", "diff", doc["id"], "1", "2", "--json", home=home).stdout
    )["changes"]
    assert changes == [
        {"path": "$.eligibility.min_track_record_months", "change": "changed", "old": 36, "new": 60}
    ]
    shown = json.loads(
        run_cli("methodology", "show", doc["id"], "--version", "1", "--json", home=home).stdout
    )
    assert shown["document"]["eligibility"]["min_track_record_months"] == 36
    assert "샤프" in shown["summary"]
    human = run_cli("methodology", "show", doc["id"], "--lang", "en", home=home)
    assert "Sharpe" in human.stdout


def test_unknown_methodology_gives_one_line(tmp_path: Path) -> None:
    done = run_cli("methodology", "show", "nope", home=tmp_path / "h")
    assert done.returncode == 2 and "nope" in done.stderr and "Traceback" not in done.stderr


def test_score_grades_the_demo_funds_with_a_saved_methodology(
    demo_home: Path, tmp_path: Path
) -> None:
    doc = blank("ko")
    run_cli("methodology", "save", str(write_doc(tmp_path / "m.json", doc)), home=demo_home)
    done = run_cli("score", "--methodology", doc["id"], "--json", home=demo_home)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["funds"] == 30 and result["graded"] + result["excluded"] <= 30
    assert result["graded"] > 5 and set(result["grades"]) <= {"1", "2", "3", "4", "5"}
    graded = [r for r in result["table"] if r["grade"] is not None]
    assert all(r["excluded_by"] is None for r in graded)
    out = tmp_path / "scores.csv"
    assert (
        run_cli("score", "--methodology", doc["id"], "--out", str(out), home=demo_home).returncode
        == 0
    )
    assert out.read_text(encoding="utf-8-sig").startswith("fund_id")
