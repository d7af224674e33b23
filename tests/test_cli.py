"""`python -m workbench`: JSON on stdout, one-line reasons and non-zero exits on bad input.

The commands run in the test process (`tests.cli_support`); one test runs a real process to show
that the same holds there: no traceback, one line on stderr.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests import cli_support
from tests.template_support import copy_home

REPO = Path(__file__).resolve().parent.parent


def run_cli(*args: str, home: Path) -> subprocess.CompletedProcess:
    """`python -m workbench ARGS` in a new process, $WORKBENCH_HOME set to `home`."""
    env = {**os.environ, "WORKBENCH_HOME": str(home), "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "workbench", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=300,
    )


@pytest.fixture()
def files(tmp_path: Path) -> dict[str, Path]:
    funds = tmp_path / "funds.csv"
    funds.write_bytes("펀드코드,펀드명,유형\nF1,한빛 주식,국내주식형\n".encode("cp949"))
    nav = tmp_path / "nav.csv"
    nav.write_text("fund_id,date,nav\nF1,2024-01-02,100\nF1,2024-01-03,101\n")
    bad = tmp_path / "bad.csv"
    bad.write_text("fund_id,date,nav\nF1,2024-01-04,-3.2\n")
    return {"funds": funds, "nav": nav, "bad": bad}


def test_ingest_json_reports_counts_per_file(tmp_path: Path, files: dict[str, Path]) -> None:
    done = cli_support.run_cli(
        "ingest", str(files["funds"]), str(files["nav"]), "--json", home=tmp_path / "h"
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["ok"] is True
    assert [(f["kind"], f["inserted"]) for f in result["files"]] == [("funds", 1), ("nav", 2)]
    assert result["files"][0]["encoding"] == "cp949"


@pytest.mark.process
def test_refused_file_exits_non_zero_with_one_line_and_no_traceback(
    tmp_path: Path, files: dict[str, Path]
) -> None:
    home = tmp_path / "h"
    cli_support.run_cli("ingest", str(files["funds"]), home=home)
    done = run_cli("ingest", str(files["bad"]), "--json", home=home)  # a real process
    assert done.returncode == 2
    assert json.loads(done.stdout) == {
        "ok": False,
        "error": "bad.csv: 1 invalid row, nothing was loaded — row 2: nav must be a positive "
        "number, got '-3.2'",
    }
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    status = json.loads(cli_support.run_cli("status", "--json", home=home).stdout)
    assert status["nav_rows"] == 0 and status["uploads"] == 2


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["ingest", "missing.csv"], "missing.csv: file not found"),
        (["ingest", "x.csv", "--kind", "prices"], "invalid choice: 'prices'"),
        (["metrics", "--as-of", "2024-13-01"], "'2024-13-01' is not a date"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
    ],
)
def test_bad_arguments_give_one_line_reasons(
    tmp_path: Path, args: list[str], fragment: str
) -> None:
    done = cli_support.run_cli(*args, home=tmp_path / "h")
    assert done.returncode == 2
    assert fragment in done.stderr
    assert done.stderr.strip().count("\n") == 0 and "Traceback" not in done.stderr


def test_status_on_a_new_home_creates_the_database(tmp_path: Path) -> None:
    done = cli_support.run_cli("status", "--json", home=tmp_path / "new")
    assert done.returncode == 0
    result = json.loads(done.stdout)
    assert result["funds"] == 0 and result["schema_version"] >= 1
    assert (tmp_path / "new" / "workbench.duckdb").is_file()


def test_human_output_is_readable(tmp_path: Path, files: dict[str, Path]) -> None:
    done = cli_support.run_cli("ingest", str(files["funds"]), home=tmp_path / "h")
    assert (
        done.stdout.strip()
        == "funds.csv: funds (csv, cp949), 1 rows — 1 inserted, 0 replaced, 0 unchanged"
    )


def test_demo_then_metrics_for_one_window_with_json_table(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    template, demo = cli_support.cli_demo(tmp_path_factory, funds=30)
    assert demo["ok"] is True
    assert demo["counts"]["funds"] == 30 and demo["label"].startswith("Synthetic")
    home = copy_home(template, tmp_path / "h").root
    done = cli_support.run_cli("metrics", "--window", "3y", "--json", home=home)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["as_of"] == demo["end"] and result["windows"] == ["3y"]
    assert result["rows"] == 30 and 0 < result["computed"] <= 30
    computed = [r for r in result["table"] if r["reason"] is None]
    assert all(r["volatility"] > 0 and r["end_date"] <= demo["end"] for r in computed)
    out = tmp_path / "ind.parquet"
    assert cli_support.run_cli("metrics", "--out", str(out), home=home).returncode == 0
    import pandas as pd

    assert set(pd.read_parquet(out)["window"]) == {"1y", "3y", "5y"}


def test_demo_refuses_to_mix_into_real_data(tmp_path: Path, files: dict[str, Path]) -> None:
    home = tmp_path / "h"
    cli_support.run_cli("ingest", str(files["funds"]), home=home)
    done = cli_support.run_cli("demo", "--funds", "30", home=home)
    assert done.returncode == 2 and "already holds your own data (1 funds)" in done.stderr


def test_metrics_on_an_empty_store_says_what_to_load(tmp_path: Path) -> None:
    done = cli_support.run_cli("metrics", home=tmp_path / "h")
    assert done.returncode == 2 and "no NAV data in the store yet" in done.stderr


def test_metrics_out_is_not_overwritten_without_force(
    tmp_path: Path, files: dict[str, Path]
) -> None:
    home = tmp_path / "h"
    assert (
        cli_support.run_cli("ingest", str(files["funds"]), str(files["nav"]), home=home).returncode
        == 0
    )
    out = tmp_path / "ind.csv"
    out.write_text("mine\n")
    done = cli_support.run_cli("metrics", "--out", str(out), home=home)
    assert done.returncode == 2 and done.stderr.strip().count("\n") == 0
    assert done.stderr.startswith(f"error: {out} already exists; add --force")
    assert out.read_text() == "mine\n"
    assert cli_support.run_cli("metrics", "--out", str(out), "--force", home=home).returncode == 0
    assert out.read_text(encoding="utf-8-sig").startswith("fund_id,window,category")
    folder = cli_support.run_cli("metrics", "--out", str(tmp_path), "--force", home=home)
    assert folder.returncode == 2 and "unexpected" not in folder.stderr
