"""Two packager processes on one MariaDB: they share a batch (each job worked once, on
its first attempt, by one or the other, and both do work); one SIGKILLed while it
encodes a rendition: the other finishes that rendition after the lease, and nothing of it
was half-published."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from .packager_kit import heights, job, pid_of, wait_job


def _keys(st, video_id: str, rung: str) -> list[str]:
    return st.s3.keys(f"videos/{video_id}/hls/{rung}/", bucket=st.bucket)


def test_two_packagers_share_a_batch(two_packagers, clips):
    st = two_packagers
    token = st.login()
    with ThreadPoolExecutor(4) as pool:
        ids = list(pool.map(lambda i: st.api.upload_id(token, clips["720p"], f"batch {i}"), range(4)))
    for vid in ids:
        video = st.wait_packaged(token, vid, timeout=180)
        assert [(r["height"], r["status"]) for r in video["renditions"]] == [
            (180, "ready"),
            (360, "ready"),
            (720, "ready"),
        ]
        assert heights(st.api.master(token, vid)) == [720, 360, 180]
    rows = [j for vid in ids for j in st.jobs(vid)]
    assert len(rows) == 4 * 4  # first, thumbnails, 180p and 360p of each
    assert {(j["status"], j["attempts"]) for j in rows} == {("done", 1)}
    workers = {pid_of(j["claimed_by"]) for j in rows}
    assert workers == {st["packager"].pid, st["packager2"].pid}


def test_a_packager_killed_mid_rung_leaves_it_to_the_other(two_packagers, clips):
    st = two_packagers
    token = st.login()
    st.gate.hold("scale=640:360")  # the 360p encode of a 1280x720 source is under way
    try:
        vid = st.api.upload_id(token, clips["720p"], "killed mid-rung")
        assert st.wait_status(token, vid)["status"] == "ready"
        rung = wait_job(st, vid, "rendition", 360, "running")
        owner = next(name for name in ("packager", "packager2") if st[name].pid == pid_of(rung["claimed_by"]))
        other = "packager2" if owner == "packager" else "packager"
        st[owner].kill()
        assert _keys(st, vid, "360p") == []  # nothing of the rendition was published
    finally:
        st.gate.release()
    video = st.wait_packaged(token, vid, timeout=120)
    assert [(r["height"], r["status"]) for r in video["renditions"]] == [(180, "ready"), (360, "ready"), (720, "ready")]
    rung = job(st, vid, "rendition", 360)
    assert rung["attempts"] == 2 and pid_of(rung["claimed_by"]) == st[other].pid
    assert job(st, vid, "first", 0)["attempts"] == 1  # only the rendition in progress was lost
    stored = _keys(st, vid, "360p")
    playlist = next(k for k in stored if k.endswith("index.m3u8"))
    named = [
        ln
        for ln in st.s3.client().get_object(Bucket=st.bucket, Key=playlist)["Body"].read().decode().splitlines()
        if ln and not ln.startswith("#")
    ]
    assert sorted(stored) == sorted([playlist] + [f"videos/{vid}/hls/360p/{n}" for n in named])
    assert heights(st.api.master(token, vid)) == [720, 360, 180]
    st[owner].start()  # back for the tests after this one
