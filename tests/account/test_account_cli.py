"""`reelhouse login`, `upload` with the token, `logout`, against the real stack: login
keeps an API token (read, upload) in a file only its owner can read and ends the session
it used; upload needs no password then (and sends the token only to the origins it was
made for); REELHOUSE_TOKEN wins over the file; a file others may read is refused; a
second factor's code is asked for (REELHOUSE_TOTP without a terminal); logout revokes
the token and removes the file."""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from harness import ROOT, TEST_PASSWORD, free_port

from .accountkit import add_user, code_after, enrol, me, session, verify, wrong_code

REELHOUSE = Path(sys.executable).with_name("reelhouse")


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REELHOUSE_")}
    return {
        **env,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "cli"), os.environ.get("PYTHONPATH", "")]),  # this checkout's CLI
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        **extra,
    }


def _urls(st) -> list[str]:
    return ["--auth-url", st.url("auth"), "--upload-url", st.url("upload"), "--streaming-url", st.url("streaming")]


def _run(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(REELHOUSE), *args],
        env=_env(tmp_path, **env),
        capture_output=True,
        text=True,
        timeout=180,
        stdin=subprocess.DEVNULL,
    )


def _login(st, tmp_path: Path, user: str, **env: str) -> subprocess.CompletedProcess:
    return _run(tmp_path, "login", *_urls(st), REELHOUSE_USERNAME=user, REELHOUSE_PASSWORD=TEST_PASSWORD, **env)


def _token_file(tmp_path: Path) -> Path:
    return tmp_path / "config" / "reelhouse" / "token"


def _owner_of(st, out: str) -> str:
    video_id = out.strip().rsplit("/", 1)[1]
    return st.query("SELECT owner FROM videos WHERE id = ?", (video_id,))[0]["owner"]


def _live_sessions(st, user: str) -> int:
    return st.query("SELECT COUNT(*) AS n FROM auth_sessions WHERE username = ? AND revoked_at IS NULL", (user,))[0][
        "n"
    ]


def test_login_keeps_a_private_token_and_upload_needs_no_password(acct, tmp_path, clips):
    add_user(acct, "cleo")
    done = _login(acct, tmp_path, "cleo")
    assert done.returncode == 0, done.stderr
    assert "Logged in as cleo" in done.stdout and str(_token_file(tmp_path)) in done.stdout
    path = _token_file(tmp_path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    stored = json.loads(path.read_text())
    assert stored["token"].startswith("rh_") and stored["username"] == "cleo"
    assert stored["upload_url"] == acct.url("upload") and TEST_PASSWORD not in path.read_text()
    row = acct.query("SELECT name, scopes, token_hash FROM api_tokens WHERE id = ?", (stored["token_id"],))[0]
    assert row["name"] == f"reelhouse CLI on {socket.gethostname()}"[:100] and row["scopes"] == "read upload"
    assert _live_sessions(acct, "cleo") == 0  # the login's session ended once the token was made

    up = _run(tmp_path, "upload", "--wait", str(clips["h264"]))  # no password, no URLs: the stored ones
    assert up.returncode == 0, up.stderr
    assert _owner_of(acct, up.stdout.splitlines()[0]) == "cleo" and up.stdout.splitlines()[1].endswith(": ready")
    assert _live_sessions(acct, "cleo") == 0  # no session made for the upload
    assert acct.query("SELECT last_used_at FROM api_tokens WHERE id = ?", (stored["token_id"],))[0]["last_used_at"]

    out = _run(tmp_path, "logout")
    assert out.returncode == 0 and "revoked and removed" in out.stdout
    assert not path.exists() and verify(acct, stored["token"]) == 401
    again = _run(tmp_path, "logout")
    assert again.returncode == 0 and "Not logged in" in again.stdout


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o622])
def test_a_token_file_others_may_read_or_write_is_refused(acct, tmp_path, clips, mode):
    add_user(acct, f"dino{mode:o}")
    assert _login(acct, tmp_path, f"dino{mode:o}").returncode == 0
    _token_file(tmp_path).chmod(mode)
    before = acct.query("SELECT COUNT(*) AS n FROM uploads")[0]["n"]
    up = _run(tmp_path, "upload", str(clips["h264"]))
    assert up.returncode == 1 and "Traceback" not in up.stderr
    assert f"mode {mode:04o}" in up.stderr and "chmod 600" in up.stderr
    assert acct.query("SELECT COUNT(*) AS n FROM uploads")[0]["n"] == before  # nothing sent


def test_a_symlinked_token_file_is_refused(acct, tmp_path, clips):
    add_user(acct, "elio")
    assert _login(acct, tmp_path, "elio").returncode == 0
    path = _token_file(tmp_path)
    real = tmp_path / "elsewhere"
    path.rename(real)
    path.symlink_to(real)
    up = _run(tmp_path, "upload", str(clips["h264"]))
    assert up.returncode == 1 and "symbolic link" in up.stderr


