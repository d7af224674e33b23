"""docs/tutorial.md runs as written: every ```bash block, in order, in a fresh WORKBENCH_HOME.

Each block is one command (a heredoc may span lines). It must exit 0, and when a ```text block
follows it, every line shown there must appear in the command's real stdout with the same shape:
numbers are masked (`run-0001` and `run-0002`, `0.42` and `0.57` read alike), spaces collapsed,
and a line of just `…` is skipped. The tutorial's folder `/tmp/grpo-tutorial` is replaced by a
temporary one. So the tutorial cannot go stale: a changed command or output fails here.
docs/method.md's example prompt and worked answer are checked against the code the same way.

After changing a command's output on purpose, refresh the tutorial's output blocks with
`.venv/bin/python tests/test_tutorial.py --update` (it runs every command and rewrites them).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
TUTORIAL = REPO / "docs" / "tutorial.md"
DOC_ROOT = "/tmp/grpo-tutorial"  # the folder the tutorial works in
COMMAND_TIMEOUT_S = 600
BLOCK = re.compile(
    r"```bash\n(?P<command>.*?)```\n(?:[ \t]*\n)*(?:```text\n(?P<shown>.*?)```\n)?", re.S
)
NUMBER = re.compile(r"-?\d+(?:[.,]\d+)*")  # signed: a bootstrap bound may cross 0
ELIDED = "…"
LOOP = ("demo", "methodology", "train", "evaluate", "agreement", "feedback", "retrain", "export")


@dataclass
class Step:
    """One command of the tutorial and, if shown, its output as the tutorial prints it."""

    command: str
    shown: str | None
    span: tuple[int, int]  # where the text block is (or would go) in the tutorial


@dataclass
class Ran:
    step: Step
    returncode: int
    stdout: str
    stderr: str
    seconds: float


def steps(text: str) -> list[Step]:
    """The tutorial's commands in order, each with the output block that follows it."""
    found = []
    for match in BLOCK.finditer(text):
        shown = match.group("shown")
        span = match.span("shown") if shown is not None else (match.end(), match.end())
        found.append(Step(match.group("command").strip(), shown, span))
    return found


def shape(line: str) -> str:
    """A line with its numbers masked and its spaces collapsed."""
    return " ".join(NUMBER.sub("#", line).split())


def unmatched(shown: str, stdout: str) -> list[str]:
    """The shown lines whose shape is in no line of stdout."""
    actual = {shape(line) for line in stdout.splitlines()}
    return [
        line
        for line in shown.splitlines()
        if line.strip() and line.strip() != ELIDED and shape(line) not in actual
    ]


def run_step(step: Step, root: Path) -> Ran:
    """Run one command as a user would in the tutorial's folder (here `root`)."""
    script = step.command.replace(DOC_ROOT, str(root))
    script = re.sub(r"(?m)(^|[;&|(]\s*)python (?=-m workbench)", rf"\g<1>{sys.executable} ", script)
    env = {**os.environ, "WORKBENCH_HOME": str(root / "home"), "PYTHONUNBUFFERED": "1"}
    started = time.perf_counter()
    done = subprocess.run(
        ["bash", "-eo", "pipefail", "-c", script],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT_S,
    )
    stdout = done.stdout.replace(str(root), DOC_ROOT)
    return Ran(step, done.returncode, stdout, done.stderr, time.perf_counter() - started)


def run_all(root: Path, stop_on_failure: bool = True) -> list[Ran]:
    """Every command of the tutorial in order in `root` (a fresh folder)."""
    root.mkdir(parents=True, exist_ok=True)
    results = []
    for step in steps(TUTORIAL.read_text(encoding="utf-8")):
        ran = run_step(step, root)
        results.append(ran)
        if ran.returncode != 0 and stop_on_failure:
            break
    return results


# ---------------------------------------------------------------- tests


def test_the_tutorial_walks_the_whole_loop_and_shows_each_output():
    found = steps(TUTORIAL.read_text(encoding="utf-8"))
    commands = "\n".join(s.command for s in found)
    assert len(found) >= 15
    assert [word for word in LOOP if word not in commands] == []
    assert "--model builtin-tiny" in commands  # small enough for a CPU and for this test
    workbench = [s for s in found if "python -m workbench" in s.command]
    assert [s.command for s in workbench if not (s.shown or "").strip()] == []  # output shown


