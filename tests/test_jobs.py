"""The background-job framework (engine.jobs) that training runs and evaluation jobs share:
status files read with a retry, launching with the shared environment, /proc liveness, recovery
of dead jobs, id reservation and waiting."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar

import pytest

from engine.evaluation.folder import EvaluationFolder
from engine.jobs import ids, jsonfiles, launch, liveness
from engine.jobs.folder import JobFolder
from engine.jobs.jsonfiles import now_iso
from engine.jobs.wait import wait_until
from engine.training.folder import RunFolder
from tests.training_support import poll

DEADLINE_S = 60.0


class ToyFolder(JobFolder):
    """A job run by tests/job_worker_support.py."""

    WORKER: ClassVar[str] = "tests.job_worker_support"


def _folder(tmp_path: Path, name: str = "toy-0001", kind: type[JobFolder] = ToyFolder):
    root = tmp_path / name
    root.mkdir(parents=True, exist_ok=True)
    return kind(root)


def _exited_pid() -> int:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # a pid that existed and has exited (and was reaped)
    return gone.pid


# ---------------------------------------------------------------- the status file


def test_status_merges_changes_stamps_them_and_writes_strict_json(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    assert folder.read_status() == {}
    folder.write_status(state="queued", loss=float("nan"))
    status = folder.write_status(done=3)
    assert status["state"] == "queued" and status["done"] == 3 and status["updated_at"]
    on_disk = json.loads(folder.status_file.read_text(encoding="utf-8"))
    assert on_disk == status and on_disk["loss"] is None
    assert [p.name for p in folder.root.iterdir()] == ["status.json"]  # no temporary left


def test_a_missing_status_is_a_fresh_copy_of_the_kinds_default(tmp_path: Path) -> None:
    first, second = (
        _folder(tmp_path, "run-0001", RunFolder),
        _folder(tmp_path, "run-0002", RunFolder),
    )
    assert first.read_status() == {"state": "created"}
    first.write_status(state="queued")
    assert second.read_status() == {"state": "created"}  # the class default was not changed
    assert RunFolder.MISSING_STATUS == {"state": "created"}
    assert _folder(tmp_path, "eval-0001", EvaluationFolder).read_status() == {}


def test_a_status_read_that_does_not_parse_is_retried(tmp_path, monkeypatch) -> None:
    folder = _folder(tmp_path)
    folder.write_status(state="running")
    monkeypatch.setattr(jsonfiles, "READ_PAUSE_S", 0.0)
    real, calls = jsonfiles._load, []

    def glitch_once(path, missing):
        calls.append(path)
        if len(calls) == 1:
            raise json.JSONDecodeError("half a file", "{", 1)
        return real(path, missing)

    monkeypatch.setattr(jsonfiles, "_load", glitch_once)
    assert folder.read_status()["state"] == "running" and len(calls) == 2


def test_a_status_that_never_parses_fails_after_the_retries(tmp_path, monkeypatch) -> None:
    folder = _folder(tmp_path)
    folder.status_file.write_text('{"state": "runn', encoding="utf-8")
    monkeypatch.setattr(jsonfiles, "READ_PAUSE_S", 0.0)
    real, calls = jsonfiles._load, []
    monkeypatch.setattr(jsonfiles, "_load", lambda *a: calls.append(a) or real(*a))
    with pytest.raises(json.JSONDecodeError):
        folder.read_status()
    assert len(calls) == jsonfiles.READ_ATTEMPTS


# ---------------------------------------------------------------- launch and liveness


def test_a_launched_job_runs_with_passive_omp_waiting_and_ends_on_its_stop_flag(
    tmp_path, monkeypatch
) -> None:
    monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    folder = _folder(tmp_path)
    child = launch.launch(folder, ("--resume",), note="resume", state="queued", message="starting")
    try:
        assert liveness.alive(folder)  # this process started it
        running = poll(
            lambda: (s := folder.read_status()).get("state") == "running" and s,
            "it runs",
            DEADLINE_S,
        )
        assert running["omp_wait_policy"] == "PASSIVE" and running["args"] == ["--resume"]
        assert str(launch.REPO_ROOT) in running["python_path"].split(os.pathsep)
        assert running["launched_at"] and running["message"] == "starting"
        assert folder.pid() == child.pid == int(folder.pid_file.read_text())
        assert folder.process_alive()
        log = folder.log.read_text(encoding="utf-8")
        assert f"resume: {sys.executable} -m tests.job_worker_support {folder.root} --resume" in log
        folder.stop_flag.touch()
        child.wait(timeout=DEADLINE_S)
        assert folder.read_status()["state"] == "stopped"
        assert not liveness.alive(folder) and not folder.process_alive()
        assert folder.last_log_line() == "worker running"  # the launcher's line is not the job's
    finally:
        child.kill()
        child.wait()


@pytest.mark.parametrize(
    ("kind", "worker"),
    [(RunFolder, "engine.training.worker"), (EvaluationFolder, "engine.evaluation.worker")],
)
def test_both_kinds_of_job_start_their_worker_with_the_shared_environment(
    tmp_path, monkeypatch, kind, worker
) -> None:
    started = []

    class Started:
        pid = 4242

        def __init__(self, command, **options) -> None:
            started.append((command, options))

        def poll(self) -> int:
            return 0

    monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    monkeypatch.setattr(launch.subprocess, "Popen", Started)
    folder = _folder(tmp_path, "job-0001", kind)
    launch.launch(folder)
    ((command, options),) = started
    assert command == [sys.executable, "-m", worker, str(folder.root)]
    assert options["env"]["OMP_WAIT_POLICY"] == "PASSIVE"
    assert options["start_new_session"] and options["cwd"] == launch.REPO_ROOT
    assert folder.pid_file.read_text() == "4242" and folder.read_status()["launched_at"]


def test_a_policy_set_in_the_environment_is_kept() -> None:
    env = launch.job_environment({"OMP_WAIT_POLICY": "ACTIVE", "PYTHONPATH": "/elsewhere"})
    assert env["OMP_WAIT_POLICY"] == "ACTIVE"
    assert env["PYTHONPATH"] == os.pathsep.join([str(launch.REPO_ROOT), "/elsewhere"])


def test_only_a_live_process_of_the_worker_for_this_folder_counts(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    assert not liveness.is_job_process(_exited_pid(), folder.WORKER, folder.root)
    assert not liveness.is_job_process(os.getpid(), folder.WORKER, folder.root)  # another program
    other = _folder(tmp_path, "toy-0002")
    child = launch.launch(other)
    try:
        poll(lambda: other.read_status().get("state") == "running", "the other job runs")
        assert liveness.is_job_process(child.pid, other.WORKER, other.root)
        assert not liveness.is_job_process(child.pid, other.WORKER, folder.root)  # not this one
        assert not liveness.is_job_process(child.pid, "engine.training.worker", other.root)
    finally:
        child.kill()
        child.wait()


def test_a_job_without_a_pid_is_alive_only_just_after_its_launch(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    folder.write_status(state="queued", launched_at=now_iso())
    assert liveness.alive(folder)
    old = time.time() - liveness.LAUNCH_GRACE_S - 5
    folder.write_status(launched_at=datetime.fromtimestamp(old, UTC).isoformat())
    assert not liveness.alive(folder)
    folder.write_status(launched_at=now_iso(), pid=_exited_pid())  # a pid, and it is gone
    assert not liveness.alive(folder)


# ---------------------------------------------------------------- recovery


def test_recover_fails_dead_active_jobs_once_and_leaves_the_others(tmp_path: Path) -> None:
    dead, ended, created = (_folder(tmp_path, f"run-000{n}", RunFolder) for n in (1, 2, 3))
    dead.write_status(state="running", pid=_exited_pid(), phase="sft", step=3)
    dead.stop_flag.touch()
    ended.write_status(state="finished")
    created.write_status(state="created")
    folders = [dead, ended, created]
    assert liveness.recover(folders) == ["run-0001"]
    status = dead.read_status()
    assert status["state"] == "failed" and status["finished_at"]
    assert status["message"] == RunFolder.DIED and status["resumable"] is False
    assert not dead.stop_flag.exists()
    assert ended.read_status()["state"] == "finished"
    assert created.read_status()["state"] == "created"
    assert liveness.recover(folders) == []


def test_a_dead_evaluation_names_the_last_line_its_process_logged(tmp_path: Path) -> None:
    folder = _folder(tmp_path, "eval-0001", EvaluationFolder)
    folder.write_status(state="running", pid=_exited_pid())
    folder.log.write_text("=== start: python -m ...\nloading\nKilled\n\n", encoding="utf-8")
    assert liveness.recover([folder]) == ["eval-0001"]
    message = folder.read_status()["message"]
    assert message == f"{EvaluationFolder.DIED}; last log line: Killed"


def test_a_live_job_is_not_recovered(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    child = launch.launch(folder)
    try:
        poll(lambda: folder.read_status().get("state") == "running", "it runs")
        liveness._children.clear()  # as seen from another process: only /proc tells
        assert liveness.alive(folder)
        assert liveness.recover([folder]) == []
    finally:
        child.kill()
        child.wait()
    assert liveness.recover([folder]) == ["toy-0001"]


# ---------------------------------------------------------------- ids and waiting


def test_ids_go_above_the_folders_and_the_store(tmp_path: Path) -> None:
    root = tmp_path / "evaluations"
    assert ids.reserve(root, "eval") == ("eval-0001", root / "eval-0001")
    (root / "eval-0007").mkdir()
    (root / "notes").mkdir()
    assert ids.reserve(root, "eval")[0] == "eval-0008"
    assert ids.reserve(root, "eval", recorded=20)[0] == "eval-0021"
    assert sorted(ids.numbers(root, ids.id_pattern("eval"))) == [1, 7, 8, 21]


def test_concurrent_reservations_never_share_an_id(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    taken: list[str] = []

    def reserve_some() -> None:
        for _ in range(10):
            taken.append(ids.reserve(root, "run")[0])

    threads = [threading.Thread(target=reserve_some) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(taken) == [f"run-{n:04d}" for n in range(1, 61)]


def test_job_dirs_are_the_named_folders_with_a_status(tmp_path: Path) -> None:
    for name in ("run-0002", "run-0001", "run-0003", "other"):
        (tmp_path / name).mkdir()
    for name in ("run-0002", "run-0001", "other"):
        (tmp_path / name / "status.json").write_text("{}")
    found = list(ids.job_dirs(tmp_path, ids.id_pattern("run")))
    assert found == [tmp_path / "run-0001", tmp_path / "run-0002"]
    assert list(ids.job_dirs(tmp_path / "missing", ids.id_pattern("run"))) == []


def test_wait_until_returns_the_ending_status_or_the_last_one_at_the_timeout() -> None:
    states = iter(["queued", "running", "running", "finished"])
    seen = []
    final = wait_until(
        lambda: {"state": next(states)}, lambda s: s["state"] == "finished", poll=0,
        on_progress=seen.append,
    )  # fmt: skip
    assert final == {"state": "finished"} and [s["state"] for s in seen] == [
        "queued", "running", "running",
    ]  # fmt: skip
    began = time.monotonic()
    late = wait_until(lambda: {"state": "running"}, lambda s: False, timeout=0.2, poll=0.05)
    assert late == {"state": "running"} and 0.2 <= time.monotonic() - began < 5
