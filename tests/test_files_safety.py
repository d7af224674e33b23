"""Files: every `--out` refuses to overwrite without --force, never writes through a symbolic
link, answers a folder or a missing folder with one line and exit 2; the home is private
(0700 folders, 0600 database and uploads) and drops stale temporaries on start."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine.files import safe_write
from store.db import connect
from store.home import Home, clean_tmp
from tests.review_support import insert_evaluation
from workbench.cli.core import main

REPO = Path(__file__).resolve().parent.parent
KEEP = b"analyst's own file\n"


def _commands(out: Path) -> dict[str, list[str]]:
    """Each command with `--out`, writing to `out` with a suffix it accepts."""
    return {
        "metrics": ["metrics", "--window", "1y", "--out", str(out.with_suffix(".csv"))],
        "score": ["score", "--methodology", "house", "--out", str(out.with_suffix(".xlsx"))],
        "evaluations export": ["evaluations", "export", "eval-0001", "--out", str(out.with_suffix(".xlsx"))],
        "report": ["report", "eval-0001", "--n-boot", "20", "--out", str(out.with_suffix(".html"))],
        "methodology show": ["methodology", "show", "house", "--out", str(out.with_suffix(".json"))],
    }  # fmt: skip


COMMANDS = list(_commands(Path("x")))


def _target(args: list[str]) -> Path:
    return Path(args[args.index("--out") + 1])


@pytest.fixture(scope="module")
def files_home(demo_template: Home, tmp_path_factory: pytest.TempPathFactory) -> Home:
    """The demo with a stored evaluation and a run holding a (stub) final model."""
    import shutil

    where = Home(tmp_path_factory.mktemp("files") / "home")
    shutil.copytree(demo_template.root, where.root)
    insert_evaluation(where)
    model = where.runs / "run-0001" / "model"
    model.mkdir(parents=True)
    (model / "config.json").write_text("{}")
    (where.runs / "run-0001" / "config.json").write_text(json.dumps({"run_id": "run-0001"}))
    return where


@pytest.fixture
def cli_home(files_home: Home, monkeypatch: pytest.MonkeyPatch) -> Home:
    monkeypatch.setenv("WORKBENCH_HOME", str(files_home.root))
    return files_home


def _one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and err.startswith("error: ") and "unexpected" not in err, err
    return err


# ---------------------------------------------------------------- overwrite and links


@pytest.mark.parametrize("command", COMMANDS)
def test_existing_out_is_refused_without_force_and_kept(cli_home, tmp_path, capsys, command):
    args = _commands(tmp_path / "out")[command]
    _target(args).write_bytes(KEEP)
    assert main(args) == 2
    assert "already exists; add --force" in _one_line_error(capsys)
    assert _target(args).read_bytes() == KEEP


@pytest.mark.parametrize("command", COMMANDS)
def test_force_overwrites_without_touching_hard_linked_copies(cli_home, tmp_path, capsys, command):
    args = _commands(tmp_path / "out")[command]
    copy = tmp_path / "copy"
    copy.write_bytes(KEEP)
    os.link(copy, _target(args))  # the old file lives on under another name
    assert main([*args, "--force"]) == 0, capsys.readouterr().err
    assert _target(args).read_bytes() != KEEP and _target(args).stat().st_size > 0
    assert copy.read_bytes() == KEEP  # replaced, not written into
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]


@pytest.mark.parametrize("force", [False, True])
@pytest.mark.parametrize("command", COMMANDS)
def test_symbolic_link_is_never_written_through(cli_home, tmp_path, capsys, command, force):
    args = _commands(tmp_path / "out")[command]
    victim = tmp_path / "victim"
    victim.write_bytes(KEEP)
    _target(args).symlink_to(victim)
    assert main([*args, "--force"] if force else args) == 2
    assert "symbolic link" in _one_line_error(capsys)
    assert victim.read_bytes() == KEEP and _target(args).is_symlink()


def test_dangling_link_is_refused_too(cli_home, tmp_path, capsys):
    link = tmp_path / "m.csv"
    link.symlink_to(tmp_path / "would-be-created.csv")
    assert main(["metrics", "--out", str(link), "--force"]) == 2
    assert "symbolic link" in _one_line_error(capsys)
    assert not (tmp_path / "would-be-created.csv").exists()


def test_evaluation_csv_export_checks_every_file_before_writing(cli_home, tmp_path, capsys):
    (tmp_path / "e-confusion.csv").write_bytes(KEEP)
    assert main(["evaluations", "export", "eval-0001", "--out", str(tmp_path / "e.csv")]) == 2
    assert "e-confusion.csv already exists" in _one_line_error(capsys)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e-confusion.csv"]


# ---------------------------------------------------------------- bad --out paths


@pytest.mark.parametrize("command", COMMANDS)
def test_out_that_is_a_folder_is_one_line_exit_2(cli_home, tmp_path, capsys, command):
    args = _commands(tmp_path / "out")[command]
    _target(args).mkdir()
    assert main([*args, "--force"]) == 2
    assert "is a folder" in _one_line_error(capsys)


@pytest.mark.parametrize("command", COMMANDS)
def test_out_in_a_missing_folder_is_one_line_exit_2(cli_home, tmp_path, capsys, command):
    args = _commands(tmp_path / "missing" / "out")[command]
    assert main(args) == 2
    assert "does not exist" in _one_line_error(capsys)
    assert not (tmp_path / "missing").exists()


# ---------------------------------------------------------------- export-model's folder


def test_export_model_refuses_links_files_and_full_folders(cli_home, tmp_path, capsys):
    victim = tmp_path / "victim"
    victim.mkdir()
    (tmp_path / "link").symlink_to(victim, target_is_directory=True)
    assert main(["export-model", "run-0001", "--out", str(tmp_path / "link"), "--force"]) == 2
    assert "symbolic link" in _one_line_error(capsys)
    full = tmp_path / "full"
    full.mkdir()
    (full / "config.json").symlink_to(tmp_path / "elsewhere.json")
    assert main(["export-model", "run-0001", "--out", str(full), "--overwrite"]) == 2
    assert "holds a symbolic link" in _one_line_error(capsys)
    (full / "config.json").unlink()
    (full / "notes.txt").write_bytes(KEEP)
    assert main(["export-model", "run-0001", "--out", str(full)]) == 2
    assert "not empty" in _one_line_error(capsys)
    (tmp_path / "file").write_bytes(KEEP)
    assert main(["export-model", "run-0001", "--out", str(tmp_path / "file"), "--force"]) == 2
    assert "is a file" in _one_line_error(capsys)
    assert list(victim.iterdir()) == [] and (full / "notes.txt").read_bytes() == KEEP
    assert not (tmp_path / "elsewhere.json").exists()


def test_write_bytes_without_force_never_replaces_a_file_that_appears(tmp_path, monkeypatch):
    out = tmp_path / "late.csv"
    checked = safe_write.check_target

    def then_someone_writes(path, force=False):
        found = checked(path, force)
        out.write_bytes(KEEP)  # appears between the check and the write
        return found

    monkeypatch.setattr(safe_write, "check_target", then_someone_writes)
    with pytest.raises(safe_write.OutputError, match="already exists"):
        safe_write.write_bytes(out, b"new")
    assert out.read_bytes() == KEEP


# ---------------------------------------------------------------- the home's modes


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_new_home_is_private(tmp_path: Path):
    home = Home(tmp_path / "h").ensure()
    for folder in (home.root, home.uploads, home.runs, home.models, home.tmp):
        assert _mode(folder) == 0o700, folder
    with connect(home) as con:
        con.execute("SELECT 1").fetchall()
    assert _mode(home.db_path) == 0o600


def test_ensure_tightens_a_home_made_before(tmp_path: Path):
    """A home an older version left with 0755 folders and 0644 files."""
    import duckdb

    root = tmp_path / "h"
    (root / "uploads" / "demo").mkdir(parents=True)
    duckdb.connect(str(root / "workbench.duckdb")).close()
    upload = root / "uploads" / "20240101_funds.csv"
    upload.write_bytes(b"fund_id\n")
    (root / "uploads" / "demo" / "nav.csv").write_bytes(b"x")
    for path in (root / "workbench.duckdb", upload, root / "uploads" / "demo" / "nav.csv"):
        os.chmod(path, 0o644)
    for path in (root, root / "uploads", root / "uploads" / "demo"):
        os.chmod(path, 0o755)
    home = Home(root).ensure()
    assert [_mode(p) for p in (home.root, home.uploads, home.uploads / "demo")] == [0o700] * 3
    assert _mode(home.db_path) == _mode(upload) == _mode(home.uploads / "demo" / "nav.csv") == 0o600
    os.chmod(home.db_path, 0o644)
    os.chmod(home.root, 0o755)
    home.ensure()  # every start checks the folders and the database again
    assert _mode(home.db_path) == 0o600 and _mode(home.root) == 0o700


@pytest.mark.process
def test_cli_process_creates_private_files(tmp_path: Path):
    """`python -m workbench` sets umask 077: the demo's upload files and the database."""
    env = {**os.environ, "WORKBENCH_HOME": str(tmp_path / "h"), "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-m", "workbench", "demo", "--funds", "12", "--json"],
        capture_output=True, text=True, env=env, cwd=REPO, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    home = Home(tmp_path / "h")
    uploads = [p for p in home.uploads.rglob("*") if p.is_file()]
    assert uploads and {_mode(p) for p in uploads} == {0o600}
    assert _mode(home.db_path) == 0o600 and _mode(home.root) == 0o700


