"""The CLI with no terminal to ask for a password on (a pipe, /dev/null, a closed
standard input: cron, CI, a service) says how to give one (REELHOUSE_PASSWORD, or
`reelhouse login`) and exits 1: never a traceback, never a password prompt echoed."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from harness import ROOT

pytestmark = pytest.mark.fast


def _cli(tmp_path, redirect: str, env: dict) -> subprocess.CompletedProcess:
    """`reelhouse upload clip.mp4` in its own session (no controlling terminal: getpass
    cannot open /dev/tty), its standard input redirected as `redirect` says."""
    (tmp_path / "clip.mp4").write_bytes(b"\0" * 64)
    clean = {k: v for k, v in os.environ.items() if not k.startswith("REELHOUSE_")}
    clean.update({"HOME": str(tmp_path), "PYTHONPATH": os.pathsep.join([str(ROOT / "cli"), str(ROOT / "common")])})
    return subprocess.run(
        ["bash", "-c", f'exec "$@" {redirect}', "cli", sys.executable, "-m", "reelhouse_cli", "upload", "clip.mp4"],
        capture_output=True,
        text=True,
        env={**clean, **env},
        cwd=tmp_path,
        timeout=60,
        start_new_session=True,
    )


@pytest.mark.parametrize("redirect", ["</dev/null", "<&-"])  # empty, or closed altogether
@pytest.mark.parametrize("env", [{}, {"REELHOUSE_USERNAME": "alice"}])
def test_upload_without_a_terminal_says_how_to_give_a_password(tmp_path, redirect, env):
    out = _cli(tmp_path, redirect, env)
    assert out.returncode == 1, out.stderr
    assert "Traceback" not in out.stderr and "GetPassWarning" not in out.stderr, out.stderr
    assert "REELHOUSE_PASSWORD" in out.stderr and "reelhouse login" in out.stderr, out.stderr
