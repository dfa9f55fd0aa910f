"""The people directory in-process: env credentials, the users file, malformed entries
(on an embedded database: no database user here)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from werkzeug.security import generate_password_hash

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "auth-svc"))
from auth_svc.people import Directory  # noqa: E402
from auth_svc.users import read_users_file  # noqa: E402


def _directory(tmp_path, username: str, password: str, users_file: str = "") -> Directory:
    from vs_common.db import Database
    from vs_common.schema import migrate
    from vs_common.settings import Settings

    settings = Settings(
        auth_username=username,
        auth_password=password,
        auth_users_file=users_file,
        db_path=str(tmp_path / "people.sqlite3"),
        storage_dir=str(tmp_path),
    )
    db = Database(settings)
    migrate(db)
    return Directory(settings, db)


def test_env_credentials_only(tmp_path):
    users = _directory(tmp_path, "alice", "s3cret pass")
    assert users.check("alice", "s3cret pass")
    for name, password in (
        ("alice", "s3cret pas"),
        ("alice", "s3cret pass "),
        ("Alice", "s3cret pass"),
        ("bob", "s3cret pass"),
        ("", ""),
        ("alice", ""),
    ):
        assert not users.check(name, password)
    assert not _directory(tmp_path / "none", "", "").check("", "")
    assert users.check("alice", "s3cret pass").role == "admin"


def test_users_file_and_env_together(tmp_path):
    path = tmp_path / "users"
    fast = "pbkdf2:sha256:1000"
    path.write_text(
        f"# comment\n\nbob:{generate_password_hash('bob pw:with colon', method=fast)}\nbad-line\n"
        f"carol:not-a-hash\nalice:{generate_password_hash('file pw', method=fast)}\n"
    )
    assert set(read_users_file(str(path))) == {"bob", "carol", "alice"}
    users = _directory(tmp_path, "alice", "env pw", str(path))
    assert users.check("bob", "bob pw:with colon") and users.check("alice", "env pw")
    assert users.person("bob").role == "uploader" and users.person("bob").source == "file"
    assert not users.check("alice", "file pw")  # AUTH_USERNAME wins over the file
    assert not users.check("carol", "not-a-hash") and not users.check("bad-line", "")
    assert not users.check("nobody", "bob pw:with colon")
    path.unlink()  # a file that disappears: the env user still logs in, nobody else
    assert users.check("alice", "env pw") and not users.check("bob", "bob pw:with colon")


def _load_config(env: dict[str, str]) -> subprocess.CompletedProcess:
    base = {
        "PATH": os.environ.get("PATH", ""),
        "ENV_FILE": os.devnull,
        "PYTHONPATH": str(ROOT / "common"),
        "AUTH_USERNAME": "alice",
        "AUTH_PASSWORD": "a real password",
        "SECRET_KEY": "a real secret key 0123",
    }
    return subprocess.run(
        [sys.executable, "-c", "from auth_svc.config import load; load()"],
        cwd=ROOT / "auth-svc",
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_refuses_placeholders_and_missing_users(tmp_path):
    assert _load_config({"APP_ENV": "production"}).returncode == 0
    for env in ({"SECRET_KEY": "change-me-secret-key"}, {"SECRET_KEY": ""}, {"AUTH_PASSWORD": "change-me"}):
        out = _load_config({"APP_ENV": "production", **env})
        assert out.returncode != 0 and "refusing to start" in out.stderr, env
        assert _load_config(env).returncode == 0  # a local trial only warns
    out = _load_config({"AUTH_USERNAME": "", "AUTH_PASSWORD": ""})
    assert out.returncode != 0 and "AUTH_USERNAME" in out.stderr
    out = _load_config({"AUTH_USERS_FILE": str(tmp_path / "missing")})
    assert out.returncode != 0 and "does not exist" in out.stderr
