"""Shared widgets of the pages: the sidebar, uploads and their previews, guarded actions, the
training run helpers. The cached reads are `workbench.web.data`'s.
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
from engine.demo.build import DemoConfig, build_demo
from engine.llm.device import gpu_count, resolve_device, use_bf16
from engine.llm.models import (
    PRESETS,
    ModelError,
    is_model_folder,
    model_folder,
    resolve,
    smollm2_gguf,
)
from engine.methodology import MethodologyError
from engine.training import runs
from engine.training.config import RunConfig, TrainingError
from engine.training.snapshot import SnapshotError
from store.db import StoreBusyError
from store.home import REPO_ROOT, Home, current_home
from store.users import SINGLE_USER
from workbench.i18n import LANGS, fmt_num, t
from workbench.web import data
from workbench.web.views import kind_label

PAGES_DIR = REPO_ROOT / "pages"
PREVIEW_ROWS = 20


def demo_funds() -> int:
    """How many funds the Home page's demo button generates ($WORKBENCH_DEMO_FUNDS, default 300)."""
    return int(os.environ.get("WORKBENCH_DEMO_FUNDS", "300"))


def home() -> Home:
    """The WORKBENCH_HOME of this app process."""
    return current_home()


def user_name() -> str:
    """Who is working: the logged-in user; in single-user mode `st.session_state["user"]` when
    a page set it, else "single-user" (`workbench/web/auth.py`)."""
    from workbench.web import auth  # auth imports this module: resolved when called

    return auth.user_name() or str(st.session_state.get("user") or SINGLE_USER)


def author(typed: str | None = None) -> str:
    """The name a write records: always the logged-in user; in single-user mode the name typed
    in the page's "who" field, else `user_name()`."""
    from workbench.web import auth  # auth imports this module: resolved when called

    return auth.user_name() or (typed or "").strip() or user_name()


def logged_in() -> bool:
    """True when a user is logged in (the pages' "who" fields are then fixed to that user)."""
    from workbench.web import auth  # auth imports this module: resolved when called

    return auth.user_name() is not None


def guarded(action: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run a store/engine action; show StoreBusyError, IngestError or MethodologyError with
    st.error, return None."""
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
        state = data.summary_if_ready()
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
    with st.status(t("demo_running"), expanded=False) as status:
        built = guarded(build_demo, home(), DemoConfig(n_funds=n_funds or demo_funds()))
        data.after_write()
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
        data.after_write()
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
    try:
        return runs.list_runs(home())
    except StoreBusyError as exc:
        st.error(f"{exc}\n\n{t('store_busy_hint')}")
    except TrainingError as exc:  # e.g. a run folder written by a newer version
        st.error(str(exc), icon=":material/block:")
    return []


@st.cache_resource(show_spinner=False)
def device_summary() -> dict:
    """Where a run with device 'auto' trains here: {'device', 'name', 'bf16', 'gpus'}
    (engine.llm.device.resolve_device / use_bf16; imports torch once per app process)."""
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
    preset = PRESETS.get(spec)
    try:
        if preset is None or preset.source == "hub":
            return "ready", str(resolve(home(), spec))  # a folder or the local hub cache only
        folder = model_folder(home(), preset.key)
        if is_model_folder(folder):
            return "ready", str(folder)
        if preset.source == "wheel":
            smollm2_gguf()  # ModelError when the wheel is missing
            return "prepare", t("model_prepare_smollm2")
        return "prepare", t("model_prepare_tiny")
    except ModelError as exc:
        return "error", str(exc)


def prepare_model(spec: str) -> Path | None:
    """`engine.llm.models.resolve` with its progress in a status box (SmolLM2's first use: ~20 s);
    None (and the reason shown) when the model cannot be prepared."""
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
