"""The storage interface covers what its callers use: every method file-svc and the
packager call on a store is declared by `Storage`, and both stores implement all of it
(so that no caller asks which store it has)."""

from __future__ import annotations

import inspect
import re
import sys
from pathlib import Path

FILE_SVC = Path(__file__).resolve().parents[2] / "file-svc"
sys.path.insert(0, str(FILE_SVC))

from file_svc.storage import LocalStorage, S3Storage, Storage  # noqa: E402

CALL = re.compile(r"storage(?:\(\))?\.([a-z_]+)\(")


def _declared() -> set[str]:
    return {name for name, _ in inspect.getmembers(Storage, inspect.isfunction) if not name.startswith("_")}


def test_both_stores_implement_the_whole_interface():
    declared = _declared()
    assert {"put_file", "delete_prefix", "abort_uploads", "sweep"} <= declared
    for store in (LocalStorage, S3Storage):
        missing = {name for name in declared if not callable(getattr(store, name, None))}
        assert not missing, f"{store.__name__} lacks {sorted(missing)}"


def test_callers_use_only_what_the_interface_declares():
    used = set()
    for path in (FILE_SVC / "file_svc").rglob("*.py"):
        if "storage" not in path.relative_to(FILE_SVC / "file_svc").parts[:1]:
            used |= set(CALL.findall(path.read_text()))
    assert used, "no call on a store found: the pattern is stale"
    assert used <= _declared(), sorted(used - _declared())
