"""Shared widgets and cached reads for the pages.

Reads go through `read(query_name, *args)`: one short-lived connection per query, the result
cached with `st.cache_data` under the database file's modification stamp, so a write by this
app (which also clears the cache) or by another process (the CLI) is seen on the next run. No
connection is ever kept between reruns.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from engine.data.ingest import IngestError, ingest_file, preview_file
from store import queries
from store.db import StoreBusyError, connect
from store.home import REPO_ROOT, Home, current_home
from workbench.i18n import LANGS, fmt_num, t
from workbench.web.views import kind_label

PAGES_DIR = REPO_ROOT / "pages"
PREVIEW_ROWS = 20


def demo_funds() -> int:
    """How many funds the Home page's demo button generates ($WORKBENCH_DEMO_FUNDS, default 300)."""
    return int(os.environ.get("WORKBENCH_DEMO_FUNDS", "300"))


def home() -> Home:
    """The WORKBENCH_HOME of this app process."""
    return current_home()


def db_stamp(where: Home) -> tuple[str, int, int]:
    """The database file's identity and modification stamp (zeros before it exists)."""
    try:
        stat = where.db_path.stat()
    except FileNotFoundError:
        return (str(where.root), 0, 0)
    return (str(where.root), stat.st_mtime_ns, stat.st_size)


# ---------------------------------------------------------------- cached reads


@st.cache_data(show_spinner=False, max_entries=256)
def _read(stamp: tuple[str, int, int], query: str, *args: Any) -> Any:
    with connect(Home(Path(stamp[0]))) as con:
        return getattr(queries, query)(con, *args)


@st.cache_data(show_spinner=False, max_entries=4)
def _indicators(stamp: tuple[str, int, int]) -> pd.DataFrame:
    from engine.data.metrics import indicators

    return indicators(Home(Path(stamp[0])))


def read(query: str, *args: Any, stop: bool = True) -> Any:
    """`store.queries.<query>(con, *args)`, cached until the database changes.

    When the database stays busy, show the reason and stop the page (or return None with
    `stop=False`).
    """
    where = home()
    try:
        return _read(db_stamp(where), query, *args)
    except StoreBusyError as exc:
        st.error(f"{exc}\n\n{t('store_busy_hint')}")
        if stop:
            st.stop()
        return None


def indicators() -> pd.DataFrame | None:
    """Indicators of every fund and window as of the latest NAV date, computed once per data state."""
    try:
        return _indicators(db_stamp(home()))
    except StoreBusyError as exc:
        st.error(str(exc))
    except Exception as exc:  # a metrics bug must not take the fund page down
        st.error(f"{t('indicators_failed')}: {type(exc).__name__}: {exc}")
    return None


@st.cache_data(show_spinner=False, max_entries=64)
def _read_methodology(stamp: tuple[str, int, int], name: str, *args: Any) -> Any:
    from engine import methodology

    with connect(Home(Path(stamp[0]))) as con:
        return getattr(methodology, name)(con, *args)


def read_methodology(name: str, *args: Any) -> Any:
    """`engine.methodology.<name>(con, *args)` (list_versions, get, active), cached until the
    database changes; shows a busy store with st.error and stops the page."""
    try:
        return _read_methodology(db_stamp(home()), name, *args)
    except StoreBusyError as exc:
        st.error(f"{exc}\n\n{t('store_busy_hint')}")
        st.stop()


@st.cache_data(show_spinner=False, max_entries=8)
def _scores(stamp: tuple[str, int, int], methodology_id: str, version: int) -> pd.DataFrame:
    from engine.methodology.scoring import score_funds

    return score_funds(Home(Path(stamp[0])), methodology_id, version)


def scores(methodology_id: str, version: int) -> pd.DataFrame:
    """`engine.methodology.scoring.score_funds` of a saved version on the loaded funds, once per data state."""
    return _scores(db_stamp(home()), methodology_id, version)


