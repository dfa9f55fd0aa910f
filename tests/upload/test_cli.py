"""`reelhouse upload`, the console script, against the live stack: prints the watch URL
and, with --wait, the final status; run again after an interruption, it resumes the same
upload from the server's offset; a refusal is a non-zero exit with the server's message."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

import requests
from tusclient import client as tus
from tusclient.storage.filestorage import FileStorage

from harness import TEST_PASSWORD, make_clip

from .test_tus import tst  # noqa: F401 - the same stack

REELHOUSE = Path(sys.executable).with_name("reelhouse")


def _run(st, tmp_path, *args: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "REELHOUSE_USERNAME": "alice",
        "REELHOUSE_PASSWORD": TEST_PASSWORD,
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
    }
    urls = ["--auth-url", st.url("auth"), "--upload-url", st.url("upload"), "--streaming-url", st.url("streaming")]
    return subprocess.run(
        [str(REELHOUSE), "upload", *urls, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        stdin=subprocess.DEVNULL,
    )


def test_upload_and_wait(tst, tmp_path):  # noqa: F811
    clip = make_clip(tmp_path / "cli clip.mp4", seconds=2)
    done = _run(tst, tmp_path, "--name", "From the CLI", "--wait", str(clip))
    assert done.returncode == 0, done.stderr
    line, status = done.stdout.strip().splitlines()
    assert line.startswith(f"cli clip.mp4: {tst.url('streaming')}/videos/")
    assert status == "cli clip.mp4: ready"
    video_id = line.rsplit("/", 1)[1]
    assert tst.video(tst.login(), video_id)["video_name"] == "From the CLI"
    assert "100.0%" in done.stderr  # the progress bar


def test_run_again_after_an_interruption_it_resumes(tst, tmp_path):  # noqa: F811
    clip = make_clip(tmp_path / "resume.mp4", seconds=3, size="640x360")
    # The first run "was interrupted" after 64 KiB: tuspy with the CLI's own store of URLs.
    (tmp_path / "cache" / "reelhouse").mkdir(parents=True)
    storage = FileStorage(str(tmp_path / "cache" / "reelhouse" / "uploads.json"))
    c = tus.TusClient(tst.url("upload") + "/api/tus/", headers={"Authorization": f"Bearer {tst.login()}"})
    first = c.uploader(
        file_path=str(clip), chunk_size=64 * 1024, store_url=True, url_storage=storage, metadata={"filename": clip.name}
    )
    first.upload(stop_at=64 * 1024)
    storage.close()
    upload_id = first.url.rsplit("/", 1)[1]
    done = _run(tst, tmp_path, str(clip))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"resume.mp4: {tst.url('streaming')}/videos/{upload_id}"  # the same upload


def test_a_refusal_is_a_nonzero_exit_with_the_servers_message(tst, tmp_path):  # noqa: F811
    text = tmp_path / "notes.mp4"
    text.write_text("not a video at all\n" * 300)
    done = _run(tst, tmp_path, str(text))
    assert done.returncode == 1
    assert "The file is text, not a playable video." in done.stderr, done.stderr


def test_head_echoes_the_upload_metadata_given_at_creation(tst):  # noqa: F811
    """tus: HEAD answers Upload-Metadata as it was given, so a client can check what it resumes."""
    token = tst.login()
    headers = {"Authorization": f"Bearer {token}", "Tus-Resumable": "1.0.0"}
    meta = {"filename": "été.mp4", "name": "Mon film"}
    encoded = ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in meta.items())
    created = requests.post(
        tst.url("upload") + "/api/tus/",
        headers={**headers, "Upload-Length": "1000", "Upload-Metadata": encoded},
        timeout=10,
    )
    assert created.status_code == 201, created.text
    url = tst.url("upload") + "/api/tus/" + created.headers["Location"].rsplit("/", 1)[1]
    head = requests.head(url, headers=headers, timeout=10)
    assert head.status_code == 200
    echoed = dict(item.split(" ") for item in head.headers["Upload-Metadata"].split(","))
    assert {k: base64.b64decode(v).decode() for k, v in echoed.items()} == meta
    bare = requests.post(tst.url("upload") + "/api/tus/", headers={**headers, "Upload-Length": "1000"}, timeout=10)
    bare_url = tst.url("upload") + "/api/tus/" + bare.headers["Location"].rsplit("/", 1)[1]
    head = requests.head(bare_url, headers=headers, timeout=10)
    assert head.status_code == 200 and "Upload-Metadata" not in head.headers
    for each in (url, bare_url):
        requests.delete(each, headers=headers, timeout=10)
