"""A delete that races background work leaves nothing behind: the work in progress stops
before it publishes anything, and whatever a packager published after the delete's
removal is removed by the packager's sweep (the delete's tombstone)."""

from __future__ import annotations

import subprocess
import sys

import requests

from harness import ROOT, bearer, wait_until

from .packager_kit import wait_job


def _stored(st, video_id: str) -> list[str]:
    folder = st.storage_dir / "videos" / video_id
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def test_a_delete_during_a_background_encode_leaves_nothing(local_gated, clips):
    st = local_gated
    token = st.login()
    st.gate.hold("scale=320:180")  # the 180p rendition is being made when the delete comes
    try:
        vid = st.api.upload_id(token, clips["360p"], "deleted mid-encode")
        assert st.wait_status(token, vid)["status"] == "ready"
        wait_job(st, vid, "rendition", 180, "running")
        wait_job(st, vid, "thumbs", 0, "done")
        resp = requests.delete(f"{st.url('streaming')}/api/videos/{vid}?purge=true", headers=bearer(token), timeout=30)
        assert resp.status_code == 204, resp.text
    finally:
        st.gate.release()
    # The packager sees its job gone at its next lease renewal, stops the encode, and
    # publishes nothing; its work folder and the temp source go.
    wait_until(lambda: not [f for f in st.temp_files() if vid in f], 30, "the temp files gone", st["packager"].log)
    wait_until(lambda: f"rendition 180p of {vid}" in st["packager"].log.read_text(), 10, "the packager to notice")
    assert _stored(st, vid) == []
    assert st.query("SELECT video_id FROM deleted_videos WHERE video_id = ?", (vid,)) == []  # both passes done


def test_what_a_raced_delete_missed_is_swept(local_gated, clips):
    """A packager's put that lands after both passes of a delete (its video gone): the
    tombstone stays until the sweep removes that object."""
    st = local_gated
    token = st.login()
    vid = st.api.upload_id(token, clips["240p"], "swept after delete")
    st.wait_packaged(token, vid)
    assert (
        requests.delete(
            f"{st.url('streaming')}/api/videos/{vid}?purge=true", headers=bearer(token), timeout=30
        ).status_code
        == 204
    )
    # As if a packager had published a thumbnail just after the delete's second pass (its
    # own check comes after its put), and the delete's pass had failed to forget it.
    late = st.storage_dir / "videos" / vid / "thumbs" / "1.jpg"
    late.parent.mkdir(parents=True)
    late.write_bytes(b"\xff\xd8\xff late")
    st.query("INSERT INTO deleted_videos (video_id, deleted_at) VALUES (?, ?)", (vid, "2000-01-01 00:00:00.000000"))
    # The packager's sweep (every few minutes), run once in a process of its own.
    sweep = "from file_svc import config; from file_svc.packager import Packager; Packager(config.load()).sweep()"
    subprocess.run([sys.executable, "-c", sweep], cwd=ROOT / "file-svc", env=st.env, check=True, timeout=60)
    assert _stored(st, vid) == []
    assert st.query("SELECT video_id FROM deleted_videos WHERE video_id = ?", (vid,)) == []
