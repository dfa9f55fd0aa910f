"""The schema: database/ init SQL matches the migrations; MariaDB and SQLite reach the
same tables and columns; migrations are idempotent."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from vs_common.db import Database
from vs_common.schema import LATEST, init_sql, migrate
from vs_common.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
TABLES = {"videos", "packaging_jobs", "auth_sessions", "login_attempts", "schema_migrations"}


def test_init_sql_is_generated_from_migrations():
    assert (ROOT / "database" / "01-schema.sql").read_text() == init_sql(), (
        "database/01-schema.sql is stale: run `python -m vs_common.schema > database/01-schema.sql`"
    )


def test_sqlite_migrates_from_empty_and_again(tmp_path):
    db = Database(Settings(db_path=str(tmp_path / "t.sqlite3")))
    assert migrate(db) == LATEST
    assert migrate(db) == LATEST
    conn = sqlite3.connect(tmp_path / "t.sqlite3")
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert TABLES <= tables
    assert conn.execute("SELECT COUNT(*) FROM schema_migrations").fetchone()[0] == LATEST


def _columns_mariadb(mariadb, database):
    rows = mariadb.query(
        "SELECT TABLE_NAME AS t, COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = %s",
        (database,),
    )
    out: dict[str, set[str]] = {}
    for r in rows:
        out.setdefault(r["t"], set()).add(r["c"])
    return out


def test_mariadb_init_sql_then_migrations_agree_with_sqlite(mariadb, tmp_path):
    # A fresh database initialised by the init SQL, as the MariaDB image does on first start.
    with mariadb.root() as conn, conn.cursor() as c:
        c.execute("DROP DATABASE IF EXISTS init_check")
        c.execute("CREATE DATABASE init_check CHARACTER SET utf8mb4")
        c.execute("USE init_check")
        for statement in init_sql().split(";\n"):
            body = "\n".join(ln for ln in statement.splitlines() if not ln.startswith("--")).strip()
            if body:
                c.execute(body)
    with mariadb.root() as conn, conn.cursor() as c:
        c.execute("CREATE USER IF NOT EXISTS 'schema_check'@'%' IDENTIFIED BY 'pw'")
        c.execute("GRANT ALL ON init_check.* TO 'schema_check'@'%'")
    settings = Settings(
        db_host="127.0.0.1", db_port=mariadb.port, db_user="schema_check", db_pass="pw", db_name="init_check"
    )
    db = Database(settings)
    assert migrate(db) == LATEST  # already at the latest: nothing to do
    versions = mariadb.query("SELECT version FROM init_check.schema_migrations")
    assert [r["version"] for r in versions] == list(range(1, LATEST + 1))
    maria = _columns_mariadb(mariadb, "init_check")
    assert TABLES <= set(maria)
    lite = Database(Settings(db_path=str(tmp_path / "s.sqlite3")))
    migrate(lite)
    conn = sqlite3.connect(tmp_path / "s.sqlite3")
    for table in TABLES:
        cols = {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}
        assert cols == maria[table], table
    # Ids are case-sensitive: a random id in other letter case is another (absent) video.
    from vs_common import videos

    videos.insert_video(db, settings, video_id="AbCdEfGhIjKlMnOp", name="n", owner="o", size_bytes=1, original_key="k")
    assert videos.get_video(db, "AbCdEfGhIjKlMnOp") is not None
    assert videos.get_video(db, "abcdefghijklmnop") is None
    assert videos.get_video(db, "AbCdEfGhIjKlMnOp ") is None
    db.close()
    with mariadb.root() as conn, conn.cursor() as c:
        c.execute("DROP DATABASE init_check")
        c.execute("DROP USER 'schema_check'@'%'")
