"""The store: migrations upgrade old files, and a locked file is waited for, then refused."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
import pytest

import store.clients as clients_store
import store.db as db
from store.db import StoreBusyError, connect, migrations, schema_version
from store.home import Home, current_home


def test_new_database_gets_every_migration(tmp_path: Path) -> None:
    home = Home(tmp_path / "h")
    with connect(home) as con:
        assert schema_version(con) == max(v for v, _, _ in migrations())
        tables = {r[0] for r in con.execute("SHOW TABLES").fetchall()}
    expected = {"funds", "companies", "nav", "benchmarks", "benchmark_levels", "risk_free"}
    assert expected | {"ratings", "rating_scores", "qualitative", "upload_log", "meta"} <= tables
    assert (home.root / "uploads").is_dir() and (home.root / "runs").is_dir()


def test_opening_an_older_database_applies_only_newer_migrations(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = Home(tmp_path / "h")
    with connect(home) as con:
        con.execute("INSERT INTO funds (fund_id, fund_name) VALUES ('F1', '한빛')")
    newer = tmp_path / "sql"
    shutil.copytree(db.SQL_DIR, newer)
    (newer / "999_add_fund_note.sql").write_text("ALTER TABLE funds ADD COLUMN note VARCHAR;")
    monkeypatch.setattr(db, "SQL_DIR", newer)
    with connect(home) as con:
        assert schema_version(con) == 999
        assert con.execute("SELECT fund_id, note FROM funds").fetchall() == [("F1", None)]
        names = [r[0] for r in con.execute("SELECT name FROM schema_version ORDER BY 1").fetchall()]
    assert names[-1] == "999_add_fund_note.sql"
    with connect(home) as con:  # a second open applies nothing again
        assert db.migrate(con) == []


def test_a_migration_added_to_the_folder_is_applied_at_the_next_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "sql"
    shutil.copytree(db.SQL_DIR, folder)
    monkeypatch.setattr(db, "SQL_DIR", folder)
    home = Home(tmp_path / "h")
    with connect(home):
        pass
    reads = db._migrations_in.cache_info().misses
    db.migrations()
    assert db._migrations_in.cache_info().misses == reads  # the folder is not read again
    (folder / "999_add_fund_note.sql").write_text("ALTER TABLE funds ADD COLUMN note VARCHAR;")
    with connect(home) as con:
        assert schema_version(con) == 999
        assert con.execute("SELECT count(*) FROM funds WHERE note IS NULL").fetchone() == (0,)


def test_failed_migration_leaves_the_database_at_the_previous_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = Home(tmp_path / "h")
    with connect(home) as con:
        before = schema_version(con)
    broken = tmp_path / "sql"
    shutil.copytree(db.SQL_DIR, broken)
    (broken / "998_broken.sql").write_text("CREATE TABLE half (a INT); SELECT * FROM missing;")
    monkeypatch.setattr(db, "SQL_DIR", broken)
    with pytest.raises(Exception, match="missing"):
        with connect(home):
            pass
    monkeypatch.setattr(db, "SQL_DIR", db.Path(db.__file__).parent / "sql")
    with connect(home) as con:
        assert schema_version(con) == before
        assert "half" not in {r[0] for r in con.execute("SHOW TABLES").fetchall()}


def _hold_lock(path: Path, seconds: float) -> subprocess.Popen:
    code = (
        "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
        "print('locked', flush=True); time.sleep(float(sys.argv[2])); c.close()"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(path), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
    return proc


def test_writer_waits_for_another_process_then_succeeds(tmp_path: Path) -> None:
    home = Home(tmp_path / "h")
    with connect(home):
        pass
    holder = _hold_lock(home.db_path, 1.0)
    started = time.monotonic()
    with connect(home, busy_timeout=20) as con:
        con.execute("INSERT INTO meta VALUES ('k', 'v')")
    waited = time.monotonic() - started
    holder.wait()
    assert waited > 0.5  # it really had to wait for the other process


def test_writer_gives_up_with_a_busy_message(tmp_path: Path) -> None:
    home = Home(tmp_path / "h")
    with connect(home):
        pass
    holder = _hold_lock(home.db_path, 4)
    try:
        with pytest.raises(StoreBusyError, match="busy"):
            with connect(home, busy_timeout=0.5):
                pass
    finally:
        holder.kill()
        holder.wait()


def test_home_comes_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path / "elsewhere"))
    assert current_home().root == (tmp_path / "elsewhere").resolve()
    assert current_home(tmp_path / "x").db_path == (tmp_path / "x" / "workbench.duckdb").resolve()


def _can_open_from_another_process(path: Path) -> bool:
    code = "import duckdb, sys; duckdb.connect(sys.argv[1]).close()"
    done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True)
    return done.returncode == 0


def test_held_block_shares_one_open_file_and_checks_migrations_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = Home(tmp_path / "h")
    checks: list[int] = []
    real_migrate = db.migrate
    monkeypatch.setattr(db, "migrate", lambda con: checks.append(1) or real_migrate(con))
    with db.held():
        assert db._ATTACHED == {}  # nothing is opened before the block's first read
        with db.held():  # nested blocks (a page inside the app's render) are one block
            for n in range(5):
                with connect(home) as con:
                    con.execute("INSERT INTO meta VALUES (?, 'v')", [f"k{n}"])
        with connect(home) as con:  # each connection still sees the others' committed writes
            assert con.execute("SELECT count(*) FROM meta WHERE key LIKE 'k%'").fetchone() == (5,)
        assert not _can_open_from_another_process(home.db_path)
    assert len(checks) == 1  # only the block's own connection ran the migration check
    assert db._ATTACHED == {}
    assert _can_open_from_another_process(home.db_path)  # released when the block ends
    with connect(home):
        pass
    assert len(checks) == 2  # outside a block every connection checks again


def test_the_nav_table_loses_its_index_and_keeps_every_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = Home(tmp_path / "h")
    older = tmp_path / "sql"
    shutil.copytree(db.SQL_DIR, older)
    (older / "013_nav_without_index.sql").unlink()
    monkeypatch.setattr(db, "SQL_DIR", older)
    rows = [("F2", "2024-01-03", 101.5), ("F1", "2024-01-02", 1000.0), ("F1", "2024-01-03", 990.25)]
    with connect(home) as con:
        assert schema_version(con) == 12
        con.executemany("INSERT INTO nav VALUES (?, ?, ?)", rows)
    monkeypatch.setattr(db, "SQL_DIR", db.Path(db.__file__).parent / "sql")
    with connect(home) as con:
        assert schema_version(con) >= 13
        kept = con.execute("SELECT fund_id, strftime(date, '%Y-%m-%d'), nav FROM nav").fetchall()
        assert sorted(kept) == sorted(rows)
        assert con.execute(
            "SELECT count(*) FROM duckdb_constraints() WHERE table_name = 'nav'"
            " AND constraint_type = 'PRIMARY KEY'"
        ).fetchone() == (0,)
        with pytest.raises(duckdb.ConstraintException):  # the CHECK stays
            con.execute("INSERT INTO nav VALUES ('F3', DATE '2024-01-02', -1)")


def test_scratch_connections_keep_their_tables_to_themselves_and_drop_them_on_close() -> None:
    first, second = db.scratch(), db.scratch()
    first.execute("CREATE TEMP TABLE raw AS SELECT 1 AS x")
    second.execute("CREATE TEMP TABLE raw AS SELECT 2 AS x")
    assert first.execute("SELECT x FROM raw").fetchall() == [(1,)]
    assert second.execute("SELECT x FROM raw").fetchall() == [(2,)]
    first.close()
    second.close()
    with db.scratch() as later, pytest.raises(duckdb.CatalogException):
        later.execute("SELECT x FROM raw")


def test_two_files_open_at_once_keep_their_own_tables(tmp_path: Path) -> None:
    first, second = Home(tmp_path / "a"), Home(tmp_path / "b")
    bare = tmp_path / "bare.duckdb"  # a file without the workbench's tables
    with connect(first) as a, connect(second) as b, db.opened(bare) as c:
        a.execute("INSERT INTO meta VALUES ('only', 'a')")
        a.execute("INSERT INTO clients (client_id, name, created_by) VALUES ('C1', 'one', 't')")
        assert b.execute("SELECT count(*) FROM meta WHERE key = 'only'").fetchone() == (0,)
        assert clients_store.client_exists(a, "C1") and not clients_store.client_exists(b, "C1")
        assert not clients_store.client_exists(c, "C1")  # the other file's table is not its own
    assert db._ATTACHED == {}
    assert _can_open_from_another_process(first.db_path)
    assert _can_open_from_another_process(second.db_path)


def test_threads_share_one_attachment_and_the_last_close_frees_the_file(tmp_path: Path) -> None:
    home = Home(tmp_path / "h")
    with connect(home):
        pass
    start = threading.Barrier(8)

    def write(n: int) -> None:
        start.wait()
        for k in range(10):
            with connect(home) as con:
                con.execute("INSERT INTO meta VALUES (?, 'v')", [f"t{n}-{k}"])

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(write, range(8)))
    assert db._ATTACHED == {}
    with connect(home) as con:
        assert con.execute("SELECT count(*) FROM meta WHERE key LIKE 't%'").fetchone() == (80,)
    assert _can_open_from_another_process(home.db_path)
    assert not home.db_path.with_name(home.db_path.name + ".wal").exists()  # written out
