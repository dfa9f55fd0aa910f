"""HLS packaging with ffmpeg (commands built by ffmpeg-python), within budget.py's limits.

- `plan_rungs`: which renditions a source gets, and which one is copied. Every rung plays
  in browsers: at most the ladder's top or 2160p (whichever is lower), H.264 at a level
  of at most 5.2, at most 60 frames a second (faster sources are encoded at an even
  fraction of their rate).
- `remux_rung`: 8-bit 4:2:0 H.264 without rotation, within those bounds, is repackaged,
  never re-encoded (its audio copied when AAC, else re-encoded to AAC).
- `transcode_rungs`: everything else, to 8-bit 4:2:0 H.264 + AAC, one decode for
  several rungs, keyframes forced at the copied rung's segment boundaries (or every
  SEGMENT_SECONDS) so that segments line up across renditions.
- `master_playlist`: BANDWIDTH, AVERAGE-BANDWIDTH, RESOLUTION, CODECS, FRAME-RATE, and
  the caption tracks as one SUBTITLES group (`caption_playlist`: their media playlists).
- `extract_subtitles`: an upload's text subtitle streams as WebVTT files.
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

import ffmpeg

from vs_common import layout

from . import budget
from .probe import INPUT_OPTIONS, Probe, in_words, run_ffprobe

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
        return layout.rendition_folder(self.label)


MAX_HEIGHT = 2160  # the largest rung, whatever the ladder says (4K UHD)
MAX_LEVEL = 52  # H.264 level 5.2: 2160p at 60 fps, what browsers' decoders take
MAX_FPS = 60.0


def output_fps(fps: float) -> float:
    """The frame rate a rung is delivered at: the source's up to MAX_FPS, else an even
    fraction of it (120 -> 60, 100 -> 50, 1000 -> 58.8), so that motion stays regular."""
    if fps <= MAX_FPS or not math.isfinite(fps):
        return fps
    return fps / math.ceil(fps / MAX_FPS)


def top_height(ladder: tuple[int, ...]) -> int:
    """The largest rung: the ladder's top, or 2160p, whichever is lower (2160p with no ladder)."""
    return min(max(ladder), MAX_HEIGHT) if ladder else MAX_HEIGHT


def can_copy(probe: Probe, ladder: tuple[int, ...] = ()) -> bool:
    """H.264, 8-bit 4:2:0, no rotation, a level browsers decode, at most 60 fps, and no
    larger than the top rung: repackaged as it is."""
    dw, dh = probe.display_size
    return (
        probe.video_codec == "h264"
        and probe.pix_fmt in COPYABLE_PIX_FMTS
        and probe.rotation % 360 == 0
        and 0 < probe.level <= MAX_LEVEL
        and probe.frame_rate <= MAX_FPS
        and min(dw, dh) <= top_height(ladder)
    )


def _even(value: float) -> int:
    return max(2, int(round(value / 2)) * 2)


def _size_for(label: int, dw: int, dh: int) -> tuple[int, int]:
    if dw >= dh:
        return _even(dw * label / dh), label
    return label, _even(dh * label / dw)


