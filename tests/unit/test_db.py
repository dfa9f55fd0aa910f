"""The database API's `?` placeholders: only those outside quotes and comments are
parameters, on MariaDB as on SQLite (which reads them itself)."""

from __future__ import annotations

import pytest

from vs_common.db import Database, pyformat
from vs_common.settings import Settings

# Literal `?` and `%` in strings, quoted identifiers and comments, beside real parameters.
SQL = (
    "SELECT ? AS a, 'why?' AS b, 'it''s 100%?' AS c, \"?\" AS `d?`, "  # "..." is a string (no ANSI_QUOTES)
    "'back\\\\slash?' AS e /* a comment? */, ? AS f -- and a last one?\n"
)


@pytest.mark.fast
def test_pyformat_rewrites_only_the_placeholders():
    assert pyformat("SELECT ? WHERE x = '?' AND y LIKE '%a?' -- ?") == (
        "SELECT %s WHERE x = '?' AND y LIKE '%%a?' -- ?"
    )
    assert pyformat('SELECT `?`, "a""?", 5--?') == 'SELECT `?`, "a""?", 5--%s'
    assert pyformat("SELECT 'a\\'?' , ? # ?\n, ?") == "SELECT 'a\\'?' , %s # ?\n, %s"
    assert pyformat("SELECT 100 % 7") == "SELECT 100 %% 7"


def _check(db: Database) -> None:
    row = db.query_one(SQL, ("one", "two"))
    assert row == {"a": "one", "b": "why?", "c": "it's 100%?", "d?": "?", "e": "back\\slash?", "f": "two"}, row


def test_literal_question_marks_on_mariadb(mariadb):
    s = mariadb
    db = Database(Settings(db_host="127.0.0.1", db_port=s.port, db_user=s.user, db_pass=s.password, db_name=s.database))
    try:
        _check(db)
    finally:
        db._drop()


@pytest.mark.fast
def test_literal_question_marks_on_sqlite(tmp_path):
    db = Database(Settings(db_path=str(tmp_path / "db.sqlite3")))
    row = db.query_one("SELECT ? AS a, 'why?' AS b, 'it''s 100%?' AS c /* ? */, ? AS f -- ?\n", ("one", "two"))
    assert row == {"a": "one", "b": "why?", "c": "it's 100%?", "f": "two"}
