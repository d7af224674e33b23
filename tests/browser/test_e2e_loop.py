"""The whole analyst loop in real headless Chromium, on a fresh state folder served as `make run`
serves it (`python -m workbench init`, then `streamlit run workbench/app.py`).

The home starts empty — `make run`'s `--demo-if-empty` would load the 300-fund demo, and this
analyst brings their own files: a 30-fund synthetic universe written by the test as the files an
analyst has (funds CSV, NAV as CP949 CSV with Korean headers, benchmarks Parquet, CD91 CSV,
qualitative reviews CSV, expert ratings Excel) and the house methodology as a Korean PDF.

Steps (one screenshot each in docs/tour/, used by the README tour; the tour's training shot
comes from `scripts/tour_training.py` on a real, finished run, since this test's 6-step warm-up
learns nothing: its own training shot goes to tests/browser/screenshots/e2e-3-training.png):
1. a bad NAV file is refused with its message and Home's counts stay at zero; the six files load;
2. the methodology PDF is extracted, its id fixed in the editor and saved as a version;
3. a built-in tiny model run starts, its reward curve grows live, it is stopped, resumed, finishes;
4. the run's held-out funds are evaluated by its trained model and its tabular baseline (the page
   follows the background job by itself); two grades are corrected and a filtered set accepted;
5. "retrain with feedback" starts a child run and the lineage names it;
6. the evaluation is exported to Excel (the file opens with pandas) and the comparison report is
   built on the Validation page, downloaded and opened in a tab of its own.
Every page visit must show no Streamlit exception box and no browser console error.
"""

from __future__ import annotations

import json
import os
import re
import signal
import time
from pathlib import Path

import pandas as pd
import pytest

from tests.browser.browser_support import (
    RENDER_TIMEOUT_MS,
    REPO,
    assert_healthy,
    chart_points,
    choose,
    chromium,
    cli,
    go,
    ko,
    metric,
    new_tab,
    open_options,
    poll,
    screenshot,
    served,
    settled,
)

pytestmark = pytest.mark.browser

TOUR = REPO / "docs" / "tour"
SCREENSHOTS = REPO / "tests" / "browser" / "screenshots"  # git-ignored
FAILED = SCREENSHOTS / "e2e-failure.png"
FUNDS = 30
LOADED = "행 적재 — 신규"  # the success line of a loaded file (i18n "load_ok")
TRAIN_TIMEOUT_S = 420
# Small enough to finish in minutes on two loaded cores, long enough to be stopped mid-way and
# resumed from a checkpoint: with the tiny model's compact prompts (~200 tokens) a GRPO step takes
# well under a second on a quiet machine, and 8 steps ended before the stop button was reached.
RUN_SETTINGS = {
    "tf_sft_steps": 6,
    "tf_max_steps": 30,
    "tf_num_generations": 2,
    "tf_max_completion_length": 64,
}
ADVANCED_SETTINGS = {
    "tf_sft_batch_size": 2,
    "tf_per_device_train_batch_size": 2,
    "tf_eval_every": 100,
    "tf_eval_max_funds": 2,
    "tf_save_every": 2,
    "tf_samples_every": 4,
}
# The built-in tiny model writes no valid JSON after so short a warm-up, so the review loop runs
# on the run's tabular baseline (valid grades to accept); the trained model is evaluated too.
REVIEWED = "tabular"


def ko_pattern(key: str) -> re.Pattern:
    """The Korean text of `key` as a pattern, each {placeholder} matching any text."""
    from workbench.i18n import TEXT

    parts = re.split(r"\{[a-z_]+\}", TEXT[key][0])
    return re.compile(".+?".join(re.escape(part) for part in parts))


# ---------------------------------------------------------------- the analyst's files


def analyst_files(folder: Path) -> dict[str, Path]:
    """The six upload files of a 30-fund synthetic universe, the NAV as CP949 with Korean
    headers, plus a bad NAV file and the house methodology as a Korean PDF."""
    from engine.demo.build import DemoConfig, generate_demo, write_demo_files
    from engine.demo.house import house_methodology
    from engine.methodology.extract.render import render_pdf

    data = generate_demo(DemoConfig(n_funds=FUNDS))
    files = write_demo_files(data, folder)
    nav = pd.DataFrame(
        {
            "펀드코드": data.nav["fund_id"],
            "기준일자": pd.to_datetime(data.nav["date"]).dt.strftime("%Y-%m-%d"),
            "기준가격": data.nav["nav"].map("{:.2f}".format),
        }
    )
    files["nav"].unlink()
    files["nav"] = folder / "기준가격.csv"
    nav.to_csv(files["nav"], index=False, encoding="cp949")
    bad = folder / "기준가격_오류.csv"
    bad.write_bytes(
        "펀드코드,기준일자,기준가격\nKR0000000001,2024-01-02,1000\nKR0000000001,2024-01-03,-5\n".encode(
            "cp949"
        )
    )
    files["bad"] = bad
    files["pdf"] = render_pdf(house_methodology("ko"), folder / "평가방법론.pdf", layout="table")
    files["expected"] = {
        "funds": len(data.funds),
        "nav": len(data.nav),
        "ratings": len(data.ratings),
    }
    return files