def plan_rungs(probe: Probe, ladder: tuple[int, ...]) -> list[Rung]:
    """Rungs from smallest to largest. The top rung is the source's own size when that is
    no larger than `top_height` (copied when possible, else transcoded), else the top
    height; ladder heights below it are transcoded."""
    dw, dh = probe.display_size
    copy = can_copy(probe, ladder)
    cap = top_height(ladder)
    if copy:
        top = Rung(min(dw, dh), dw, dh, copy=True)  # a copied rung keeps its size, odd ones included
    elif min(dw, dh) <= cap:
        # An encoded rung is even in both directions (4:2:0); its label is the short side delivered.
        tw, th = max(2, dw // 2 * 2), max(2, dh // 2 * 2)
        top = Rung(min(tw, th), tw, th, copy=False)
    else:
        top = Rung(cap, *_size_for(cap, dw, dh), copy=False)
    rungs = [Rung(label, *_size_for(label, dw, dh), copy=False) for label in ladder if label < top.label]
    rungs.append(top)
    return rungs


def _maxrate_kbps(rung: Rung, fps: float) -> int:
    fps = min(max(fps or 30.0, 15.0), 60.0)
    return max(300, int(rung.width * rung.height * fps * 0.1 / 1000))


def run(
    cmd: list[str],
    log_path: Path,
    cancel: threading.Event | None = None,
    timeout: float = 6 * 3600,
    nice: int = 0,
    watch: tuple[Path, int] | None = None,
) -> None:
    """Run ffmpeg within the budget (at `nice`); kill it if `cancel` is set, or once the
    folder of `watch` holds more than its bytes; raise PackagingError in words."""
    with open(log_path, "ab") as err:
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=err,
            preexec_fn=budget.child_setup(nice),
            env=budget.child_env(),
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
                if watch is not None and folder_bytes(watch[0]) > watch[1]:
                    proc.kill()
                    proc.wait()
                    raise OverBudget(watch[1]) from None
    if watch is not None and folder_bytes(watch[0]) > watch[1]:
        raise OverBudget(watch[1])
    if code != 0:
        raise PackagingError(f"ffmpeg exited with {code}: {last_error(log_path.read_text(errors='replace'))}")


class OverBudget(PackagingError):
    """The output would pass what the video may store."""

    def __init__(self, allowed: int):
        super().__init__(
            f"Packaging stopped: this video would store more than {allowed / 1e6:.1f} MB, its budget "
            f"({budget.BUDGET.output_ratio:g} times its original plus {budget.BUDGET.output_mb} MB)."
        )


def folder_bytes(folder: Path) -> int:
    """Bytes of the files under `folder` (what vanishes meanwhile is not counted)."""
    total = 0
    for root, _dirs, files in os.walk(folder):
        for name in files:
            try:
                total += os.stat(os.path.join(root, name)).st_size
            except FileNotFoundError:
                continue
    return total


_ADDRESS = re.compile(r"^\[[^\]]*@ 0x[0-9a-fA-F]+\]\s*")
_PATH = re.compile(r"(?:file:)?/[^\s'\":,]+")


def last_error(log_text: str) -> str:
    """ffmpeg's last error line in words fit for a person: no `[codec @ 0x...]`, no paths."""
    lines = [ln for ln in log_text.splitlines() if ln.strip()]
    if not lines:
        return "no output"
    words = in_words(log_text)
    if words:
        return words
    return _PATH.sub("(a file)", _ADDRESS.sub("", lines[-1].strip()))[:200]


def _hls_args(out_dir: Path, hls_time: float) -> dict:
    return {
        "f": "hls",
        "hls_time": hls_time,
        "hls_playlist_type": "vod",
        "hls_segment_type": "mpegts",
        "hls_segment_filename": str(out_dir / layout.SEGMENT_FILE_PATTERN),
        "hls_flags": "independent_segments",
        "max_muxing_queue_size": 4096,
    }


def _input(src: Path, **options):
    """The source as an ffmpeg input: only the file, within the pixel and thread budget."""
    return ffmpeg.input(f"file:{src}", **INPUT_OPTIONS, **budget.decoder_options(), **options)


def audio_is_aac_lc(src: Path) -> bool:
    """AAC-LC can be copied as it is; HE-AAC would not match the master's `mp4a.40.2`."""
    info = run_ffprobe(["-select_streams", "a:0", "-show_streams"], str(src))
    streams = info.get("streams") or [{}]
    return streams[0].get("codec_name") == "aac" and streams[0].get("profile", "LC") == "LC"


def remux_rung(src: Path, out_dir: Path, probe: Probe, log_path: Path, cancel=None, limit: int | None = None) -> None:
    """Repackage the source's H.264 as HLS without re-encoding (stopped past `limit` bytes)."""
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
        ffmpeg.output(*streams, str(out_dir / layout.MEDIA_PLAYLIST), **opts)
        .global_args("-nostdin", "-v", "error", "-y")
        .compile(cmd="ffmpeg")
    )
    run(cmd, log_path, cancel, watch=(out_dir, limit) if limit is not None else None)


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
    limit: int | None = None,
) -> None:
    """Encode several rungs in one ffmpeg run (one decode, one scale per rung), at most
    60 frames a second; stopped once the output passes `limit` bytes."""
    fps = output_fps(probe.frame_rate)
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
        if fps < probe.frame_rate:
            video = video.filter("fps", fps=f"{fps:.6f}")
        maxrate = _maxrate_kbps(rung, fps)
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
            "threads": budget.threads(),
            **_hls_args(out_dir, hls_time),
        }
        streams = [video]
        if probe.has_audio:
            streams.append(inp["a:0"])
            opts.update({"c:a": "aac", "b:a": "128k", "ac": 2})
        outputs.append(ffmpeg.output(*streams, str(out_dir / layout.MEDIA_PLAYLIST), **opts))
    cmd = ffmpeg.merge_outputs(*outputs).global_args("-nostdin", "-v", "error", "-y").compile(cmd="ffmpeg")
    run(cmd, log_path, cancel, nice=nice, watch=(out_root, limit) if limit is not None else None)


