"""One database API over MariaDB (pymysql) and SQLite (the embedded default).

SQL is written once with `?` placeholders and portable syntax (no SKIP LOCKED, no
RETURNING: MariaDB 10.5 has neither). A lost or refused connection raises
`DatabaseUnavailable`, which every service turns into a 503.
"""

from __future__ import annotations

import logging
import re
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pymysql

from .settings import Settings

log = logging.getLogger(__name__)


class DatabaseUnavailable(RuntimeError):
    """The database cannot be reached or refused the connection."""


def utcnow() -> datetime:
    """Naive UTC time with microseconds: what DATETIME(6) columns hold."""
    return datetime.now(UTC).replace(tzinfo=None)


def _adapt_datetime(value: datetime) -> str:
    return value.isoformat(sep=" ", timespec="microseconds")


sqlite3.register_adapter(datetime, _adapt_datetime)


def as_datetime(value: Any) -> datetime | None:
    """Column value (datetime from pymysql, text from SQLite) as a naive UTC datetime."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def _wal(conn: sqlite3.Connection, wait: float = 15.0) -> None:
    """Switch to WAL. The switch takes an exclusive lock and, unlike other statements,
    does not wait for a busy database (several processes opening a new file at once):
    try again for up to `wait` seconds."""
    deadline = time.monotonic() + wait
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


# What the placeholder scanner skips: quoted strings and identifiers (a doubled quote or,
# in strings, a backslash escapes), and comments (`-- `, `#`, `/* */`), as MariaDB reads them.
_SKIPPED = re.compile(
    r"""'(?:[^'\\]|\\.|'')*'"""
    r'''|"(?:[^"\\]|\\.|"")*"'''
    r"|`(?:[^`]|``)*`"
    r"|--(?:[ \t][^\n]*)?(?:\n|$)|#[^\n]*|/\*.*?\*/",
    re.DOTALL,
)


def pyformat(sql: str) -> str:
    """`?` placeholders as pymysql's `%s`, outside quotes and comments only; every `%`
    doubled (pymysql formats the whole statement with `%`)."""
    out, pos = [], 0
    for m in _SKIPPED.finditer(sql):
        out.append(sql[pos : m.start()].replace("%", "%%").replace("?", "%s"))
        out.append(m.group().replace("%", "%%"))
        pos = m.end()
    out.append(sql[pos:].replace("%", "%%").replace("?", "%s"))
    return "".join(out)


_MYSQL_CONNECTION_ERRORS = {2002, 2003, 2006, 2013, 2055, 1040, 1053, 1205, 1927}