# ---------------------------------------------------------------- page helpers


def shot(page, name: str, folder: Path = TOUR) -> None:
    assert_healthy(page)
    screenshot(page, folder / f"{name}.png")


def counts(page) -> tuple[str, str, str]:
    page.get_by_text(ko("loaded_header")).wait_for(timeout=RENDER_TIMEOUT_MS)
    settled(page)
    return (
        metric(page, ko("m_funds")),
        metric(page, ko("m_nav_rows")),
        metric(page, ko("m_ratings")),
    )


def upload(page, files: list[Path], within=None) -> None:
    where = within or page
    where.locator('[data-testid="stFileUploaderDropzoneInput"]').first.set_input_files(
        [str(f) for f in files]
    )


def fill_number(where, label: str, value: object) -> None:
    box = where.get_by_label(label, exact=True)
    box.fill(str(value))
    box.press("Tab")


def run_state(home: Path, run_id: str) -> str | None:
    path = home / "runs" / run_id / "status.json"
    try:
        return json.loads(path.read_text()).get("state")
    except (OSError, ValueError):
        return None


def end_training(home: Path) -> None:
    """Kill training processes the test left running (a failed step must not leave them)."""
    for pid_file in (home / "runs").glob("run-*/pid"):
        try:
            os.kill(int(pid_file.read_text().strip()), signal.SIGKILL)
        except (OSError, ValueError):
            pass


# ---------------------------------------------------------------- the loop


def test_the_whole_analyst_loop(tmp_path_factory: pytest.TempPathFactory) -> None:
    started = time.monotonic()
    root = tmp_path_factory.mktemp("e2e")
    home = root / "home"
    files = analyst_files(root / "files")
    init = cli(home, "init", "--json")  # `make run`, minus the demo: the analyst brings files
    assert init.returncode == 0, init.stderr
    assert json.loads(init.stdout)["funds"] == 0

    with served(home) as app, chromium() as browser:
        page = new_tab(browser)
        try:
            loop(page, app["url"], home, files)
        except BaseException:
            page.screenshot(path=str(FAILED), full_page=True)  # what the page showed
            raise
        finally:
            end_training(home)
            page.context.close()
    print(f"\nwhole loop: {time.monotonic() - started:.0f} s")


def loop(page, url: str, home: Path, files: dict) -> None:
    page.goto(url)
    assert counts(page) == ("0", "0", "0")
    step_data(page, url, files)
    step_methodology(page, url, files)
    run_id = step_training(page, url, home)
    step_review(page, url, run_id)
    step_retrain(page, url, home, run_id)
    step_export(page, url)


def step_data(page, url: str, files: dict) -> None:
    """1. A bad NAV file is refused and changes nothing; the six good files load."""
    go(page, url, "nav_data")
    upload(page, [files["bad"]])
    refusal = page.locator('[data-testid="stAlert"]').filter(has_text=ko("p_errors"))
    refusal.wait_for(timeout=RENDER_TIMEOUT_MS)
    settled(page)
    assert "nav must be a positive number, got '-5'" in refusal.inner_text()
    assert page.get_by_role("button", name=ko("btn_load"), exact=True).count() == 0
    go(page, url, "nav_home")
    assert counts(page) == ("0", "0", "0")  # nothing changed

    go(page, url, "nav_data")
    good = [files[k] for k in ("funds", "benchmarks", "risk_free", "nav", "qualitative", "ratings")]
    upload(page, good)
    load_all = page.get_by_role("button", name=ko("btn_load_all", n=len(good)))
    load_all.wait_for(timeout=RENDER_TIMEOUT_MS)
    settled(page)
    load_all.click()
    loaded = page.locator('[data-testid="stAlert"]').filter(has_text=LOADED)
    poll(lambda: loaded.count() == len(good), 120, "the six files to load")
    settled(page)
    shot(page, "1-data")
    go(page, url, "nav_home")
    expected = files["expected"]
    funds, nav_rows, ratings = counts(page)
    assert int(funds) == expected["funds"]
    assert int(nav_rows.replace(",", "")) == expected["nav"]
    assert int(ratings.replace(",", "")) == expected["ratings"]