def _pictures(src: Path, shots: list[tuple[float, Path, str, int]], log_path: Path, cancel=None, nice: int = 0) -> None:
    """One ffmpeg run, one seeked input per picture (input-side -ss: from the keyframe
    before the time, still frame-exact), one decoded frame each: the cost does not grow
    with the video's length."""
    outputs = [
        _input(src, ss=f"{at:.3f}")["v:0"].output(str(path), vframes=1, vf=vf, **{"q:v": q})
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
    poster = out_dir / layout.POSTER
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
    names = layout.THUMBNAILS
    shots = [
        (duration * (2 * k + 1) / (2 * len(names)), out_dir / "thumbs" / name, "scale=320:-2", 5)
        for k, name in enumerate(names)
    ]
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
    for line in (out_dir / layout.MEDIA_PLAYLIST).read_text().splitlines():
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
        info = _probe_segment(out_dir / layout.FIRST_SEGMENT)
        stream = info["streams"][0]
        codecs = avc_codec_string(stream.get("profile", "High"), int(stream.get("level") or 31))
    if has_audio:
        codecs += ",mp4a.40.2"
    average = int(total_bits / total_time) if total_time else peak
    rate = frame_rate if frame_rate and math.isfinite(frame_rate) else None
    return {"bandwidth": max(peak, average), "average_bandwidth": average, "codecs": codecs, "frame_rate": rate}


def _probe_segment(segment: Path) -> dict:
    """ffprobe of one of our own MPEG-TS segments (the mpegts demuxer, not the uploads')."""
    cmd = [
        "ffprobe",
        "-v",
        "error",
        "-protocol_whitelist",
        "file",
        "-select_streams",
        "v:0",
        "-show_streams",
        "-of",
        "json",
        f"file:{segment}",
    ]
    proc = subprocess.run(cmd, capture_output=True, timeout=60, preexec_fn=budget.child_setup(), env=budget.child_env())
    if proc.returncode != 0:
        raise PackagingError(f"a segment could not be read back: {last_error(proc.stderr.decode(errors='replace'))}")
    return json.loads(proc.stdout)


SUBTITLES_GROUP = "subs"


def master_playlist(renditions: list[dict], captions: list[dict] | tuple = ()) -> str:
    """The master playlist naming each ready rendition (catalogue rows: height,
    frame_width, frame_height, bandwidth, average_bandwidth, codecs, frame_rate) by a
    relative URL, best first,
    and each caption track (rows: language, label, is_default, file_name) as a SUBTITLES
    rendition of one group that every variant points at. Labels and tags are checked on
    the way in (vs_common.captions: no double quote, no line break), so they quote as is."""
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-INDEPENDENT-SEGMENTS"]
    for c in captions:
        lines.append(
            f'#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="{SUBTITLES_GROUP}",LANGUAGE="{c["language"]}",'
            f'NAME="{c["label"]}",DEFAULT={"YES" if c["is_default"] else "NO"},AUTOSELECT=YES,'
            f'URI="{layout.caption_file(c["file_name"], ".m3u8")}"'
        )
    for r in sorted(renditions, key=lambda r: r["height"], reverse=True):
        attrs = [
            f"BANDWIDTH={r['bandwidth']}",
            f"AVERAGE-BANDWIDTH={r['average_bandwidth']}",
            f"RESOLUTION={r['frame_width']}x{r['frame_height']}",
            f'CODECS="{r["codecs"]}"',
        ]
        if r.get("frame_rate"):
            attrs.append(f"FRAME-RATE={r['frame_rate']:.3f}")
        if captions:
            attrs.append(f'SUBTITLES="{SUBTITLES_GROUP}"')
        lines.append("#EXT-X-STREAM-INF:" + ",".join(attrs))
        lines.append(layout.rendition_playlist(r["height"]))
    return "\n".join(lines) + "\n"


# -- caption tracks ---------------------------------------------------------------------

# The MPEG-TS time (90 kHz) at which every segment we make starts the source's time 0:
# ffmpeg's mpegts muxer offsets timestamps by twice its max_delay (0.7 s by default; no
# run here sets -muxdelay or -copyts), after ffmpeg has made the input start at 0. A
# copied rung's first segment starts there (its audio at 1.400 s, its video a frame of
# B-frame delay later); an encoded one a few tens of milliseconds later (the AAC
# encoder's priming). A WebVTT track's X-TIMESTAMP-MAP maps its 00:00:00.000 here, so
# that a cue at 1 s shows 1 s into the source whatever the first packet's time is
# (tests/captions check the segments' start against this). Being the same for every
# video, it lets a track be written once, before or after its video is packaged.
TS_START_PTS = 126000


def caption_playlist(file_name: str, duration_s: float) -> str:
    """The media playlist of a caption track: one segment, the whole WebVTT file, as long
    as the video."""
    duration = max(float(duration_s or 0), 1.0)
    return (
        "#EXTM3U\n#EXT-X-VERSION:3\n"
        f"#EXT-X-TARGETDURATION:{math.ceil(duration)}\n"
        "#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-PLAYLIST-TYPE:VOD\n"
        f"#EXTINF:{duration:.3f},\n{file_name}.vtt\n#EXT-X-ENDLIST\n"
    )


def extract_subtitles(src: Path, streams: list[int], out_dir: Path, log_path: Path, cancel=None) -> dict[int, Path]:
    """The text subtitle streams `streams` (their ordinals among the source's subtitle
    streams) as WebVTT files made by ffmpeg in one read of the source: {ordinal: file}.
    Stopped once they pass SUBTITLE_OUTPUT_BYTES each (a caption file is at most 2 MiB:
    more is not kept anyway)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    inp = _input(src)
    files = {n: out_dir / f"sub{n}.vtt" for n in streams}
    outputs = [ffmpeg.output(inp[f"s:{n}"], str(path), **{"c:s": "webvtt", "f": "webvtt"}) for n, path in files.items()]
    cmd = ffmpeg.merge_outputs(*outputs).global_args("-nostdin", "-v", "error", "-y").compile(cmd="ffmpeg")
    run(cmd, log_path, cancel, timeout=3600, watch=(out_dir, SUBTITLE_OUTPUT_BYTES * len(files)))
    return files


SUBTITLE_OUTPUT_BYTES = 8 * 1024 * 1024


def rung_files(out_dir: Path) -> list[Path]:
    """Segments first, then the media playlist (so a reader never sees a dangling name)."""
    segs = sorted(p for p in out_dir.iterdir() if layout.is_segment_file(p.name))
    return [*segs, out_dir / layout.MEDIA_PLAYLIST]