# ---------------------------------------------------------------- leftover temporaries


def test_ensure_removes_stale_temporaries_and_keeps_fresh_ones(tmp_path: Path):
    home = Home(tmp_path / "h").ensure()
    outside = tmp_path / "outside.csv"
    outside.write_bytes(KEEP)
    stale = home.tmp / "tmpab12.csv"
    stale.write_bytes(b"x" * 1000)
    (home.tmp / "old-dir").mkdir()
    (home.tmp / "old-dir" / "part").write_bytes(b"y")
    (home.tmp / "old-link").symlink_to(outside)
    fresh = home.tmp / "tmpcd34.csv"  # an ingest running now in another process
    fresh.write_bytes(b"z")
    hours_ago = time.time() - 2 * 3600
    for path in (stale, home.tmp / "old-dir", home.tmp / "old-link"):
        os.utime(path, (hours_ago, hours_ago), follow_symlinks=False)
    home.ensure()
    assert sorted(p.name for p in home.tmp.iterdir()) == ["tmpcd34.csv"]
    assert outside.read_bytes() == KEEP
    os.utime(fresh, (hours_ago, hours_ago))
    assert clean_tmp(home) == 1 and list(home.tmp.iterdir()) == []
    assert clean_tmp(Home(tmp_path / "never-made")) == 0