def step_methodology(page, url: str, files: dict) -> None:
    """2. Extract the Korean methodology PDF, fix its id, save it as a version."""
    from engine.demo.house import house_methodology

    go(page, url, "nav_methodology")
    upload(page, [files["pdf"]])
    page.get_by_role("button", name=ko("meth_btn_to_editor")).wait_for(timeout=60_000)
    settled(page)
    page.get_by_role("button", name=ko("meth_btn_to_editor")).click()
    settled(page)
    house_id = house_methodology("ko")["id"]
    id_box = page.get_by_label(ko("meth_f_id"), exact=True)
    id_box.fill(house_id)
    id_box.press("Enter")
    settled(page)
    page.get_by_role("button", name=ko("meth_btn_save")).click()
    page.get_by_text(ko("meth_saved", id=house_id, version=1)).wait_for(timeout=RENDER_TIMEOUT_MS)
    settled(page)
    shot(page, "2-methodology")


def step_training(page, url: str, home: Path) -> str:
    """3. Start a tiny run, see the reward curve grow, stop it, resume it, see it finish."""
    from engine.llm.models import PRESETS

    go(page, url, "nav_training")
    choose(page, ko("tf_model"), PRESETS["builtin-tiny"].label)
    form = page.locator('[data-testid="stForm"]')
    for key, value in RUN_SETTINGS.items():
        fill_number(form, ko(key), value)
    form.get_by_text(ko("tf_advanced")).click()
    for key, value in ADVANCED_SETTINGS.items():
        fill_number(form, ko(key), value)
    form.get_by_role("button", name=ko("btn_start_run")).click()
    run_id = "run-0001"
    page.get_by_text(ko("live_state")).first.wait_for(timeout=120_000)
    poll(lambda: chart_points(page, "train_chart_reward") >= 1, TRAIN_TIMEOUT_S, "a reward point")
    first = chart_points(page, "train_chart_reward")
    poll(
        lambda: chart_points(page, "train_chart_reward") > first,
        TRAIN_TIMEOUT_S,
        "the reward curve to update live",
    )
    assert_healthy(page)
    page.get_by_role("button", name=ko("btn_stop")).click()
    poll(lambda: run_state(home, run_id) == "stopped", 60, "the run to stop")
    page.get_by_role("button", name=ko("btn_resume")).wait_for(timeout=RENDER_TIMEOUT_MS)
    settled(page)
    assert_healthy(page)
    page.get_by_role("button", name=ko("btn_resume")).click()
    page.get_by_text(ko("live_finished")).wait_for(timeout=TRAIN_TIMEOUT_S * 1000)
    settled(page)
    assert run_state(home, run_id) == "finished"
    assert chart_points(page, "train_chart_reward") >= RUN_SETTINGS["tf_max_steps"] // 2
    shot(page, "e2e-3-training", SCREENSHOTS)  # the tour's: scripts/tour_training.py
    return run_id


def expander(page, key: str):
    """The st.expander headed by the text of `key`."""
    return page.locator('[data-testid="stExpander"] summary').filter(has_text=ko(key))


def choose_nth(page, label: str, n: int) -> str:
    """Pick the n-th option (0-based) of the selectbox labelled `label`; its text."""
    option = open_options(page, label).nth(n)
    text = option.inner_text().strip()
    option.click()
    settled(page)
    return text


def evaluate(page, kind: str, run_id: str, scope: str = "test") -> None:
    """Evaluate the run's held-out funds (or, with scope "all", every rated fund, its training
    funds named so) with its `kind` model ('run', 'tabular'); wait for it."""
    spec = f"{kind}:{run_id}"
    choose(page, ko("rev_evaluator"), ko(f"rev_ev_{kind}", arg=run_id))
    label = "rev_scope_test" if scope == "test" else "rev_scope_all_training"
    choose(page, ko("rev_scope"), ko(label, run=run_id))
    page.get_by_role("button", name=ko("rev_evaluate"), exact=True).click()
    settled(page)
    chosen = page.locator('[data-testid="stSelectbox"]').filter(
        has=page.get_by_text(ko("rev_evaluation"), exact=True)
    )

    def evaluated() -> bool:
        # the page follows the job by itself (no Refresh click); results show once it ended
        shown = chosen.first.locator("input")
        return bool(shown.count() and spec in shown.input_value()) and bool(
            expander(page, "rev_agreement").count()
        )

    poll(evaluated, 180, f"the evaluation by {spec}", every_s=2)
    settled(page)
    assert_healthy(page)


