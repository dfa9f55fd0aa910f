"""docs/ARCHITECTURE.md and README.md name only what exists. What they put in backticks
is checked against the repository: a path (a file or folder, from the root or as the
tail of one: `media/runner.py`), a dotted module name and what it names
(`tables.jobs.owned`, `python -m file_svc.packager`), a class (`StageContext`), a
variable or constant (`PACKAGING_WORKERS`) and a metric (`reelhouse_...`). A module that
is renamed, moved or removed then fails here, naming the document, the line and the
name, instead of leaving the page to mislead its next reader."""

from __future__ import annotations

import ast
import os
import re
from functools import cache
from pathlib import Path

import pytest

from harness import ROOT

pytestmark = pytest.mark.fast

DOCS = ("docs/ARCHITECTURE.md", "README.md")
SKIPPED_FOLDERS = {".git", ".venv", "node_modules", "__pycache__", "data", "mariadb_data"}
FILE_ENDINGS = (".py", ".md", ".yml", ".yaml", ".json", ".sql", ".sh", ".css", ".js", ".html", ".toml", ".example")
# Not paths of the repository: URLs and routes (`/api/...`), placeholders (`<id>`), globs,
# HLS tags and options (`=`, `:`), temp-volume paths under a variable (`TEMP_DIR/...`),
# media types (`text/vtt`).
NOT_A_PATH = re.compile(r"^(/|https?:|[A-Z][A-Z0-9_]*/|(text|video|image|audio|application)/)|[<>*{}$=:?\[\]]|\.\.\.")
# A module, then what it names: snake_case, or a class's CapWords (not JavaScript's `video.textTracks`).
DOTTED = re.compile(r"[a-z_][a-z0-9_]*(\.([a-z_][a-z0-9_]*|[A-Z][A-Za-z0-9]*))+")
CLASS_NAME = re.compile(r"[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]+)+")  # two words at least: `StageContext`
CONSTANT = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+")
METRIC = re.compile(r"reelhouse_[a-z_]+")


@cache
def repo_paths() -> frozenset[str]:
    """Every file and folder of the repository (folders as `a/b/`), relative to it."""
    found = set()
    for folder, subfolders, files in os.walk(ROOT):
        subfolders[:] = [d for d in subfolders if d not in SKIPPED_FOLDERS and not d.startswith(".")]
        here = Path(folder).relative_to(ROOT).as_posix()
        prefix = "" if here == "." else here + "/"
        found.update(prefix + d + "/" for d in subfolders)
        found.update(prefix + f for f in files)
    return frozenset(found)


@cache
def made_when_run() -> frozenset[str]:
    """The top-level folders .gitignore names (`data/`, `mariadb_data/`): made by the
    running system, not in the repository."""
    lines = (ROOT / ".gitignore").read_text().splitlines()
    return frozenset(line.strip("/") for line in lines if re.fullmatch(r"[a-z_]+/", line))


def path_exists(text: str) -> bool:
    """`text` is a file or folder of the repository, from its root or as the tail of one
    (or under a folder the running system makes)."""
    wanted = text.removeprefix("./").rstrip("/")
    if wanted.split("/")[0] in made_when_run():
        return True
    return any(p.rstrip("/") == wanted or p.rstrip("/").endswith("/" + wanted) for p in repo_paths())


@cache
def python_modules() -> dict[str, Path]:
    """Each Python file as a dotted module name from the repository root (`file-svc.file_svc.media.runner`)."""
    modules = {}
    for p in repo_paths():
        if p.endswith(".py"):
            dotted = p[: -len(".py")].replace("/", ".")
            modules[dotted.removesuffix(".__init__")] = ROOT / p
    return modules


@cache
def top_level_names(path: Path) -> dict[str, set[str]]:
    """The names a module defines at its top level, each with the names its class defines (if a class)."""
    names: dict[str, set[str]] = {}
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            names[node.name] = set()
        elif isinstance(node, ast.ClassDef):
            names[node.name] = {n.name for n in node.body if hasattr(n, "name")} | {
                t.id for n in node.body if isinstance(n, ast.AnnAssign) and isinstance(t := n.target, ast.Name)
            }
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update({t.id: set() for t in targets if isinstance(t, ast.Name)})
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update({(a.asname or a.name).split(".")[0]: set() for a in node.names})
    return names


