"""State folders built once per test run and copied per test.

Building a demo store takes seconds (generation, grading, ingest, the house methodology's PDF);
copying the finished folder takes milliseconds. `built_once` builds a template under the run's
temporary root the first time any test process asks for it — with pytest-xdist every worker of
one run shares it, under a file lock — and `copy_home` gives a test its private copy.
"""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from store.home import Home

DONE = ".built"


def run_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The temporary folder of this test run, shared by all its xdist workers."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def built_once(
    tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Home], None]
) -> Home:
    """The template `name`, built by `build(home)` into an empty home on first use in this run.

    Never change a template: copy it with `copy_home`. A build that fails leaves no template,
    so the next test that asks builds it again (and fails the same way, with its own traceback).
    """
    root = run_root(tmp_path_factory)
    folder = root / f"template-{name}"
    with _locked(root / f"template-{name}.lock"):
        if not (folder / DONE).exists():
            shutil.rmtree(folder, ignore_errors=True)
            build(Home(folder / "home").ensure())
            (folder / DONE).touch()
    return Home(folder / "home")


def built_on(
    tmp_path_factory: pytest.TempPathFactory,
    name: str,
    base: Home,
    extend: Callable[[Home], object],
) -> Home:
    """The template `name`: a copy of the template `base` changed by `extend(home)`, built on
    first use in this run; copy it, never change it."""

    def build(home: Home) -> None:
        shutil.copytree(base.root, home.root, dirs_exist_ok=True)
        extend(home)

    return built_once(tmp_path_factory, name, build)


def copy_home(template: Home, root: Path) -> Home:
    """A private copy of `template` at `root`."""
    shutil.copytree(template.root, root)
    return Home(root)


def demo_builder(**config: object) -> Callable[[Home], None]:
    """A `build` for `built_once`: the synthetic demo with these `DemoConfig` fields."""

    def build(home: Home) -> None:
        from engine.demo.build import DemoConfig, build_demo

        build_demo(home, DemoConfig(**config))

    return build


def demo_store(tmp_path_factory: pytest.TempPathFactory, **config: object) -> Home:
    """The demo store of this `DemoConfig`, built once per run; copy it, never change it."""
    name = "demo-" + "-".join(f"{k}{v}" for k, v in sorted(config.items())) if config else "demo"
    return built_once(tmp_path_factory, name, demo_builder(**config))
