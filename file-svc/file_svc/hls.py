"""HLS packaging with ffmpeg (commands built by ffmpeg-python).

- `plan_rungs`: which renditions a source gets, and which one is copied.
- `remux_rung`: 8-bit 4:2:0 H.264 without rotation is repackaged, never re-encoded
  (its audio copied when AAC, else re-encoded to AAC).
- `transcode_rungs`: everything else, to 8-bit 4:2:0 H.264 + AAC, one decode for
  several rungs, keyframes forced at the copied rung's segment boundaries (or every
  SEGMENT_SECONDS) so that segments line up across renditions.
- `master_playlist`: BANDWIDTH, AVERAGE-BANDWIDTH, RESOLUTION, CODECS, FRAME-RATE.
"""

from __future__ import annotations

import ctypes
import math
import os
import re
import signal
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

import ffmpeg

from .probe import INPUT_OPTIONS, Probe

SEGMENT_SECONDS = 4
COPYABLE_PIX_FMTS = {"yuv420p", "yuvj420p"}


class PackagingError(RuntimeError):
    """ffmpeg failed; the message carries its last error line."""


class Cancelled(RuntimeError):
    """The job lost its lease (or the video was deleted) while ffmpeg ran."""


@dataclass(frozen=True)
class Rung:
    """One rendition: `label` is the short side (360 for 640x360 and for 360x640)."""

    label: int
    width: int
    height: int
    copy: bool

    @property
    def name(self) -> str:
        return f"{self.label}p"


def can_copy(probe: Probe) -> bool:
    """H.264, 8-bit 4:2:0, no rotation: repackaged as it is."""
    return probe.video_codec == "h264" and probe.pix_fmt in COPYABLE_PIX_FMTS and probe.rotation % 360 == 0


def _even(value: float) -> int:
    return max(2, int(round(value / 2)) * 2)


def _size_for(label: int, dw: int, dh: int) -> tuple[int, int]:
    if dw >= dh:
        return _even(dw * label / dh), label
    return label, _even(dh * label / dw)