def test_shapes_mask_numbers_and_spaces_but_not_words():
    stdout = "run-0002: finished  reward 0.412\nn 8: exact 38% [12%–75%]"
    assert unmatched("run-0001: finished reward 0.087\n…\nn 45: exact 4%  [1%–9%]", stdout) == []
    assert unmatched("run-0001: failed reward 0.087", stdout) == ["run-0001: failed reward 0.087"]


@pytest.mark.slow
def test_every_tutorial_command_runs_in_a_fresh_home_and_prints_what_the_tutorial_shows(
    tmp_path: Path,
):
    results = run_all(tmp_path / "grpo-tutorial")
    for ran in results:
        where = f"`{ran.step.command.splitlines()[0]}`"
        assert ran.returncode == 0, (
            f"{where} exited {ran.returncode}: {ran.stderr.strip()[-2000:] or ran.stdout[-2000:]}"
        )
        if ran.step.shown is not None:
            missing = unmatched(ran.step.shown, ran.stdout)
            assert missing == [], (
                f"{where} no longer prints these lines (refresh with "
                f"`python tests/test_tutorial.py --update` if the change is meant):\n"
                + "\n".join(missing)
                + f"\n--- it printed:\n{ran.stdout[-3000:]}"
            )
    assert len(results) == len(steps(TUTORIAL.read_text(encoding="utf-8")))


# ---------------------------------------------------------------- refreshing the tutorial


def update(root: Path) -> int:
    """Run every command and write its real stdout into the tutorial's output blocks."""
    results = run_all(root)
    for ran in results:
        print(f"{ran.seconds:7.1f} s  rc {ran.returncode}  {ran.step.command.splitlines()[0]}")
        if ran.returncode != 0:
            print(ran.stderr, file=sys.stderr)
            return 1
    text = TUTORIAL.read_text(encoding="utf-8")  # read again: it may have been edited meanwhile
    current = steps(text)
    if [s.command for s in current] != [r.step.command for r in results]:
        print("the tutorial's commands changed while they ran: run --update again", file=sys.stderr)
        return 1
    for ran, step in reversed(list(zip(results, current, strict=True))):
        if "python -m workbench" not in step.command:
            continue
        body = ran.stdout if ran.stdout.endswith("\n") else ran.stdout + "\n"
        start, end = step.span
        new = body if step.shown is not None else f"\n```text\n{body}```\n"
        text = text[:start] + new + text[end:]
    TUTORIAL.write_text(text, encoding="utf-8")
    print(f"total {sum(r.seconds for r in results):.0f} s; {TUTORIAL} updated")
    return 0


if __name__ == "__main__":
    if sys.argv[1:] != ["--update"]:
        sys.exit("usage: python tests/test_tutorial.py --update")
    with tempfile.TemporaryDirectory() as folder:
        sys.exit(update(Path(folder) / "grpo-tutorial"))


# ---------------------------------------------------------------- docs/method.md's example

METHOD = REPO / "docs" / "method.md"
EXAMPLE_FUND = "KR5176686352"  # the first test fund of the tutorial's 60-fund demo


def test_method_doc_shows_the_prompt_and_worked_answer_the_code_makes(tmp_path: Path):
    from engine.demo.build import DemoConfig, build_demo
    from engine.llm.warmup import sft_target
    from engine.training.snapshot import build_snapshot
    from store.home import Home

    home = Home(tmp_path / "home").ensure()
    build_demo(home, DemoConfig(n_funds=60))
    rows = build_snapshot(home, "house", 1, "2026-09-30").rows()
    row = rows[rows["fund_id"] == EXAMPLE_FUND].iloc[0].to_dict()
    row["prompt"] = [dict(message) for message in row["prompt"]]
    prompt = "\n\n".join(f"[{m['role']}]\n{m['content']}" for m in row["prompt"])

    text = METHOD.read_text(encoding="utf-8")
    shown_prompt = re.search(r"```text\n(\[system\]\n.*?)\n```", text, re.S)
    shown_answer = re.search(r"```json\n(\{\"scores\".*?)\n```", text, re.S)
    assert shown_prompt and shown_answer
    assert shown_prompt.group(1) == prompt
    assert shown_answer.group(1) == sft_target(row)