def modules_named(dotted: str) -> list[Path]:
    """The modules whose dotted name ends with `dotted` (`tables.jobs`: vs_common's; `report`: bench's and the CLI's)."""
    return [path for name, path in python_modules().items() if name == dotted or name.endswith("." + dotted)]


def dotted_exists(dotted: str) -> bool:
    """A module (`vs_common.captions`), or what a module defines (`tables.jobs.owned`,
    `AuthClient.verify` after its module: `auth_client.AuthClient.verify`)."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        rest = parts[cut:]
        for path in modules_named(".".join(parts[:cut])):
            names = top_level_names(path)
            if not rest or (len(rest) == 1 and rest[0] in names):
                return True
            if len(rest) == 2 and rest[1] in names.get(rest[0], set()):
                return True
    return False


@cache
def python_text() -> str:
    """The Python code but the tests' (where this file's own examples are)."""
    return "\n".join(
        (ROOT / p).read_text() for p in sorted(repo_paths()) if p.endswith(".py") and not p.startswith("tests/")
    )


def class_defined(name: str) -> bool:
    return re.search(rf"^\s*class {name}\b", python_text(), re.M) is not None


def named_in_code(word: str) -> bool:
    """A variable of .env.example, or a word of the Python code (a constant, SQL's GET_LOCK)."""
    env = (ROOT / ".env.example").read_text()
    return re.search(rf"\b{word}\b", env) is not None or re.search(rf"\b{word}\b", python_text()) is not None


def what_is_missing(piece: str, after_python_m: bool) -> str | None:
    """Why `piece` (one word of a backticked text) names nothing of the repository, or None."""
    piece = piece.rstrip(".,;)").lstrip("(")
    if after_python_m:
        return None if modules_named(piece) else "no such module"
    if "/" in piece or piece.endswith(FILE_ENDINGS):
        if NOT_A_PATH.search(piece):
            return None
        return None if path_exists(piece) else "no such file or folder"
    if DOTTED.fullmatch(piece.removesuffix("()")):
        return None if dotted_exists(piece.removesuffix("()")) else "no such module or name"
    if CLASS_NAME.fullmatch(piece):
        return None if class_defined(piece) else "no such class"
    if CONSTANT.fullmatch(piece) or METRIC.fullmatch(piece):
        return None if named_in_code(piece) else "named nowhere in the code or .env.example"
    return None


def missing_names(doc: str) -> list[str]:
    out = []
    for number, line in enumerate((ROOT / doc).read_text().splitlines(), 1):
        for quoted in re.findall(r"`([^`\n]+)`", line):
            words = quoted.split()
            for i, word in enumerate(words):
                why = what_is_missing(word, after_python_m=i >= 2 and words[i - 2 : i] == ["python", "-m"])
                if why:
                    out.append(f"{doc}:{number}: `{word}`: {why}")
    return out


@pytest.mark.parametrize("doc", DOCS)
def test_every_name_in_backticks_exists(doc):
    assert missing_names(doc) == []


def test_the_check_finds_what_does_not_exist():
    """The check itself: names of modules that were renamed or removed fail; those of
    today pass (so the test above cannot pass by checking nothing)."""
    assert what_is_missing("tests/harness.py", False) == "no such file or folder"
    assert what_is_missing("file_svc/hls.py", False) == "no such file or folder"
    assert what_is_missing("hls.plan_rungs", False) == "no such module or name"
    assert what_is_missing("tables.jobs.label", False) == "no such module or name"
    assert what_is_missing("file_svc.hls", True) == "no such module"
    assert what_is_missing("RungContext", False) == "no such class"
    assert what_is_missing("RUNG_WORKERS", False) == "named nowhere in the code or .env.example"
    for present in (
        "harness/",
        "file_svc/media/runner.py",
        "runner.py",
        "tables.jobs.owned",
        "vs_common.captions",
        "auth_client.AuthClient.verify",
        "report.shown",
        "StageContext",
        "PACKAGING_WORKERS",
        "reelhouse_packaging_queue_depth",
        "/api/tus/",
        "TEMP_DIR/work/",
    ):
        assert what_is_missing(present, False) is None, present
    assert what_is_missing("file_svc.packager", True) is None
