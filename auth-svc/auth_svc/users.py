"""AUTH_USERS_FILE: lines `name:hash` (werkzeug's hashes, as `python -m auth_svc.hashpw`
makes them), read on each check so that an edit takes effect without a restart. Who may
log in, every source together, and how passwords are compared: people.py."""

from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger(__name__)


def read_users_file(path: str) -> dict[str, str]:
    """`name:hash` lines (split at the first colon); blank lines and # comments skipped."""
    users: dict[str, str] = {}
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, pw_hash = line.partition(":")
        if not sep or not name.strip() or not pw_hash.strip():
            log.warning("AUTH_USERS_FILE line %d is not name:hash; ignored", number)
            continue
        users[name.strip()] = pw_hash.strip()
    return users
