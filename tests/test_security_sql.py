"""No name or value from outside reaches SQL text: file headers, sheet names, methodology and
criterion ids, client and user names, export names.

Each case runs with every DuckDB connection recorded. The payloads would write a file and add a
table to the store if they ran; the tests check both side effects and, for the class, that no
payload text ever appears in an SQL statement.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import duckdb
import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.clients.clients import ClientError, create_client
from engine.clients.users import UserError, add_user
from engine.data.ingest import IngestError, ingest_file, preview_file
from engine.demo.house import house_methodology
from engine.methodology import MethodologyError
from engine.methodology.versions import save_version
from store import db as store_db
from store.db import connect
from store.home import Home
from workbench.cli.core import main

_real_connect = duckdb.connect


class RecordingConnection:
    """A DuckDB connection that keeps the text of every statement it is given."""

    def __init__(self, con: duckdb.DuckDBPyConnection, log: list[str]) -> None:
        self._con, self._log = con, log

    def execute(self, sql: str, *args, **kwargs):
        self._log.append(str(sql))
        return self._con.execute(sql, *args, **kwargs)

    def sql(self, sql: str, *args, **kwargs):
        self._log.append(str(sql))
        return self._con.sql(sql, *args, **kwargs)

    query = sql

    def executemany(self, sql: str, *args, **kwargs):
        self._log.append(str(sql))
        return self._con.executemany(sql, *args, **kwargs)

    def __getattr__(self, name: str):
        return getattr(self._con, name)

    def __enter__(self) -> RecordingConnection:
        return self

    def __exit__(self, *exc) -> None:
        self._con.close()


@pytest.fixture()
def sql_log(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every SQL statement run while the test runs."""
    log: list[str] = []
    real_cursor = store_db._cursor

    def recording_connect(*args, **kwargs):
        return RecordingConnection(_real_connect(*args, **kwargs), log)

    monkeypatch.setattr(duckdb, "connect", recording_connect)
    # the store's files and the upload staging: connections to the process's host database
    monkeypatch.setattr(store_db, "_cursor", lambda: RecordingConnection(real_cursor(), log))
    return log


def payloads(target: Path, db: Path) -> list[str]:
    """Header texts that each would run SQL if a header were pasted into a statement."""
    return [
        f"fund_id(\" AS a FROM raw; COPY raw TO '{target}'; --)",
        f"fund_id(\" FROM raw; ATTACH '{db}' AS w; CREATE TABLE w.pwned AS SELECT 1 AS x; --)",
        f"nav(\"; COPY raw TO '{target}'; --)",
        f"score_x\" AS a FROM raw; COPY raw TO '{target}'; --",
        f"fund_id\"; COPY raw TO '{target}'; --",
        f"date(') ; COPY raw TO '{target}' ; --)",
    ]


def assert_untouched(sql_log: list[str], target: Path, home: Home, payload: str) -> None:
    assert not target.exists(), "a payload wrote a file"
    assert not any(payload in sql or str(target) in sql for sql in sql_log), (
        "text from outside reached SQL"
    )
    if home.db_path.exists():
        with _real_connect(str(home.db_path)) as con:
            tables = {
                r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()
            }
        assert "pwned" not in tables


def write_csv(path: Path, headers: list[str], rows: list[list[str]]) -> Path:
    frame = pd.DataFrame(rows, columns=headers)
    frame.to_csv(path, index=False)
    return path


def write_xlsx(path: Path, headers: list[str], rows: list[list[str]], sheet: str = "s") -> Path:
    book = openpyxl.Workbook()
    sheet_ = book.active
    sheet_.title = sheet
    sheet_.append(headers)
    for row in rows:
        sheet_.append(row)
    book.save(path)
    return path


def write_parquet(path: Path, headers: list[str], rows: list[list[str]]) -> Path:
    columns = {h: pa.array([r[i] for r in rows], type=pa.string()) for i, h in enumerate(headers)}
    pq.write_table(pa.table(columns), path)
    return path


WRITERS = {"csv": write_csv, "xlsx": write_xlsx, "parquet": write_parquet}


