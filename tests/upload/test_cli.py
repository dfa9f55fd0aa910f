"""`reelhouse upload`, the console script, against the live stack: prints the watch URL
and, with --wait, the final status; run again after an interruption, it resumes the same
upload from the server's offset, and only for the same file (another file of the same
size and first 64 KiB, or the same path rewritten, is a fresh upload whose original is
that file's bytes); a refusal is a non-zero exit with the server's message.

An interruption is real: upload-webapp is reached through a TCP proxy (its public URL,
so tus Locations name it too) that cuts the connection mid-PATCH, and the CLI, waiting
to try again, is stopped with Ctrl-C (SIGINT).
"""

from __future__ import annotations

import base64
import hashlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from harness import ROOT, TEST_PASSWORD, TcpProxy, make_clip, own_stack, wait_until

REELHOUSE = Path(sys.executable).with_name("reelhouse")
KiB = 1024
CUT_AT = 64 * KiB + 256 * KiB  # bytes upstream before the proxy cuts: past the first 64 KiB


@pytest.fixture(scope="module")
def cst(tmp_path_factory, mariadb, s3):
    """MariaDB + S3, with upload-webapp behind a TCP proxy that is its UPLOAD_PUBLIC_URL."""
    proxy = TcpProxy(0)
    stack = own_stack(
        tmp_path_factory.mktemp("cli"), mariadb, s3, "cli", UPLOAD_PUBLIC_URL=f"http://127.0.0.1:{proxy.port}"
    )
    st = next(stack)
    proxy.target_port = st.ports["upload"]
    st.upload_proxy = proxy
    try:
        yield st
    finally:
        proxy.close()
        stack.close()


def _env(tmp_path: Path, user: str) -> dict:
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "cli"), os.environ.get("PYTHONPATH", "")]),  # this checkout's CLI
        "REELHOUSE_USERNAME": user,
        "REELHOUSE_PASSWORD": TEST_PASSWORD,
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),  # no token stored: the password's way
    }


def _command(st, *args: str) -> list[str]:
    upload_url = st.env["UPLOAD_PUBLIC_URL"]
    urls = ["--auth-url", st.url("auth"), "--upload-url", upload_url, "--streaming-url", st.url("streaming")]
    return [str(REELHOUSE), "upload", *urls, *args]


def _run(st, tmp_path, *args: str, user: str = "alice") -> subprocess.CompletedProcess:
    return subprocess.run(
        _command(st, *args),
        env=_env(tmp_path, user),
        capture_output=True,
        text=True,
        timeout=180,
        stdin=subprocess.DEVNULL,
    )


def _unfinished(st, filename: str) -> list[dict]:
    return st.query(
        "SELECT id, received FROM uploads WHERE video_id IS NULL AND filename = ? ORDER BY created_at", (filename,)
    )


