"""The inbox folder (docs/rating-cycle.md): files dropped into WORKBENCH_HOME/inbox/ are ingested
before a cycle with the usual checks, each moved to done/ or refused/ with its message; a
refused file never blocks the others. A fund that arrives this way, with NAVs and reviews but no
rating, is graded by the cycle and served by the API with its grade's source.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from engine.clients import clients
from engine.cycle import run as cycles
from engine.cycle.inbox import inbox_dir, ingest_inbox
from store.db import connect
from tests import evaluation_support
from tests.test_api_support import api_client, auth

# fixtures shared with other test modules
eval_template = evaluation_support.eval_template
eval_home = evaluation_support.eval_home

AS_OF = "2026-08-31"
NEW = "KRNEW0000001"


def _drop(home, name: str, frame: pd.DataFrame) -> Path:
    inbox_dir(home).mkdir(exist_ok=True)
    path = inbox_dir(home) / name
    frame.to_csv(path, index=False)
    return path


def _copy_of_a_rated_fund(home) -> str:
    """Drop funds, NAV and review files of NEW, a copy of an eligible rated fund; its id."""
    with connect(home) as con:
        source = con.execute(
            "SELECT fund_id FROM ratings WHERE as_of = '2025-12-31' ORDER BY fund_id LIMIT 1"
        ).fetchone()[0]
        fund = con.execute(
            "SELECT ? AS fund_id, fund_name || ' (new)' AS fund_name, category,"
            " company_id AS company, manager, inception_date, currency, benchmark_id,"
            " expense_ratio, aum FROM funds WHERE fund_id = ?",
            [NEW, source],
        ).df()
        nav = con.execute(
            "SELECT ? AS fund_id, date, nav FROM nav WHERE fund_id = ? ORDER BY date", [NEW, source]
        ).df()
        reviews = con.execute(
            "SELECT ? AS subject_id, as_of, criterion_id, score, note FROM qualitative"
            " WHERE subject_id = ?",
            [NEW, source],
        ).df()
    _drop(home, "1_funds.csv", fund)
    _drop(home, "2_nav.csv", nav)
    _drop(home, "3_reviews.csv", reviews)
    return source


def test_inbox_files_go_to_done_or_refused_with_their_message(eval_home) -> None:
    _drop(eval_home, "a_nav_of_unknown_fund.csv",
          pd.DataFrame({"fund_id": ["NOPE"], "date": ["2026-08-31"], "nav": [1000.0]}))  # fmt: skip
    _drop(eval_home, "b_rates.csv", pd.DataFrame({"date": ["2026-08-31"], "rate": [3.1]}))
    (inbox_dir(eval_home) / ".partial").write_text("still arriving")
    outcomes = ingest_inbox(eval_home)
    assert [(o["file"], o["outcome"]) for o in outcomes] == [
        ("a_nav_of_unknown_fund.csv", "refused"),
        ("b_rates.csv", "ok"),
    ]
    refused = inbox_dir(eval_home) / "refused" / "a_nav_of_unknown_fund.csv"
    assert refused.is_file() and "NOPE" in outcomes[0]["message"]
    note = refused.with_name(refused.name + ".txt").read_text(encoding="utf-8")
    assert note.startswith("refused:") and "NOPE" in note
    done = inbox_dir(eval_home) / "done" / "b_rates.csv"
    assert done.is_file() and "ingested as risk_free" in outcomes[1]["message"]
    assert (inbox_dir(eval_home) / ".partial").is_file()  # hidden: left alone
    with connect(eval_home) as con:
        assert con.execute("SELECT rate FROM risk_free WHERE date = '2026-08-31'").fetchone() == (
            3.1,
        )
    _drop(eval_home, "b_rates.csv", pd.DataFrame({"date": ["2026-08-31"], "rate": [3.2]}))
    assert ingest_inbox(eval_home)[0]["outcome"] == "ok"
    assert len(list((inbox_dir(eval_home) / "done").glob("b_rates*.csv"))) == 2  # kept both
    assert ingest_inbox(eval_home) == []


def test_a_new_unrated_fund_from_the_inbox_is_graded_and_served_with_its_source(
    eval_home,
) -> None:
    source = _copy_of_a_rated_fund(eval_home)
    with connect(eval_home) as con:
        client = clients.create_client(con, "Alpha", fund_ids=[source], by="t")
    result = cycles.start(eval_home, as_of=AS_OF, model="rules", background=False,
                          client=client["client_id"])  # fmt: skip
    assert [o["outcome"] for o in result["inbox"]] == ["ok", "ok", "ok"]
    with connect(eval_home) as con:
        assert (
            con.execute("SELECT count(*) FROM ratings WHERE fund_id = ?", [NEW]).fetchone()[0] == 0
        )
        clients.set_client_funds(con, client["client_id"], [source, NEW], by="t")
    (cycle,) = cycles.start(eval_home, as_of=AS_OF, model="rules", background=False,
                            client=client["client_id"])["cycles"]  # fmt: skip
    assert cycle["releases"][0]["version"] == 2  # the new fund joined the client
    shown = cycles.show(eval_home, cycle["cycle_id"])
    rows = shown["rows"].set_index("fund_id")
    assert rows.loc[NEW, "final_grade"] == rows.loc[source, "final_grade"]  # same data, same grade
    assert rows.loc[NEW, "source"] == "rules" and pd.isna(rows.loc[NEW, "expert_grade"])
    assert pd.notna(rows.loc[NEW, "tabular_grade"])
    with api_client(eval_home) as api:
        fund = api.get(f"/v1/funds/{NEW}", headers=auth(client["key"])).json()
    assert fund["current"]["grade"] == int(rows.loc[NEW, "final_grade"])
    assert fund["current"]["source"] == "rules" and fund["current"]["run_id"] is None
    assert fund["current"]["as_of"] == AS_OF