def test_reelhouse_token_wins_over_the_file(acct, tmp_path, clips):
    add_user(acct, "fern")
    add_user(acct, "gus")
    assert _login(acct, tmp_path, "fern").returncode == 0
    token = me(acct, "POST", "/tokens", session(acct, "gus"), json={"name": "env", "scopes": ["upload"]}).json()
    up = _run(tmp_path, "upload", *_urls(acct), str(clips["h264"]), REELHOUSE_TOKEN=token["token"])
    assert up.returncode == 0, up.stderr
    assert _owner_of(acct, up.stdout) == "gus"
    bad = _run(tmp_path, "upload", *_urls(acct), str(clips["h264"]), REELHOUSE_TOKEN="rh_" + "x" * 43)
    assert bad.returncode == 1 and "REELHOUSE_TOKEN is not accepted" in bad.stderr


@pytest.mark.parametrize("flag", ["--upload-url", "--streaming-url", "--auth-url"])
def test_the_stored_token_goes_to_no_other_origin(acct, tmp_path, clips, flag):
    add_user(acct, f"hal{flag[2]}")
    assert _login(acct, tmp_path, f"hal{flag[2]}").returncode == 0
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    listener.settimeout(0.5)
    try:
        elsewhere = f"http://127.0.0.1:{listener.getsockname()[1]}"
        up = _run(tmp_path, "upload", flag, elsewhere, str(clips["h264"]))
        assert up.returncode == 1 and "it is not sent there" in up.stderr and elsewhere[7:] in up.stderr
        with pytest.raises(TimeoutError):
            listener.accept()  # never contacted
    finally:
        listener.close()


def test_a_revoked_stored_token_says_to_log_in_again(acct, tmp_path, clips):
    add_user(acct, "ida")
    assert _login(acct, tmp_path, "ida").returncode == 0
    stored = json.loads(_token_file(tmp_path).read_text())
    assert me(acct, "DELETE", f"/tokens/{stored['token_id']}", session(acct, "ida")).status_code == 204
    up = _run(tmp_path, "upload", str(clips["h264"]))
    assert up.returncode == 1 and "run reelhouse login" in up.stderr


def test_login_without_a_terminal_says_which_variable_to_set(acct, tmp_path):
    add_user(acct, "jon")
    out = _run(tmp_path, "login", *_urls(acct))
    assert out.returncode == 1 and "set REELHOUSE_USERNAME" in out.stderr
    out = _run(tmp_path, "login", *_urls(acct), REELHOUSE_USERNAME="jon")
    assert out.returncode == 1 and "set REELHOUSE_PASSWORD" in out.stderr
    out = _run(tmp_path, "login", *_urls(acct), REELHOUSE_USERNAME="jon", REELHOUSE_PASSWORD="wrong")
    assert out.returncode == 1 and "Wrong username or password" in out.stderr
    assert not _token_file(tmp_path).exists()


def test_login_with_a_second_factor(acct, tmp_path, clips):
    add_user(acct, "kai")
    secret, _, used = enrol(acct, session(acct, "kai"))
    out = _login(acct, tmp_path, "kai")
    assert out.returncode == 1 and "set REELHOUSE_TOTP" in out.stderr and not _token_file(tmp_path).exists()
    out = _login(acct, tmp_path, "kai", REELHOUSE_TOTP=wrong_code(secret))
    assert out.returncode == 1 and "Wrong code" in out.stderr
    out = _login(acct, tmp_path, "kai", REELHOUSE_TOTP=code_after(secret, used))
    assert out.returncode == 0, out.stderr
    up = _run(tmp_path, "upload", str(clips["h264"]))
    assert up.returncode == 0 and _owner_of(acct, up.stdout) == "kai"


def test_logging_in_again_revokes_the_token_it_replaces(acct, tmp_path):
    add_user(acct, "lea")
    assert _login(acct, tmp_path, "lea").returncode == 0
    first = json.loads(_token_file(tmp_path).read_text())["token"]
    assert _login(acct, tmp_path, "lea").returncode == 0
    second = json.loads(_token_file(tmp_path).read_text())["token"]
    assert first != second and verify(acct, first) == 401 and verify(acct, second) == 200


def test_logout_keeps_the_file_when_auth_svc_cannot_be_reached(acct, tmp_path):
    add_user(acct, "max")
    assert _login(acct, tmp_path, "max").returncode == 0
    path = _token_file(tmp_path)
    stored = json.loads(path.read_text())
    stored["auth_url"] = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    path.write_text(json.dumps(stored))
    out = _run(tmp_path, "logout")
    assert out.returncode == 1 and "run reelhouse logout again" in out.stderr and path.exists()
