"""Exports: evaluation tables readable back from Excel and CSV, a run's model folder that
`from_pretrained` loads with a model card naming the snapshot hash, a push refused clearly
without network, and the CLI commands over them."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from engine.evaluation import export
from store.home import Home
from tests.review_support import insert_evaluation
from workbench.cli.core import main

SNAPSHOT_SHA = "ab" * 32


@pytest.fixture(scope="module")
def export_home(tmp_path_factory) -> Home:
    """The small demo with a stored evaluation and a run-like folder holding a tiny model."""
    from engine.demo.build import DemoConfig, build_demo
    from engine.llm.models import build_tiny

    where = Home(tmp_path_factory.mktemp("export") / "home").ensure()
    build_demo(where, DemoConfig(n_funds=30, years=5))
    insert_evaluation(where)
    run = where.runs / "run-0001"
    (run / "snapshot").mkdir(parents=True)
    build_tiny(run / "model")
    (run / "config.json").write_text(
        json.dumps({"run_id": "run-0001", "model": "builtin-tiny", "methodology_id": "house",
                    "methodology_version": 1, "max_steps": 3, "learning_rate": 1e-5}),
        encoding="utf-8",
    )  # fmt: skip
    (run / "snapshot" / "manifest.json").write_text(
        json.dumps({"sha256": SNAPSHOT_SHA, "as_of": "2026-09-30", "counts": {"test": 5}}),
        encoding="utf-8",
    )
    final = {"agreement_final": {"n": 5, "exact": 0.4, "qwk": 0.5, "invalid_share": 0.2}}
    (run / "status.json").write_text(json.dumps({"state": "finished", "final": final}))
    return where


def test_excel_export_has_results_agreement_and_confusion_sheets(export_home, tmp_path):
    out = tmp_path / "eval.xlsx"
    assert export.export_evaluation(export_home, "eval-0001", out) == [out]
    sheets = pd.read_excel(out, sheet_name=None)
    assert set(sheets) == set(export.SHEETS)
    assert len(sheets["results"]) == sheets["confusion"].drop(columns="expert").to_numpy().sum()
    assert "qwk" in set(sheets["agreement"]["figure"])
    assert list(sheets["confusion"].columns) == ["expert", "1", "2", "3", "4", "5", "invalid"]


def test_csv_export_is_utf8_sig_and_reads_back_korean(export_home, tmp_path):
    written = export.export_evaluation(export_home, "eval-0001", tmp_path / "eval.csv")
    assert [p.name for p in written] == ["eval.csv", "eval-agreement.csv", "eval-confusion.csv"]
    assert written[0].read_bytes().startswith(b"\xef\xbb\xbf")
    results = pd.read_csv(written[0], encoding="utf-8-sig")
    assert results["category"].str.contains("형").any()
    with pytest.raises(export.ExportError, match=r"\.xlsx or \.csv"):
        export.export_evaluation(export_home, "eval-0001", tmp_path / "eval.txt")


def test_export_model_writes_a_folder_from_pretrained_loads(export_home, tmp_path):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    done = export.export_model(export_home, "run-0001", tmp_path / "hf")
    assert done["url"] is None and "README.md" in done["files"]
    assert AutoModelForCausalLM.from_pretrained(tmp_path / "hf").num_parameters() > 0
    assert AutoTokenizer.from_pretrained(tmp_path / "hf")("등급 5").input_ids
    card = (tmp_path / "hf" / "README.md").read_text(encoding="utf-8")
    assert SNAPSHOT_SHA in card
    assert "`house` version 1" in card and "Synthetic demo data" in card
    assert "| qwk | 0.500 |" in card


def test_export_model_refuses_unknown_run_and_non_empty_folder(export_home, tmp_path):
    with pytest.raises(export.ExportError, match="no run run-0042"):
        export.export_model(export_home, "run-0042", tmp_path / "x")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "f").write_text("x")
    with pytest.raises(export.ExportError, match="not empty"):
        export.export_model(export_home, "run-0001", tmp_path / "full")


def test_push_without_network_fails_with_a_clear_message(export_home, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(export.ExportError, match="HF_HUB_OFFLINE"):
        export.export_model(
            export_home, "run-0001", tmp_path / "hf", repo_id="house/model", token="hf_x"
        )
    assert (tmp_path / "hf" / "config.json").is_file()  # the folder it would push
    with pytest.raises(export.ExportError, match="both"):
        export.export_model(export_home, "run-0001", tmp_path / "hf2", repo_id="house/model")


def test_cli_backtest_exports_and_bad_input(export_home, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("WORKBENCH_HOME", str(export_home.root))
    assert main(["backtest", "--source", "expert", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["ok"] and result["pooled"][0]["source"] == "expert"
    assert main(["evaluations", "export", "eval-0001", "--out", str(tmp_path / "e.xlsx")]) == 0
    assert (tmp_path / "e.xlsx").is_file()
    out = str(tmp_path / "m")
    assert main(["export-model", "run-0001", "--out", out, "--json"]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["ok"]
    assert main(["backtest", "--source", "eval-9999"]) == 2
    assert main(["export-model", "run-0009", "--out", out]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and err[-1].startswith("error: there is no run run-0009")
