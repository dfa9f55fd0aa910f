"""Media that fights back, built by ffmpeg's lavfi sources: pictures past the pixel
budget refused before decoding, 8K accepted within the memory budget with renditions that
browsers play, fast frame rates brought down to 60, levels browsers do not decode
re-encoded, slideshows accepted, truncated files refused in words, and the output budget."""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path

import m3u8
import pytest
import requests

from harness import ffprobe_url, make_clip

pytestmark = pytest.mark.slow
MEMORY_MB = 3072  # FFMPEG_MEMORY_MB's default


class PeakMemory:
    """The largest resident size of any ffmpeg or ffprobe working on the stack's temp
    folder (the upload checks and the packaging), sampled every 10 ms."""

    def __init__(self, st):
        self.marker = str(st.temp_dir).encode()
        self.mb = 0
        self._stop = threading.Event()

    def _sample(self) -> None:
        while not self._stop.is_set():
            for proc in Path("/proc").iterdir():
                if not proc.name.isdigit():
                    continue
                try:
                    cmd = (proc / "cmdline").read_bytes()
                    if self.marker in cmd and Path(cmd.split(b"\0")[0].decode()).name in ("ffmpeg", "ffprobe"):
                        hwm = next(ln for ln in (proc / "status").read_text().splitlines() if ln.startswith("VmHWM:"))
                        self.mb = max(self.mb, int(hwm.split()[1]) // 1024)
                except (OSError, StopIteration, ValueError):
                    continue
            time.sleep(0.01)

    def __enter__(self):
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def _upload(st, token, path: Path):
    resp = st.upload(token, path, name=path.stem)
    return resp


def _master(st, token, vid) -> m3u8.M3U8:
    resp = requests.get(
        f"{st.url('streaming')}/videos/{vid}/hls/master.m3u8", cookies={"auth_token": token}, timeout=10
    )
    assert resp.status_code == 200, resp.text
    return m3u8.loads(resp.text)


def _level(codecs: str) -> int:
    """H.264 level_idc from a CODECS attribute (`avc1.PPCCLL`)."""
    return int(re.search(r"avc1\.[0-9a-fA-F]{4}([0-9a-fA-F]{2})", codecs).group(1), 16)


def _stored(st, vid) -> int:
    """Bytes of segments and playlists the video stores."""
    return sum(p.stat().st_size for p in (st.storage_dir / "videos" / vid / "hls").rglob("*") if p.is_file())


def _assert_in_words(message: str, st) -> None:
    assert "/" not in message and "@ 0x" not in message and "ffmpeg" not in message.lower(), message
    assert "version" not in message.lower() and str(st.temp_dir) not in message, message


def test_a_picture_past_the_pixel_budget_is_refused_before_it_is_decoded(budget_stack, hostile_media):
    st = budget_stack
    token = st.login()
    before = st.counts()
    with PeakMemory(st) as peak:
        resp = _upload(st, token, hostile_media["huge"])
    assert resp.status_code == 415, resp.text
    body = resp.json()
    assert body["error"] == "picture_too_large"
    assert "9000x9000" in body["message"] and "7680x4320" in body["message"], body
    _assert_in_words(body["message"], st)
    # Two 9000x9000 frames are 121 MB each once decoded; the checks never decode one.
    assert peak.mb < 120, f"the upload checks peaked at {peak.mb} MB"
    assert st.counts() == before


def test_8k_is_accepted_within_the_memory_budget_and_its_rungs_play_in_browsers(budget_stack, hostile_media):
    st = budget_stack
    token = st.login()
    with PeakMemory(st) as peak:
        resp = _upload(st, token, hostile_media["8k"])
        assert resp.status_code == 201, resp.text
        video = st.wait_packaged(token, resp.json()["id"], timeout=240)
    assert video["status"] == "ready" and (video["width"], video["height"]) == (7680, 4320)
    assert [(r["height"], r["status"]) for r in video["renditions"]] == [
        (360, "ready"),
        (720, "ready"),
        (1080, "ready"),
    ]
    master = _master(st, token, video["id"])
    assert [p.stream_info.resolution for p in master.playlists] == [(1920, 1080), (1280, 720), (640, 360)]
    assert all(_level(p.stream_info.codecs) <= 52 for p in master.playlists), master.dumps()
    assert 0 < peak.mb < MEMORY_MB, f"an ffmpeg peaked at {peak.mb} MB"


@pytest.mark.parametrize(("kind", "rate"), [("fps120", 60.0), ("fps1000", 1000 / 17)])
def test_a_fast_frame_rate_is_brought_down_to_60_or_below(budget_stack, hostile_media, kind, rate):
    st = budget_stack
    token = st.login()
    resp = _upload(st, token, hostile_media[kind])
    assert resp.status_code == 201, resp.text
    video = st.wait_packaged(token, resp.json()["id"])
    assert video["status"] == "ready", video
    (variant,) = _master(st, token, video["id"]).playlists
    assert variant.stream_info.frame_rate == pytest.approx(rate, abs=0.01)
    info = ffprobe_url(f"{st.url('streaming')}/videos/{video['id']}/hls/master.m3u8", token)
    (stream,) = [s for s in info["streams"] if s["codec_type"] == "video"]
    num, den = (int(x) for x in stream["avg_frame_rate"].split("/"))
    assert num / den <= 60.01
    # What it stores is less than the upload: 1000 tiny frames a second are not kept.
    assert _stored(st, video["id"]) < hostile_media[kind].stat().st_size


def test_a_level_browsers_do_not_decode_is_reencoded(budget_stack, hostile_media):
    st = budget_stack
    token = st.login()
    resp = _upload(st, token, hostile_media["level62"])
    assert resp.status_code == 201, resp.text
    video = st.wait_packaged(token, resp.json()["id"])
    assert video["status"] == "ready", video
    (variant,) = _master(st, token, video["id"]).playlists
    assert _level(variant.stream_info.codecs) <= 52  # copied, it would have said 62 (0x3e)


@pytest.mark.parametrize(("kind", "seconds"), [("fps1", 5), ("fps01", 30), ("fps01_mkv", 30)])
def test_slideshows_are_accepted_and_play(budget_stack, hostile_media, kind, seconds):
    st = budget_stack
    token = st.login()
    resp = _upload(st, token, hostile_media[kind])
    assert resp.status_code == 201, resp.text
    video = st.wait_packaged(token, resp.json()["id"])
    assert video["status"] == "ready", video
    info = ffprobe_url(f"{st.url('streaming')}/videos/{video['id']}/hls/master.m3u8", token)
    assert float(info["format"]["duration"]) == pytest.approx(seconds, abs=1.5)


def test_a_truncated_file_is_refused_in_words(budget_stack, tmp_path):
    st = budget_stack
    token = st.login()
    whole = make_clip(tmp_path / "whole.mp4", seconds=4, extra=["-movflags", "+faststart"])
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    resp = _upload(st, token, cut)
    assert resp.status_code == 415, resp.text
    assert resp.json()["error"] == "not_a_video" and "truncated" in resp.json()["message"]
    _assert_in_words(resp.json()["message"], st)


def test_a_first_rung_over_the_output_budget_fails_the_video_and_nothing_stays(tight_stacks, tmp_path):
    st = tight_stacks["1"]
    token = st.login()
    clip = make_clip(tmp_path / "c360.mp4", seconds=3, size="640x360")
    resp = _upload(st, token, clip)
    assert resp.status_code == 201, resp.text
    video = st.wait_packaged(token, resp.json()["id"])
    assert video["status"] == "failed", video
    assert "budget" in video["error"] and "1 times its original" in video["error"], video["error"]
    stored = sorted(p.name for p in (st.storage_dir / "videos" / video["id"]).rglob("*") if p.is_file())
    assert stored == ["original.mp4"]


def test_a_rung_over_the_output_budget_fails_alone(tight_stacks, tmp_path):
    st = tight_stacks["1.2"]
    token = st.login()
    clip = make_clip(tmp_path / "c360.mp4", seconds=3, size="640x360")
    resp = _upload(st, token, clip)
    assert resp.status_code == 201, resp.text
    video = st.wait_packaged(token, resp.json()["id"])
    assert video["status"] == "ready", video
    low, top = video["renditions"]
    assert (top["height"], top["status"], low["height"], low["status"]) == (360, "ready", 180, "failed")
    assert "budget" in low["error"], low
    assert not (st.storage_dir / "videos" / video["id"] / "hls" / "180p").exists()
    assert _stored(st, video["id"]) <= 1.2 * clip.stat().st_size