def user_name() -> str:
    """Who is working: the logged-in user; in single-user mode `st.session_state["user"]` when
    a page set it, else "single-user" (`workbench/web/auth.py`)."""
    from store.users import SINGLE_USER
    from workbench.web import auth

    return auth.user_name() or str(st.session_state.get("user") or SINGLE_USER)


def author(typed: str | None = None) -> str:
    """The name a write records: always the logged-in user; in single-user mode the name typed
    in the page's "who" field, else `user_name()`."""
    from workbench.web import auth

    return auth.user_name() or (typed or "").strip() or user_name()


def logged_in() -> bool:
    """True when a user is logged in (the pages' "who" fields are then fixed to that user)."""
    from workbench.web import auth

    return auth.user_name() is not None


def after_write() -> None:
    """Forget every cached read (call after this app wrote to the store)."""
    st.cache_data.clear()


def guarded(action: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run a store/engine action; show StoreBusyError, IngestError or MethodologyError with
    st.error, return None."""
    from engine.methodology import MethodologyError

    try:
        return action(*args, **kwargs)
    except IngestError as exc:
        show_ingest_error(exc_details(exc))
    except StoreBusyError as exc:
        st.error(str(exc))
    except MethodologyError as exc:
        lines = [f"**{exc.summary}**"] + [f"- `{p.path}`: {p.message}" for p in exc.problems]
        st.error("\n".join(lines), icon=":material/block:")
    return None


# ---------------------------------------------------------------- shell widgets


def sidebar(show_home: bool = True) -> dict | None:
    """Language switch, the state folder (unless `show_home` is False: client users) and the
    demo badge; returns the store summary."""
    with st.sidebar:
        st.radio(
            t("lang_label"),
            list(LANGS),
            format_func=LANGS.get,
            key="lang",
            horizontal=True,
        )
        state = read("summary", stop=False)
        if state and state["synthetic"]:
            st.badge(t("demo_badge"), icon=":material/science:", color="orange")
        if show_home:
            st.caption(t("home_path", path=home().root))
    return state


def demo_banner(state: dict | None) -> None:
    """The warning every page shows while the store holds the synthetic demo."""
    if state and state.get("synthetic"):
        st.warning(t("demo_banner"), icon=":material/science:")


def page_path(name: str) -> Path:
    """The file of a page in `pages/` (for st.Page and st.page_link)."""
    return PAGES_DIR / f"{name}.py"


# ---------------------------------------------------------------- home


def next_step(state: dict) -> str:
    """The i18n key of what to do next, given `store.queries.summary`."""
    if state["funds"] == 0:
        return "next_empty"
    if state["nav_rows"] == 0:
        return "next_nav"
    if state["benchmark_rows"] == 0:
        return "next_benchmarks"
    if state["ratings"] == 0:
        return "next_ratings"
    return "next_explore"


def load_demo(n_funds: int | None = None) -> str | None:
    """Build the synthetic demo into the store inside a status box; the success line or None."""
    from engine.demo.build import DemoConfig, build_demo

    with st.status(t("demo_running"), expanded=False) as status:
        built = guarded(build_demo, home(), DemoConfig(n_funds=n_funds or demo_funds()))
        after_write()
        if built is None:
            status.update(label=t("demo_failed"), state="error", expanded=True)
            return None
        done = t("demo_done", funds=built.n_funds, seconds=built.seconds)
        status.update(label=done, state="complete")
    return done


# ---------------------------------------------------------------- uploads


def save_upload(where: Home, name: str, data: bytes) -> Path:
    """Write uploaded bytes to `uploads/<timestamp>_<name>` and return the path."""
    where.ensure()
    safe = Path(name).name.replace(os.sep, "_") or "upload"
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    path = where.uploads / f"{stamp}_{safe}"
    path.write_bytes(data)
    return path


def exc_details(exc: IngestError) -> dict:
    """An IngestError as plain data (exceptions with extra fields do not survive pickling)."""
    return {
        "message": str(exc),
        "file_name": exc.file_name,
        "summary": exc.summary,
        "problems": [(int(r), str(c), str(m)) for r, c, m in exc.problems],
        "invalid_rows": int(exc.invalid_rows),
    }


@st.cache_data(show_spinner=False, max_entries=64)
def preview(path: str, kind: str | None, sheet: str | None, name: str) -> dict:
    """`engine.data.ingest.preview_file` as plain data: {'parsed', 'rows'} or {'error'}."""
    try:
        parsed, frame = preview_file(
            Path(path), kind, sheet=sheet, display_name=name, limit=PREVIEW_ROWS,
            tmp_dir=home().tmp,
        )  # fmt: skip
    except IngestError as exc:
        return {"error": exc_details(exc)}
    return {"parsed": parsed, "rows": frame}


def commit_upload(path: str, kind: str | None, sheet: str | None, name: str) -> dict:
    """Ingest one saved upload; {'result': IngestResult dict} or {'error': details}."""
    try:
        result = ingest_file(
            home(), Path(path), kind, sheet=sheet, source="ui", display_name=name,
            created_by=user_name(),
        )  # fmt: skip
    except IngestError as exc:
        return {"error": exc_details(exc)}
    except StoreBusyError as exc:
        return {"error": {"message": str(exc), "summary": str(exc), "problems": []}}
    finally:
        after_write()
    return {"result": result.to_dict()}


def show_ingest_error(error: dict) -> None:
    """The refusal: its summary, then one line per problem ('row N: message'), then the total."""
    lines = [f"**{t('p_errors')}** — {error.get('file_name') or ''}: {error['summary']}"]
    for row, _column, message in error.get("problems", []):
        lines.append(f"- {t('row_problem', row=row, message=message)}")
    if error.get("invalid_rows"):
        lines.append(f"\n{t('p_invalid_total', n=error['invalid_rows'])}")
    st.error("\n".join(lines), icon=":material/block:")


def show_preview(parsed: Any, rows: pd.DataFrame) -> None:
    """Detected kind, format, encoding, delimiter, header mapping, ignored columns, first rows."""
    delimiter = {"\t": "TAB", ",": ",", ";": ";"}.get(parsed.delimiter or "", parsed.delimiter)
    facts(
        [
            (t("p_kind"), kind_label(parsed.kind)),
            (t("p_format"), parsed.format.upper()),
            (t("p_encoding"), parsed.encoding or "–"),
            (t("p_delimiter"), delimiter or "–"),
            (t("p_rows"), fmt_num(parsed.rows)),
        ]
    )
    left, right = st.columns([1, 2])
    with left:
        st.markdown(f"**{t('p_mapping')}**")
        mapping = pd.DataFrame(
            list(parsed.mapping.items()), columns=[t("p_original"), t("p_canonical")]
        )
        st.dataframe(mapping, hide_index=True)
        if parsed.ignored_columns:
            st.caption(t("p_ignored", cols=", ".join(parsed.ignored_columns)))
        else:
            st.caption(t("p_no_ignored"))
    with right:
        st.markdown(f"**{t('p_first_rows', n=min(PREVIEW_ROWS, parsed.rows))}**")
        dates = {  # ISO dates, not '2020-06-22 00:00:00'
            c: st.column_config.DateColumn(c, format="YYYY-MM-DD")
            for c in rows.columns
            if pd.api.types.is_datetime64_any_dtype(rows[c])
        }
        st.dataframe(rows, hide_index=True, column_config=dates)


# ---------------------------------------------------------------- layout


def facts(pairs: list[tuple[str, str]], per_row: int = 5) -> None:
    """Key facts as small label/value pairs in a grid (st.metric is too large for names)."""
    for start in range(0, len(pairs), per_row):
        columns = st.columns(per_row)
        for column, (label, value) in zip(columns, pairs[start : start + per_row], strict=False):
            column.caption(label)
            column.markdown(f"**{value}**")


# ---------------------------------------------------------------- training runs


def guarded_training(action: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run a training action; show a refused run (TrainingError), an unavailable model
    (ModelError), a dataset that cannot be frozen (SnapshotError), a methodology problem or a
    busy store with st.error, and return None."""
    from engine.llm.models import ModelError
    from engine.methodology import MethodologyError
    from engine.training.config import TrainingError
    from engine.training.snapshot import SnapshotError

    try:
        return action(*args, **kwargs)
    except (TrainingError, ModelError, SnapshotError, StoreBusyError) as exc:
        st.error(str(exc), icon=":material/block:")
    except MethodologyError as exc:
        st.error(exc.summary, icon=":material/block:")
    return None


def run_list() -> list[dict]:
    """`engine.training.runs.list_runs` (after recovering dead runs and syncing the store), newest
    first; [] with the reason shown when the store is busy."""
    from engine.training import runs
    from engine.training.config import TrainingError

    try:
        return runs.list_runs(home())
    except StoreBusyError as exc:
        st.error(f"{exc}\n\n{t('store_busy_hint')}")
    except TrainingError as exc:  # e.g. a run folder written by a newer version
        st.error(str(exc), icon=":material/block:")
    return []


def _file_stamp(path: Path) -> tuple[str, int, int]:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return (str(path), 0, 0)
    return (str(path), stat.st_mtime_ns, stat.st_size)


@st.cache_data(show_spinner=False, max_entries=64)
def _events(stamp: tuple[str, int, int]) -> list[dict]:
    from engine.training.folder import RunFolder

    return RunFolder(Path(stamp[0]).parent).read_events()[0]


def run_events(run_id: str) -> list[dict]:
    """Every event of a run, read again only when its events.jsonl changed."""
    return _events(_file_stamp(home().runs / run_id / "events.jsonl"))


@st.cache_resource(show_spinner=False)
def device_summary() -> dict:
    """Where a run with device 'auto' trains here: {'device', 'name', 'bf16', 'gpus'}
    (engine.llm.device.resolve_device / use_bf16; imports torch once per app process)."""
    from engine.llm.device import gpu_count, resolve_device, use_bf16
    from engine.training.config import RunConfig

    config = RunConfig()
    device = resolve_device(config.device)
    name = None
    if device == "cuda":
        import torch

        name = torch.cuda.get_device_name(0)
    return {
        "device": device,
        "name": name,
        "bf16": use_bf16(config.bf16, device),
        "gpus": gpu_count(device),
    }


def model_status(spec: str) -> tuple[str, str]:
    """Whether a model can be used: ('ready', folder), ('prepare', what first use does) or
    ('error', the plain reason from engine.llm.models.ModelError)."""
    from engine.llm.models import PRESETS, ModelError, is_model_folder, model_folder, resolve

    preset = PRESETS.get(spec)
    try:
        if preset is None or preset.source == "hub":
            return "ready", str(resolve(home(), spec))  # a folder or the local hub cache only
        folder = model_folder(home(), preset.key)
        if is_model_folder(folder):
            return "ready", str(folder)
        if preset.source == "wheel":
            from engine.llm.models import smollm2_gguf

            smollm2_gguf()  # ModelError when the wheel is missing
            return "prepare", t("model_prepare_smollm2")
        return "prepare", t("model_prepare_tiny")
    except ModelError as exc:
        return "error", str(exc)


def prepare_model(spec: str) -> Path | None:
    """`engine.llm.models.resolve` with its progress in a status box (SmolLM2's first use: ~20 s);
    None (and the reason shown) when the model cannot be prepared."""
    from engine.llm.models import resolve

    with st.status(t("model_preparing", model=spec), expanded=True) as box:
        bar = st.progress(0.0)

        def progress(fraction: float, message: str) -> None:
            bar.progress(min(max(fraction, 0.0), 1.0), text=message)

        folder = guarded_training(resolve, home(), spec, progress)
        if folder is None:
            box.update(label=t("model_prepare_failed", model=spec), state="error")
            return None
        box.update(label=t("model_ready", model=spec), state="complete", expanded=False)
    return folder


# ---------------------------------------------------------------- review


@st.cache_data(show_spinner=False, max_entries=64)
def _call(stamp: tuple[str, int, int], module: str, name: str, *args: Any) -> Any:
    import importlib

    with connect(Home(Path(stamp[0]))) as con:
        return getattr(importlib.import_module(module), name)(con, *args)


def read_from(module: str, name: str, *args: Any) -> Any:
    """`<module>.<name>(con, *args)` (e.g. store.evaluations.list_evaluations), cached until the
    database changes; shows a busy store with st.error and stops the page."""
    try:
        return _call(db_stamp(home()), module, name, *args)
    except StoreBusyError as exc:
        st.error(f"{exc}\n\n{t('store_busy_hint')}")
        st.stop()


@st.cache_data(show_spinner=False, max_entries=16)
def _data_version(stamp: tuple[str, int, int]) -> tuple:
    """What the fund data depends on: the database file (its inode) and the upload log (every
    load of funds, NAVs, benchmarks, ratings or reviews adds a row). Feedback and evaluations
    leave it unchanged, so pages keep their indicators and rule-based grades across them."""
    where = Home(Path(stamp[0]))
    with connect(where) as con:
        row = con.execute("SELECT coalesce(max(upload_id), 0), count(*) FROM upload_log").fetchall()
    try:
        inode = where.db_path.stat().st_ino
    except FileNotFoundError:
        inode = 0
    return (stamp[0], inode, *row[0])


def data_version() -> tuple:
    """The fund data's version (see `_data_version`), read once per database change."""
    return _data_version(db_stamp(home()))


@st.cache_data(show_spinner=False, max_entries=8)
def _indicators_at(version: tuple, as_of: str) -> pd.DataFrame:
    from engine.data.metrics import indicators as compute

    return compute(Home(Path(version[0])), as_of=pd.Timestamp(as_of).date())


def indicators_at(as_of: str) -> pd.DataFrame | None:
    """Indicators of every fund and window as of `as_of` (with category percentiles), computed
    once per data version; None with the reason shown when they cannot be computed."""
    try:
        return _indicators_at(data_version(), as_of)
    except StoreBusyError as exc:
        st.error(str(exc))
    except Exception as exc:  # a metrics bug must not take the page down
        st.error(f"{t('indicators_failed')}: {type(exc).__name__}: {exc}")
    return None


@st.cache_data(show_spinner=False, max_entries=8)
def _scores_at(version: tuple, methodology_id: str, methodology_version: int, as_of: str):
    from engine.methodology.scoring import score_funds

    return score_funds(
        Home(Path(version[0])), methodology_id, methodology_version, pd.Timestamp(as_of).date()
    )


def scores_at(methodology_id: str, version: int, as_of: str) -> pd.DataFrame | None:
    """The rule-based scorer's output (`engine.methodology.scoring.score_funds`) at `as_of`, once per data
    version (a saved methodology version never changes); None with the reason shown when it
    cannot be computed."""
    from engine.methodology import MethodologyError

    try:
        return _scores_at(data_version(), methodology_id, int(version), as_of)
    except StoreBusyError as exc:
        st.error(str(exc))
    except MethodologyError as exc:
        st.error(exc.summary)
    except Exception as exc:  # the review must stay usable without the rule-based grades
        st.error(f"{t('rev_rules_failed')}: {type(exc).__name__}: {exc}")
    return None


def after_feedback_write() -> None:
    """Forget the cached reads a feedback action changes (not the indicators or rule-based
    grades: they depend on the fund data only, see `data_version`)."""
    for cached in (_read, _call, _data_version):
        cached.clear()


@st.cache_data(show_spinner=False, max_entries=32)
def _agreement(expected: tuple, predicted: tuple, categories: tuple | None, n_boot: int) -> dict:
    from engine.evaluation.agreement import compare

    return compare(list(expected), list(predicted), categories and list(categories), n_boot=n_boot)


def agreement(
    expected: list, predicted: list, categories: list | None = None, n_boot: int = 1000
) -> dict:
    """`engine.evaluation.agreement.compare`, computed once per set of grades (the bootstrap takes time)."""
    clean = tuple(None if p is None or pd.isna(p) else int(p) for p in predicted)
    groups = tuple(categories) if categories is not None else None
    return _agreement(tuple(int(e) for e in expected), clean, groups, n_boot)