@pytest.fixture()
def funded_home(home: Home, tmp_path: Path) -> Home:
    ingest_file(home, write_csv(tmp_path / "funds.csv", ["fund_id", "fund_name"], [["F1", "A"]]))
    return home


@pytest.mark.parametrize("file_format", sorted(WRITERS))
@pytest.mark.parametrize("index", range(6))
def test_header_payloads_never_reach_sql(
    funded_home: Home, tmp_path: Path, sql_log: list[str], file_format: str, index: int
) -> None:
    target = tmp_path / "written-by-attacker.csv"
    payload = payloads(target, funded_home.db_path)[index]
    # A column literally named 'fund_id(' makes the first injected statement valid SQL.
    headers = ["fund_id(", payload, "date", "nav"]
    path = WRITERS[file_format](
        tmp_path / f"evil.{file_format}", headers, [["F1", "F1", "2024-01-02", "100"]]
    )
    for action in (
        lambda: preview_file(path),
        lambda: ingest_file(funded_home, path),
        lambda: ingest_file(funded_home, path, "nav"),
    ):
        try:
            action()
        except IngestError:
            pass
    assert_untouched(sql_log, target, funded_home, payload)


def test_values_and_sheet_names_never_reach_sql(
    funded_home: Home, tmp_path: Path, sql_log: list[str]
) -> None:
    target = tmp_path / "written-by-attacker.csv"
    payload = f"x'); COPY (SELECT 1) TO '{target}'; --"
    path = write_xlsx(
        tmp_path / "ratings.xlsx",
        ["fund_id", "as_of", "grade", "comment", "score_risk"],
        [["F1", "2024-06-28", "3", payload, "4"]],
        sheet=payload[:31].replace("'", "_").replace("/", "_"),
    )
    sheet = openpyxl.load_workbook(path).sheetnames[0]
    result = ingest_file(funded_home, path, sheet=sheet)
    assert result.inserted == 1
    with pytest.raises(IngestError, match="no sheet named"):
        ingest_file(funded_home, path, sheet=payload)
    with connect(funded_home) as con:
        assert con.execute("SELECT comment FROM ratings").fetchall() == [(payload,)]
    assert_untouched(sql_log, target, funded_home, payload)


def _methodology_doc() -> dict:
    return house_methodology()


def test_methodology_criterion_client_and_user_names_never_reach_sql(
    home: Home, tmp_path: Path, sql_log: list[str]
) -> None:
    target = tmp_path / "written-by-attacker.csv"
    payload = f"x'; COPY (SELECT 1) TO '{target}'; --"
    doc = _methodology_doc()
    doc["id"] = payload
    evil_criterion = _methodology_doc()
    evil_criterion["sections"][0]["criteria"][0]["id"] = payload
    with connect(home) as con:
        for document in (doc, evil_criterion):
            try:
                save_version(con, document, created_by=payload)
            except MethodologyError:
                pass
        try:
            create_client(con, payload, fund_ids=[payload], by=payload)
        except ClientError:
            pass
        try:
            add_user(con, payload, "admin", "a-long-unusual-passphrase-7", created_by=payload)
        except UserError:
            pass
    assert_untouched(sql_log, target, home, payload)


def test_export_file_names_never_reach_sql(
    demo_home: Home, tmp_path: Path, sql_log: list[str]
) -> None:
    target = tmp_path / "written-by-attacker.csv"
    name = f"x'; COPY (SELECT 1) TO '{target}'; --.csv".replace("/", "_")
    printed: list[str] = []
    status = main(["score", "--methodology", "house", "--out", str(tmp_path / name), "--json"],
                  out=printed.append)  # fmt: skip
    assert status == 0, printed
    assert (tmp_path / name).is_file()
    assert json.loads(printed[0])["ok"] is True
    assert_untouched(sql_log, target, demo_home, name)


