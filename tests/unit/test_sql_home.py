"""SQL has one home: the catalogue's in vs_common/tables/ (a module per table), auth-svc's
own tables in auth_svc/tables.py, the schema in vs_common/schema.py and the connection's
own statements in vs_common/db.py. Every string literal of the production code (f-strings'
parts included, docstrings not) is searched for SQL; one found anywhere else fails,
naming the file and line."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.fast

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = ("auth-svc", "file-svc", "upload-webapp", "streaming-webapp", "common", "cli", "scripts")
HOMES = (
    "common/vs_common/tables/",
    "common/vs_common/schema.py",
    "common/vs_common/db.py",
    "auth-svc/auth_svc/tables.py",
)
# As this code writes SQL: keywords in capitals, table and column names in small letters.
SQL = re.compile(
    r"\b(?:SELECT\s+\S|INSERT\s+(?:IGNORE\s+)?INTO|REPLACE\s+INTO|UPDATE\s+[a-z_]+\s+SET|DELETE\s+FROM"
    r"|(?:CREATE|ALTER|DROP|RENAME)\s+TABLE|CREATE\s+(?:UNIQUE\s+)?INDEX|TRUNCATE\s|GET_LOCK|RELEASE_LOCK"
    r"|PRAGMA\s|BEGIN\s+IMMEDIATE|FROM\s+[a-z_]+\b|WHERE\s+[a-z_(]|FOR\s+UPDATE|ORDER\s+BY\s+[a-z_]"
    r"|AND\s+[a-z_]+\s*(?:[=<>]|IS\s|IN\s|LIKE\s))"
)


def production_files() -> list[Path]:
    return sorted(
        path
        for folder in PRODUCTION
        for path in (ROOT / folder).rglob("*.py")
        if not {"node_modules", ".venv", "__pycache__"} & set(path.parts)
    )


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def sql_strings(source: str) -> list[tuple[int, str]]:
    """(line, text) of every string literal in `source` that holds SQL, docstrings aside."""
    tree = ast.parse(source)
    skip = _docstrings(tree)
    return sorted(
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in skip
        and SQL.search(node.value)
    )


def test_sql_is_only_in_its_homes():
    found = []
    for path in production_files():
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith(HOMES):
            continue
        found += [f"{rel}:{line}: {text.strip()[:80]!r}" for line, text in sql_strings(path.read_text())]
    assert not found, "SQL outside vs_common/tables/ and auth_svc/tables.py:\n" + "\n".join(found)


def test_the_search_finds_sql_as_this_code_writes_it():
    source = '''
"""A docstring may say SELECT ... FOR UPDATE."""
def f(cur, db, table):
    """So may a function's: DELETE FROM videos."""
    cur.execute(f"SELECT id FROM videos WHERE id = ?{db.for_update}", (1,))
    cur.execute("UPDATE uploads SET video_id = ? WHERE id = ?", (1, 1))
    db.execute("DO RELEASE_LOCK(?)", ("k",))
    where = " AND file_name IS NOT NULL ORDER BY language"
    tail = f" FROM captions WHERE video_id IN ({table})"
    return "Send JSON {\\"video_name\\": \\"...\\"}; DELETE the upload to cancel it."
'''
    assert [line for line, _ in sql_strings(source)] == [5, 6, 7, 8, 9]
    # The homes hold SQL: the search sees it there.
    for home in ("common/vs_common/tables/videos.py", "auth-svc/auth_svc/tables.py", "common/vs_common/schema.py"):
        assert sql_strings((ROOT / home).read_text()), home
    assert len(production_files()) > 80