def plan_rungs(probe: Probe, ladder: tuple[int, ...]) -> list[Rung]:
    """Rungs from smallest to largest. The source's own size is the top rung: copied
    when possible, else transcoded; ladder heights below it are transcoded."""
    dw, dh = probe.display_size
    copy = can_copy(probe)
    # A copied rung keeps the source's size (odd ones included); an encoded one must be
    # even in both directions for 4:2:0. The label is the short side actually delivered.
    tw, th = (dw, dh) if copy else (max(2, dw // 2 * 2), max(2, dh // 2 * 2))
    top = min(tw, th)
    rungs = [Rung(label, *_size_for(label, dw, dh), copy=False) for label in ladder if label < top]
    rungs.append(Rung(top, tw, th, copy=copy))
    return rungs


def _maxrate_kbps(rung: Rung, fps: float) -> int:
    fps = min(max(fps or 30.0, 15.0), 60.0)
    return max(300, int(rung.width * rung.height * fps * 0.1 / 1000))


def _child_setup(nice: int):
    """In the ffmpeg child, before exec: die with the packager (SIGKILL included, so no
    orphan keeps working), and take a lower CPU priority for background work."""

    def setup() -> None:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        if nice:
            os.nice(nice)

    return setup


def run(
    cmd: list[str],
    log_path: Path,
    cancel: threading.Event | None = None,
    timeout: float = 6 * 3600,
    nice: int = 0,
) -> None:
    """Run ffmpeg (at `nice`); kill it if `cancel` is set; raise PackagingError with its last line."""
    with open(log_path, "ab") as err:
        proc = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err, preexec_fn=_child_setup(nice)
        )
        waited = 0.0
        while True:
            try:
                code = proc.wait(timeout=0.5)
                break
            except subprocess.TimeoutExpired:
                waited += 0.5
                if (cancel is not None and cancel.is_set()) or waited > timeout:
                    proc.kill()
                    proc.wait()
                    raise Cancelled("packaging stopped: the job was cancelled or timed out") from None
    if code != 0:
        lines = [ln for ln in log_path.read_text(errors="replace").splitlines() if ln.strip()]
        raise PackagingError(f"ffmpeg exited with {code}: {(lines[-1] if lines else 'no output')[:300]}")


def _hls_args(out_dir: Path, hls_time: float) -> dict:
    return {
        "f": "hls",
        "hls_time": hls_time,
        "hls_playlist_type": "vod",
        "hls_segment_type": "mpegts",
        "hls_segment_filename": str(out_dir / "seg_%05d.ts"),
        "hls_flags": "independent_segments",
        "max_muxing_queue_size": 4096,
    }


def _input(src: Path):
    return ffmpeg.input(f"file:{src}", **INPUT_OPTIONS)


def audio_is_aac_lc(src: Path) -> bool:
    """AAC-LC can be copied as it is; HE-AAC would not match the master's `mp4a.40.2`."""
    info = ffmpeg.probe(
        f"file:{src}",
        select_streams="a:0",
        protocol_whitelist="file",
        format_whitelist=INPUT_OPTIONS["format_whitelist"],
    )
    streams = info.get("streams") or [{}]
    return streams[0].get("codec_name") == "aac" and streams[0].get("profile", "LC") == "LC"


def remux_rung(src: Path, out_dir: Path, probe: Probe, log_path: Path, cancel=None) -> None:
    """Repackage the source's H.264 as HLS without re-encoding."""
    out_dir.mkdir(parents=True, exist_ok=True)
    inp = _input(src)
    streams = [inp["v:0"]]
    opts = {"c:v": "copy", **_hls_args(out_dir, SEGMENT_SECONDS)}
    if probe.has_audio:
        streams.append(inp["a:0"])
        aac = probe.audio_codec == "aac"
        if aac and (probe.audio_profile == "LC" if probe.audio_profile is not None else audio_is_aac_lc(src)):
            opts["c:a"] = "copy"
        else:
            opts.update({"c:a": "aac", "b:a": "128k", "ac": 2})
    cmd = (
        ffmpeg.output(*streams, str(out_dir / "index.m3u8"), **opts)
        .global_args("-nostdin", "-v", "error", "-y")
        .compile(cmd="ffmpeg")
    )
    run(cmd, log_path, cancel)


def segment_boundaries(playlist: Path) -> list[float]:
    """Start times of every segment after the first, from a media playlist's EXTINF."""
    times, t = [], 0.0
    for line in playlist.read_text().splitlines():
        if line.startswith("#EXTINF:"):
            t += float(line[8:].split(",")[0])
            times.append(round(t, 3))
    return times[:-1]


def transcode_rungs(
    src: Path,
    rungs: list[Rung],
    out_root: Path,
    probe: Probe,
    log_path: Path,
    keyframes: list[float] | None = None,
    cancel=None,
    nice: int = 0,
) -> None:
    """Encode several rungs in one ffmpeg run (one decode, one scale per rung)."""
    inp = _input(src)
    split = inp["v:0"].filter_multi_output("split", len(rungs)) if len(rungs) > 1 else None
    outputs = []
    if keyframes is None:
        force = f"expr:gte(t,n_forced*{SEGMENT_SECONDS})"
        hls_time = SEGMENT_SECONDS
    else:
        force = ",".join(f"{t:.3f}" for t in keyframes) or "0"
        hls_time = 0.5  # cut at every (forced) keyframe: the copied rung's boundaries
    for i, rung in enumerate(rungs):
        out_dir = out_root / rung.name
        out_dir.mkdir(parents=True, exist_ok=True)
        video = (split[i] if split is not None else inp["v:0"]).filter("scale", rung.width, rung.height)
        video = video.filter("format", "yuv420p")
        maxrate = _maxrate_kbps(rung, probe.frame_rate)
        opts = {
            "c:v": "libx264",
            "preset": "veryfast",
            "crf": 23,
            "maxrate": f"{maxrate}k",
            "bufsize": f"{2 * maxrate}k",
            "profile:v": "high",
            "g": 9999,
            "keyint_min": 9999,
            "sc_threshold": 0,
            "force_key_frames": force,
            "forced-idr": 1,
            **_hls_args(out_dir, hls_time),
        }
        streams = [video]
        if probe.has_audio:
            streams.append(inp["a:0"])
            opts.update({"c:a": "aac", "b:a": "128k", "ac": 2})
        outputs.append(ffmpeg.output(*streams, str(out_dir / "index.m3u8"), **opts))
    cmd = ffmpeg.merge_outputs(*outputs).global_args("-nostdin", "-v", "error", "-y").compile(cmd="ffmpeg")
    run(cmd, log_path, cancel, nice=nice)


def _pictures(src: Path, shots: list[tuple[float, Path, str, int]], log_path: Path, cancel=None, nice: int = 0) -> None:
    """One ffmpeg run, one seeked input per picture (input-side -ss: from the keyframe
    before the time, still frame-exact), one decoded frame each: the cost does not grow
    with the video's length."""
    outputs = [
        ffmpeg.input(f"file:{src}", ss=f"{at:.3f}", **INPUT_OPTIONS)["v:0"].output(
            str(path), vframes=1, vf=vf, **{"q:v": q}
        )
        for at, path, vf, q in shots
    ]
    run(
        ffmpeg.merge_outputs(*outputs).global_args("-nostdin", "-v", "error", "-y").compile(cmd="ffmpeg"),
        log_path,
        cancel,
        nice=nice,
    )


POSTER_FILTER = "scale='min(1280,iw)':-2"


def make_poster(src: Path, out_dir: Path, probe: Probe, log_path: Path, cancel=None) -> Path:
    """poster.jpg (up to 1280 wide, upright): needed before the video is `ready`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    poster = out_dir / "poster.jpg"
    _pictures(src, [(min(max(probe.duration_s, 0.1) * 0.25, 5.0), poster, POSTER_FILTER, 3)], log_path, cancel)
    if not poster.is_file():
        # No frame after that time (a video track shorter than the file): the first frame.
        first = _input(src)["v:0"].output(str(poster), vframes=1, vf=POSTER_FILTER, **{"q:v": 3})
        run(first.global_args("-nostdin", "-v", "error", "-y").compile(cmd="ffmpeg"), log_path, cancel)
    if not poster.is_file():
        raise PackagingError("no picture could be decoded for the poster")
    return poster


def make_thumbnails(src: Path, out_dir: Path, probe: Probe, log_path: Path, cancel=None, nice: int = 0) -> list[Path]:
    """thumbs/1..5.jpg (320 wide, upright), spread over the video; made after `ready`."""
    (out_dir / "thumbs").mkdir(parents=True, exist_ok=True)
    duration = max(probe.duration_s, 0.1)
    shots = [(duration * (2 * k + 1) / 10, out_dir / "thumbs" / f"{k + 1}.jpg", "scale=320:-2", 5) for k in range(5)]
    _pictures(src, shots, log_path, cancel, nice)
    return sorted(p for p in (out_dir / "thumbs").glob("*.jpg"))


# -- master playlist ----------------------------------------------------------------

_PROFILE_IDC = {
    "Baseline": (66, 0),
    "Constrained Baseline": (66, 0xE0),
    "Main": (77, 0x40),
    "Extended": (88, 0),
    "High": (100, 0),
}


def avc_codec_string(profile: str, level: int) -> str:
    idc, constraints = _PROFILE_IDC.get(profile, (100, 0))
    return f"avc1.{idc:02x}{constraints:02x}{max(level, 10):02x}"


def rung_stats(rung: Rung, out_dir: Path, has_audio: bool, frame_rate: float, probe: Probe | None = None) -> dict:
    """What the master says of a rung: peak and average bitrate from the segment sizes,
    CODECS from the source's probe for a copied rung (`probe`), else from the first
    segment, and the frame rate."""
    peak, total_bits, total_time = 0, 0, 0.0
    duration = None
    for line in (out_dir / "index.m3u8").read_text().splitlines():
        if line.startswith("#EXTINF:"):
            duration = float(line[8:].split(",")[0])
        elif line and not line.startswith("#") and duration:
            bits = (out_dir / line).stat().st_size * 8
            peak = max(peak, int(bits / max(duration, 0.5)))
            total_bits += bits
            total_time += duration
            duration = None
    if probe is not None and probe.profile in _PROFILE_IDC and probe.level > 0:
        codecs = avc_codec_string(probe.profile, probe.level)
    else:
        info = ffmpeg.probe(f"file:{out_dir / 'seg_00000.ts'}", select_streams="v:0", protocol_whitelist="file")
        stream = info["streams"][0]
        codecs = avc_codec_string(stream.get("profile", "High"), int(stream.get("level") or 31))
    if has_audio:
        codecs += ",mp4a.40.2"
    average = int(total_bits / total_time) if total_time else peak
    rate = frame_rate if frame_rate and math.isfinite(frame_rate) else None
    return {"bandwidth": max(peak, average), "average_bandwidth": average, "codecs": codecs, "frame_rate": rate}


def master_playlist(renditions: list[dict]) -> str:
    """The master playlist naming each ready rendition (catalogue rows: label, width,
    height, bandwidth, average_bandwidth, codecs, frame_rate) by a relative URL, best first."""
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-INDEPENDENT-SEGMENTS"]
    for r in sorted(renditions, key=lambda r: r["label"], reverse=True):
        attrs = [
            f"BANDWIDTH={r['bandwidth']}",
            f"AVERAGE-BANDWIDTH={r['average_bandwidth']}",
            f"RESOLUTION={r['width']}x{r['height']}",
            f'CODECS="{r["codecs"]}"',
        ]
        if r.get("frame_rate"):
            attrs.append(f"FRAME-RATE={r['frame_rate']:.3f}")
        lines.append("#EXT-X-STREAM-INF:" + ",".join(attrs))
        lines.append(f"{r['label']}p/index.m3u8")
    return "\n".join(lines) + "\n"


_SEG = re.compile(r"^seg_\d{5}\.ts$")


def rung_files(out_dir: Path) -> list[Path]:
    """Segments first, then the media playlist (so a reader never sees a dangling name)."""
    segs = sorted(p for p in out_dir.iterdir() if _SEG.match(p.name))
    return [*segs, out_dir / "index.m3u8"]