SQL_BITS = st.sampled_from(
    ['"', "'", ";", "--", "(", ")", "fund_id", "date", "nav", "score_", " AS ", "COPY raw TO",
     "ATTACH", "\\", "\n", "\t", "\ufeff", "\u200b", ",", "x"]
)  # fmt: skip
HEADERS = st.lists(st.lists(SQL_BITS, min_size=1, max_size=8).map("".join), min_size=1, max_size=6)
VALUES = st.one_of(
    st.sampled_from(["NaN", "inf", "-Infinity", "1e999", "", " ", "0", "-1", "2024-02-30"]),
    st.text(max_size=12),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(headers=HEADERS, values=st.lists(VALUES, min_size=1, max_size=6))
def test_fuzzed_headers_and_values_only_ever_raise_the_domain_error(
    tmp_path: Path, sql_log: list[str], headers: list[str], values: list[str]
) -> None:
    sql_log.clear()
    row = (values * len(headers))[: len(headers)]
    for file_format, writer in WRITERS.items():
        path = tmp_path / f"fuzz.{file_format}"
        try:
            writer(path, headers, [row])
        except Exception:  # the writer itself refuses (e.g. openpyxl and control characters)
            continue
        try:
            parsed, frame = preview_file(path)
        except IngestError:
            continue
        assert set(parsed.mapping.values()) <= {c for c in frame.columns}
    assert not any("COPY raw TO" in sql or "ATTACH" in sql for sql in sql_log)


# Every value interpolated into SQL text, by file: UPPER_CASE module constants are fine;
# the lower-case names below were reviewed and are built only from canonical names passed
# through store.sql_names.quote_name or from the file's column positions.
REVIEWED_SQL_PIECES = {
    "store/cycles.py": {"selected"},  # GRADE_COLUMNS, constants
    "engine/data/checks.py": {"', '.join(exprs)", "keep", "union", "flagged", "keyed", "previous",
                              "unordered", "distinct", "per_column", "values"},
    "engine/data/reading.py": {"found", "picked", "casts"},
    # migrations read from store/sql/, `scalar`'s own argument; the attachment aliases are
    # store_<counter>; the attached path is a parameter
    "store/db.py": {"sql", "alias", "attachment.alias"},
    "store/queries.py": {"union"},  # the fixed table names of table_counts
    "store/uploads.py": {"src", "dst", "cols", "match", "missing", "differs",
                         "update", "select", "selected", "name", "column", "same"},
    "store/users.py": {"where"},  # one of two fixed clauses
}  # fmt: skip
SQL_CALLS = {"execute", "sql", "query", "executemany", "scalar"}


def _sql_pieces(path: Path) -> list[tuple[int, str]]:
    """(line, expression) for each non-literal part of an SQL statement given to DuckDB."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        index = 1 if name == "scalar" else 0
        if name not in SQL_CALLS or len(node.args) <= index:
            continue
        arg = node.args[index]
        parts = arg.values if isinstance(arg, ast.JoinedStr) else [arg]
        for part in parts:
            value = part.value if isinstance(part, ast.FormattedValue) else part
            if isinstance(value, ast.Constant) or (isinstance(part, ast.Constant)):
                continue
            found.append((node.lineno, ast.unparse(value)))
    return found


def _is_constant(expression: str) -> bool:
    """True for expressions of module constants only, e.g. `', '.join(COLUMNS)`."""
    code = re.sub(r"'[^']*'", "", expression)
    names = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", code)) - {"join", "for", "in", "_"}
    return bool(names) and all(n.lstrip("_").isupper() for n in names)


def test_sql_text_is_built_only_from_constants_and_reviewed_names() -> None:
    root = Path(__file__).resolve().parent.parent
    unreviewed = []
    for folder in ("engine", "store", "workbench", "pages"):
        for path in sorted((root / folder).rglob("*.py")):
            relative = path.relative_to(root).as_posix()
            allowed = REVIEWED_SQL_PIECES.get(relative, set())
            for line, expression in _sql_pieces(path):
                if _is_constant(expression) or expression in allowed:
                    continue
                unreviewed.append(f"{relative}:{line}: {expression}")
    assert not unreviewed, "SQL text built from unreviewed values:\n" + "\n".join(unreviewed)