def step_review(page, url: str, run_id: str) -> None:
    """4. Evaluate the run's held-out funds; then review every rated fund (only corrections of
    training funds retrain: held-out labels stay the experts'): correct two grades, accept a
    filtered set."""
    go(page, url, "nav_review")
    evaluate(page, "run", run_id)
    expander(page, "rev_new_eval").click()  # the form folds away once there are results
    settled(page)
    evaluate(page, REVIEWED, run_id, scope="all")
    assert_healthy(page)
    for n, grade in ((0, "1"), (1, "5")):
        fund = choose_nth(page, ko("rev_open_fund"), n).split(" · ")[0]
        choose(page, ko("rev_grade"), grade)
        reason = page.get_by_label(ko("rev_reason"), exact=True)
        reason.fill(f"e2e: 분석가 판단으로 {grade}등급")
        reason.press("Enter")
        settled(page)
        page.get_by_role("button", name=ko("rev_correct"), exact=True).click()
        done = page.locator('[data-testid="stAlert"]').filter(has_text=ko("rev_action_correct"))
        done.filter(has_text=fund).wait_for(timeout=RENDER_TIMEOUT_MS)
        settled(page)
    # A filtered set: the first category with a fund left undecided by the corrections.
    bulk = page.get_by_role("button", name=ko_pattern("rev_bulk_accept"))
    categories = open_options(page, ko("f_category")).count()
    page.keyboard.press("Escape")
    for n in range(1, categories):
        assert choose_nth(page, ko("f_category"), n) != ko("f_all")
        if bulk.is_enabled():
            break
    assert bulk.is_enabled(), bulk.inner_text()
    bulk.click()
    accepted = ko_pattern("rev_bulk_done")
    page.locator('[data-testid="stAlert"]').filter(has_text=accepted).wait_for(
        timeout=RENDER_TIMEOUT_MS
    )
    settled(page)
    shot(page, "4-review")


def step_retrain(page, url: str, home: Path, run_id: str) -> None:
    """5. Retrain with the feedback: a child run starts and the lineage names it."""
    expander(page, "rev_lineage_header").click()
    settled(page)
    retrain = page.get_by_role("button", name=ko_pattern("rev_retrain"))
    assert retrain.is_enabled(), retrain.inner_text()
    retrain.click()
    child = poll(
        lambda: next((p.name for p in (home / "runs").glob("run-*") if p.name != run_id), None),
        120,
        "the retrain run",
    )
    page.get_by_text(ko("rev_children", runs=child)).wait_for(timeout=60_000)
    settled(page)
    choose(page, ko("rev_parent"), child)
    page.get_by_text(f"{run_id} → {child}").wait_for(timeout=RENDER_TIMEOUT_MS)
    settled(page)
    shot(page, "5-lineage")


def step_export(page, url: str) -> None:
    """6. Export the evaluation to Excel; the download opens with pandas."""
    go(page, url, "nav_validation")
    page.get_by_role("tab", name=ko("val_tab_export")).click()
    settled(page)
    with page.expect_download(timeout=60_000) as download:
        page.get_by_role("button", name=ko("val_exp_excel")).click()
    path = download.value.path()
    sheets = pd.read_excel(path, sheet_name=None)
    assert sheets, "the Excel export has no sheet"
    assert any(len(frame) for frame in sheets.values()), {k: len(v) for k, v in sheets.items()}
    settled(page)
    assert_healthy(page)

    page.get_by_role("tab", name=ko("val_tab_report")).click()
    settled(page)
    page.get_by_role("button", name=ko("val_rep_build")).click()
    built = page.locator('[data-testid="stAlert"]').filter(has_text=ko_pattern("val_rep_done"))
    built.wait_for(timeout=120_000)
    settled(page)
    with page.expect_download(timeout=60_000) as download:
        page.get_by_role("button", name=ko("val_rep_download")).click()
    report = Path(download.value.path())
    settled(page)
    shot(page, "6-report")
    opened = page.context.new_page()  # the report as the analyst opens it: a page of its own
    opened.on("pageerror", lambda exc: page.console_errors.append(f"report: {exc}"))
    opened.goto(report.as_uri())
    text = opened.locator("body").inner_text()
    assert "eval-0001" in text and "eval-0002" in text, text[:500]
    opened.close()
    assert page.console_errors == [], page.console_errors
