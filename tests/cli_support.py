"""`python -m workbench ARGS` run inside the test process: the same parser, commands, output and
exit status as the subprocess, without a new interpreter's second or so of imports.

Use it where a test checks what a command prints and its exit status. Keep a real subprocess
where the process is what is tested: the umask `__main__` sets, background jobs that outlive
the command, signals, or how light `--help` is to import.
"""

from __future__ import annotations

import io
import json
import os
import sys
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import pytest

from store.home import Home
from tests.template_support import built_once
from workbench.cli.core import main


@dataclass(frozen=True)
class CliResult:
    """What `subprocess.run(..., capture_output=True, text=True)` would give."""

    args: list[str]
    returncode: int
    stdout: str
    stderr: str


def run_cli(*args: str, home: Path | str | None = None) -> CliResult:
    """Run one command in this process, with $WORKBENCH_HOME set to `home` (when given) for
    its duration; stdout, stderr and the exit status (argparse's SystemExit included)."""
    out, err = io.StringIO(), io.StringIO()
    saved = os.environ.get("WORKBENCH_HOME")
    if home is not None:
        os.environ["WORKBENCH_HOME"] = str(home)
    try:
        with redirect_stdout(out), redirect_stderr(err):
            try:
                code = main(list(args))
            except SystemExit as exit_:  # argparse's --help, or a command that exits itself
                code = _exit_status(exit_.code)
    finally:
        if home is not None:
            if saved is None:
                os.environ.pop("WORKBENCH_HOME", None)
            else:
                os.environ["WORKBENCH_HOME"] = saved
    return CliResult(list(args), code, out.getvalue(), err.getvalue())


def _exit_status(code: object) -> int:
    """The status the interpreter would exit with for `SystemExit(code)`."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)  # as the interpreter prints a non-integer code
    return 1


def cli_demo(tmp_path_factory: pytest.TempPathFactory, funds: int = 30) -> tuple[Home, dict]:
    """The store `python -m workbench demo --funds N --json` builds, and its JSON answer: run
    once per test run; copy the store, never change it."""

    def build(home: Home) -> None:
        done = run_cli("demo", "--funds", str(funds), "--json", home=home.root)
        assert done.returncode == 0, done.stderr
        (home.root.parent / "answer.json").write_text(done.stdout, encoding="utf-8")

    home = built_once(tmp_path_factory, f"cli-demo-{funds}", build)
    return home, json.loads((home.root.parent / "answer.json").read_text(encoding="utf-8"))