class Database:
    """Connections to the catalogue. `transaction()` is the only way in."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.dialect = "mariadb" if settings.uses_mariadb else "sqlite"
        self._local = threading.local()
        if self.dialect == "sqlite":
            Path(settings.db_path).parent.mkdir(parents=True, exist_ok=True)

    # -- connections -------------------------------------------------------------
    def _connect(self):
        settings = self.settings
        if self.dialect == "sqlite":
            conn = sqlite3.connect(settings.db_path, timeout=15, isolation_level=None)
            conn.row_factory = sqlite3.Row
            _wal(conn)
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            return conn
        try:
            return pymysql.connect(
                host=settings.db_host,
                port=settings.db_port,
                user=settings.db_user,
                password=settings.db_pass,
                database=settings.db_name,
                charset="utf8mb4",
                autocommit=True,
                connect_timeout=3,
                read_timeout=30,
                write_timeout=30,
                cursorclass=pymysql.cursors.DictCursor,
            )
        except pymysql.err.MySQLError as exc:
            raise DatabaseUnavailable(
                f"cannot connect to MariaDB at {settings.db_host}:{settings.db_port}: {exc}"
            ) from exc

    def _conn(self):
        """A per-thread connection, reused while it stays healthy."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
        return conn

    def _drop(self) -> None:
        conn = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            try:
                conn.close()
            except Exception:  # noqa: BLE001 - already broken; closing is best effort
                pass

    @contextmanager
    def transaction(self) -> Iterator[Cursor]:
        """Run statements in one transaction; commit on success, roll back on error."""
        conn = self._conn()
        cur = Cursor(self, conn)
        try:
            if self.dialect == "sqlite":
                conn.execute("BEGIN IMMEDIATE")
            else:
                try:
                    conn.ping(reconnect=False)
                except pymysql.err.MySQLError:
                    self._drop()
                    conn = self._conn()
                    cur = Cursor(self, conn)
                conn.begin()
            yield cur
            conn.commit()
        except BaseException as exc:
            try:
                conn.rollback()
            except Exception:  # noqa: BLE001 - the connection is gone; nothing to undo
                self._drop()
            if self._is_connection_error(exc):
                self._drop()
                if not isinstance(exc, DatabaseUnavailable):
                    raise DatabaseUnavailable(f"database connection lost: {exc}") from exc
            raise

    def _is_connection_error(self, exc: BaseException) -> bool:
        if isinstance(exc, DatabaseUnavailable):
            return True
        if isinstance(exc, pymysql.err.OperationalError | pymysql.err.InterfaceError):
            code = exc.args[0] if exc.args else None
            return isinstance(exc, pymysql.err.InterfaceError) or code in _MYSQL_CONNECTION_ERRORS
        if isinstance(exc, sqlite3.OperationalError):
            text = str(exc)
            return "unable to open" in text or "disk I/O" in text or "locked" in text
        return False

    @property
    def for_update(self) -> str:
        """` FOR UPDATE` on MariaDB (a row lock until the transaction ends); nothing on
        SQLite, whose BEGIN IMMEDIATE already holds the database's write lock."""
        return " FOR UPDATE" if self.dialect == "mariadb" else ""

    @property
    def exact(self) -> str:
        """` COLLATE utf8mb4_bin` on MariaDB, nothing on SQLite (which compares TEXT byte
        for byte): to compare a name exactly in a column whose collation does not
        (`videos.owner`, `uploads.owner` are utf8mb4_unicode_ci, where `e` equals `é`).
        Written beside a plain comparison (`owner = ? AND owner{exact} = ?`), so that the
        column's index still finds the rows."""
        return " COLLATE utf8mb4_bin" if self.dialect == "mariadb" else ""

    def ping(self) -> None:
        """Raise DatabaseUnavailable unless a trivial query succeeds."""
        with self.transaction() as cur:
            cur.execute("SELECT 1")

    # helpers ---------------------------------------------------------------------
    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict]:
        with self.transaction() as cur:
            return cur.execute(sql, params).fetchall()

    def query_one(self, sql: str, params: Sequence[Any] = ()) -> dict | None:
        rows = self.query(sql, params)
        return rows[0] if rows else None

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        with self.transaction() as cur:
            return cur.execute(sql, params).rowcount

    def tidy(self, sql: str, params: Sequence[Any] = ()) -> None:
        """A clean-up statement (old rows purged) in a transaction of its own, after the
        change it follows has committed: on MariaDB a range DELETE in the same transaction
        as an INSERT deadlocks with concurrent ones (eight logins at once). A deadlock or a
        here is ignored: the next call purges the same rows."""
        try:
            self.execute(sql, params)
        except pymysql.err.OperationalError as exc:
            if not exc.args or exc.args[0] != 1213:
                raise


class Cursor:
    """A thin cursor that takes `?` placeholders on both databases and returns dicts."""

    def __init__(self, db: Database, conn):
        self.db = db
        self.conn = conn
        self._cur = None
        self.rowcount = 0

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        if self.db.dialect == "mariadb":
            sql = pyformat(sql)
            self._cur = self.conn.cursor()
            self._cur.execute(sql, tuple(params))
        else:
            self._cur = self.conn.execute(sql, tuple(params))
        self.rowcount = self._cur.rowcount
        return self

    def fetchall(self) -> list[dict]:
        rows = self._cur.fetchall()
        return [dict(r) for r in rows]

    def fetchone(self) -> dict | None:
        row = self._cur.fetchone()
        return dict(row) if row is not None else None
