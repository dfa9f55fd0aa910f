"""UserDirectory in-process: env credentials, the users file, malformed entries."""

from __future__ import annotations

import sys
from pathlib import Path

from werkzeug.security import generate_password_hash

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "auth-svc"))
from auth_svc.users import UserDirectory, read_users_file  # noqa: E402


def test_env_credentials_only():
    users = UserDirectory("alice", "s3cret pass")
    assert users.check("alice", "s3cret pass")
    for name, password in (("alice", "s3cret pas"), ("alice", "s3cret pass "), ("Alice", "s3cret pass"),
                           ("bob", "s3cret pass"), ("", ""), ("alice", "")):
        assert not users.check(name, password)
    assert not UserDirectory("", "").check("", "")


def test_users_file_and_env_together(tmp_path):
    path = tmp_path / "users"
    path.write_text("# comment\n\nbob:" + generate_password_hash("bob pw:with colon", method="pbkdf2:sha256:1000")
                    + "\nbad-line\ncarol:not-a-hash\nalice:" + generate_password_hash("file pw", method="pbkdf2:sha256:1000")
                    + "\n")
    assert set(read_users_file(str(path))) == {"bob", "carol", "alice"}
    users = UserDirectory("alice", "env pw", str(path))
    assert users.check("bob", "bob pw:with colon") and users.check("alice", "env pw")
    assert not users.check("alice", "file pw")  # AUTH_USERNAME wins over the file
    assert not users.check("carol", "not-a-hash") and not users.check("bad-line", "")
    assert not users.check("nobody", "bob pw:with colon")
    path.unlink()  # a file that disappears: the env user still logs in, nobody else
    assert users.check("alice", "env pw") and not users.check("bob", "bob pw:with colon")