def _interrupted(st, tmp_path, path: Path) -> str:
    """A run of the CLI cut mid-PATCH past the file's first 64 KiB, then stopped with
    Ctrl-C while it waits to try again; the id of the upload it left on the server."""
    proxy = st.upload_proxy
    before = {row["id"] for row in _unfinished(st, path.name)}
    proxy.cut_after(CUT_AT)
    proc = subprocess.Popen(
        _command(st, str(path)),
        env=_env(tmp_path, "alice"),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # Ctrl-C as a terminal sends it, even when pytest was started in the background by a
        # shell without job control (which leaves SIGINT ignored, and a child inherits that).
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        assert proxy.cut_done.wait(60), "the upload never went through the proxy"
        rows = wait_until(
            lambda: [r for r in _unfinished(st, path.name) if r["id"] not in before and r["received"] > 64 * KiB],
            30,
            "the server to keep the bytes sent before the cut",
        )
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.communicate(timeout=30)
        finally:
            proc.kill()
            proxy.restore()
    return rows[0]["id"]


def _original(st, video_id: str, ext: str = "mp4") -> str:
    """The SHA-256 of the video's stored original."""
    body = st.s3.client().get_object(Bucket=st.bucket, Key=f"videos/{video_id}/original.{ext}")["Body"].read()
    return hashlib.sha256(body).hexdigest()


def _video_id(done: subprocess.CompletedProcess) -> str:
    return done.stdout.strip().splitlines()[0].rsplit("/", 1)[1]


def _twins(tmp_path: Path, name: str) -> tuple[Path, bytes]:
    """A playable clip's bytes, and a file `name` of the same size and the same first
    64 KiB whose rest differs: the two are alike to tuspy's fingerprint."""
    data = make_clip(tmp_path / "clip.mp4", seconds=3, size="640x360").read_bytes()
    assert len(data) > CUT_AT + 64 * KiB
    twin = tmp_path / name
    twin.write_bytes(data[: 64 * KiB] + bytes(b ^ 0xFF for b in data[64 * KiB :]))
    return twin, data


def test_upload_and_wait(cst, tmp_path):
    clip = make_clip(tmp_path / "cli clip.mp4", seconds=2)
    done = _run(cst, tmp_path, "--name", "From the CLI", "--wait", str(clip))
    assert done.returncode == 0, done.stderr
    line, status = done.stdout.strip().splitlines()
    assert line.startswith(f"cli clip.mp4: {cst.url('streaming')}/videos/")
    assert status == "cli clip.mp4: ready"
    video_id = line.rsplit("/", 1)[1]
    assert cst.video(cst.login(), video_id)["video_name"] == "From the CLI"
    assert "100.0%" in done.stderr  # the progress bar


def test_run_again_after_an_interruption_it_resumes(cst, tmp_path):
    clip = make_clip(tmp_path / "resume.mp4", seconds=3, size="640x360")
    upload_id = _interrupted(cst, tmp_path, clip)
    done = _run(cst, tmp_path, str(clip))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"resume.mp4: {cst.url('streaming')}/videos/{upload_id}"  # the same upload
    assert _original(cst, upload_id) == hashlib.sha256(clip.read_bytes()).hexdigest()
    assert not list((tmp_path / "cache" / "reelhouse").glob("*.tmp"))


def test_another_file_of_the_same_size_and_first_64_kib_is_uploaded_fresh(cst, tmp_path):
    """tuspy's fingerprint took B for the A an earlier run had started: the video held A's
    first bytes and B's last ones, and the CLI said it was B."""
    a, b_bytes = _twins(tmp_path, "a.mp4")
    started = _interrupted(cst, tmp_path, a)
    b = tmp_path / "b.mp4"
    b.write_bytes(b_bytes)
    done = _run(cst, tmp_path, str(b))
    assert done.returncode == 0, done.stderr
    video_id = _video_id(done)
    assert video_id != started
    assert _original(cst, video_id) == hashlib.sha256(b_bytes).hexdigest()


def test_the_same_path_rewritten_is_uploaded_fresh(cst, tmp_path):
    """Same path, size and first 64 KiB, another modification time: another file."""
    path, data = _twins(tmp_path, "rewritten.mp4")
    started = _interrupted(cst, tmp_path, path)
    before = path.stat().st_mtime_ns
    path.write_bytes(data)
    os.utime(path, ns=(before + 10**9, before + 10**9))
    done = _run(cst, tmp_path, str(path))
    assert done.returncode == 0, done.stderr
    video_id = _video_id(done)
    assert video_id != started
    assert _original(cst, video_id) == hashlib.sha256(data).hexdigest()


def test_a_refusal_is_a_nonzero_exit_with_the_servers_message(cst, tmp_path):
    text = tmp_path / "notes.mp4"
    text.write_text("not a video at all\n" * 300)
    done = _run(cst, tmp_path, str(text))
    assert done.returncode == 1
    assert "The file is text, not a playable video." in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def test_head_echoes_the_upload_metadata_given_at_creation(cst):
    """tus: HEAD answers Upload-Metadata as it was given, so a client can check what it resumes."""
    token = cst.login()
    headers = {"Authorization": f"Bearer {token}", "Tus-Resumable": "1.0.0"}
    meta = {"filename": "été.mp4", "name": "Mon film"}
    encoded = ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in meta.items())
    created = requests.post(
        cst.url("upload") + "/api/tus/",
        headers={**headers, "Upload-Length": "1000", "Upload-Metadata": encoded},
        timeout=10,
    )
    assert created.status_code == 201, created.text
    url = cst.url("upload") + "/api/tus/" + created.headers["Location"].rsplit("/", 1)[1]
    head = requests.head(url, headers=headers, timeout=10)
    assert head.status_code == 200
    echoed = dict(item.split(" ") for item in head.headers["Upload-Metadata"].split(","))
    assert {k: base64.b64decode(v).decode() for k, v in echoed.items()} == meta
    bare = requests.post(cst.url("upload") + "/api/tus/", headers={**headers, "Upload-Length": "1000"}, timeout=10)
    bare_url = cst.url("upload") + "/api/tus/" + bare.headers["Location"].rsplit("/", 1)[1]
    head = requests.head(bare_url, headers=headers, timeout=10)
    assert head.status_code == 200 and "Upload-Metadata" not in head.headers
    for each in (url, bare_url):
        requests.delete(each, headers=headers, timeout=10)
