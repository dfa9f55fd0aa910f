"""The ffmpeg runs that make a video's files (commands built by ffmpeg-python, run by
runner.py within the budget): renditions (remuxed or transcoded, as HLS), pictures
(poster, thumbnails), the subtitle streams as WebVTT, and what a made rendition's
master-playlist line says of it."""

from __future__ import annotations

import math
import threading
from pathlib import Path

import ffmpeg

from vs_common import layout

from . import runner
from .budget import Budget
from .errors import PackagingError
from .planning import SEGMENT_SECONDS, Rendition, maxrate_kbps, output_fps
from .playlists import CODEC_PROFILES, avc_codec_string
from .probe import Probe, audio_is_aac_lc

POSTER_FILTER = "scale='min(1280,iw)':-2"
THUMBNAIL_FILTER = "scale=320:-2"
SUBTITLE_OUTPUT_BYTES = 8 * 1024 * 1024


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


def _watch(out: Path, limit: int | None) -> tuple[Path, int] | None:
    return (out, limit) if limit is not None else None


def remux_rendition(
    src: Path,
    out_dir: Path,
    probe: Probe,
    budget: Budget,
    log_path: Path,
    cancel: threading.Event | None = None,
    limit: int | None = None,
) -> None:
    """Repackage the source's H.264 as HLS without re-encoding (stopped past `limit` bytes)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    inp = runner.source_input(src, budget)
    streams = [inp["v:0"]]
    opts = {"c:v": "copy", **_hls_args(out_dir, SEGMENT_SECONDS)}
    if probe.has_audio:
        streams.append(inp["a:0"])
        aac = probe.audio_codec == "aac"
        if aac and (
            probe.audio_profile == "LC" if probe.audio_profile is not None else audio_is_aac_lc(str(src), budget)
        ):
            opts["c:a"] = "copy"
        else:
            opts.update({"c:a": "aac", "b:a": "128k", "ac": 2})
    cmd = runner.command(ffmpeg.output(*streams, str(out_dir / layout.MEDIA_PLAYLIST), **opts))
    runner.run_ffmpeg(cmd, budget, log_path, cancel=cancel, watch=_watch(out_dir, limit))


def transcode_renditions(
    src: Path,
    renditions: list[Rendition],
    out_root: Path,
    probe: Probe,
    budget: Budget,
    log_path: Path,
    *,
    keyframes: list[float] | None = None,
    cancel: threading.Event | None = None,
    nice: int = 0,
    limit: int | None = None,
) -> None:
    """Encode several renditions in one ffmpeg run (one decode, one scale each) into
    `out_root/<folder>/`, keyframes at `keyframes` (the copied rendition's segment
    boundaries) or every SEGMENT_SECONDS; stopped once the output passes `limit` bytes."""
    fps = output_fps(probe.frame_rate)
    inp = runner.source_input(src, budget)
    split = inp["v:0"].filter_multi_output("split", len(renditions)) if len(renditions) > 1 else None
    if keyframes is None:
        force, hls_time = f"expr:gte(t,n_forced*{SEGMENT_SECONDS})", SEGMENT_SECONDS
    else:
        # Cut at every (forced) keyframe: the copied rendition's boundaries.
        force, hls_time = ",".join(f"{t:.3f}" for t in keyframes) or "0", 0.5
    outputs = []
    for i, rendition in enumerate(renditions):
        out_dir = out_root / rendition.folder
        out_dir.mkdir(parents=True, exist_ok=True)
        video = _video_filters(split[i] if split is not None else inp["v:0"], rendition, fps, probe)
        opts = {**_h264_options(rendition, fps, force, budget), **_hls_args(out_dir, hls_time)}
        streams = [video]
        if probe.has_audio:
            streams.append(inp["a:0"])
            opts.update({"c:a": "aac", "b:a": "128k", "ac": 2})
        outputs.append(ffmpeg.output(*streams, str(out_dir / layout.MEDIA_PLAYLIST), **opts))
    cmd = runner.command(ffmpeg.merge_outputs(*outputs))
    runner.run_ffmpeg(cmd, budget, log_path, cancel=cancel, nice=nice, watch=_watch(out_root, limit))


def _video_filters(stream, rendition: Rendition, fps: float, probe: Probe):
    """The filter chain of an encoded rendition's picture: scaled, 8-bit 4:2:0, at most
    `fps` frames a second."""
    video = stream.filter("scale", rendition.frame_width, rendition.frame_height).filter("format", "yuv420p")
    if fps < probe.frame_rate:
        video = video.filter("fps", fps=f"{fps:.6f}")
    return video


def _h264_options(rendition: Rendition, fps: float, force: str, budget: Budget) -> dict:
    """libx264 held to the rendition's peak rate, keyframes only where forced."""
    maxrate = maxrate_kbps(rendition, fps)
    return {
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
        "threads": budget.thread_count(),
    }


def _pictures(
    src: Path, shots: list[tuple[float, Path, str, int]], budget: Budget, log_path: Path, cancel=None, nice: int = 0
) -> None:
    """One ffmpeg run, one seeked input per picture (input-side -ss: from the keyframe
    before the time, still frame-exact), one decoded frame each: the cost does not grow
    with the video's length."""
    outputs = [
        runner.source_input(src, budget, ss=f"{at:.3f}")["v:0"].output(str(path), vframes=1, vf=vf, **{"q:v": q})
        for at, path, vf, q in shots
    ]
    runner.run_ffmpeg(runner.command(ffmpeg.merge_outputs(*outputs)), budget, log_path, cancel=cancel, nice=nice)


def make_poster(src: Path, out_dir: Path, probe: Probe, budget: Budget, log_path: Path, cancel=None) -> Path:
    """poster.jpg (up to 1280 wide, upright): needed before the video is `ready`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    poster = out_dir / layout.POSTER
    at = min(max(probe.duration_s, 0.1) * 0.25, 5.0)
    _pictures(src, [(at, poster, POSTER_FILTER, 3)], budget, log_path, cancel)
    if not poster.is_file():
        # No frame after that time (a video track shorter than the file): the first frame.
        first = runner.source_input(src, budget)["v:0"].output(str(poster), vframes=1, vf=POSTER_FILTER, **{"q:v": 3})
        runner.run_ffmpeg(runner.command(first), budget, log_path, cancel=cancel)
    if not poster.is_file():
        raise PackagingError("no picture could be decoded for the poster")
    return poster


def make_thumbnails(
    src: Path, out_dir: Path, probe: Probe, budget: Budget, log_path: Path, cancel=None, nice: int = 0
) -> list[Path]:
    """thumbs/1..5.jpg (320 wide, upright), spread over the video; made after `ready`."""
    folder = out_dir / "thumbs"
    folder.mkdir(parents=True, exist_ok=True)
    duration, names = max(probe.duration_s, 0.1), layout.THUMBNAILS
    shots = [
        (duration * (2 * k + 1) / (2 * len(names)), folder / name, THUMBNAIL_FILTER, 5) for k, name in enumerate(names)
    ]
    _pictures(src, shots, budget, log_path, cancel, nice)
    return sorted(p for p in folder.glob("*.jpg"))


def extract_subtitles(
    src: Path, streams: list[int], out_dir: Path, budget: Budget, log_path: Path, cancel=None
) -> dict[int, Path]:
    """The text subtitle streams `streams` (their ordinals among the source's subtitle
    streams) as WebVTT files made by ffmpeg in one read of the source: {ordinal: file}.
    Stopped once they pass SUBTITLE_OUTPUT_BYTES each (a caption file is at most 2 MiB:
    more is not kept anyway)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    inp = runner.source_input(src, budget)
    files = {n: out_dir / f"sub{n}.vtt" for n in streams}
    outputs = [ffmpeg.output(inp[f"s:{n}"], str(path), **{"c:s": "webvtt", "f": "webvtt"}) for n, path in files.items()]
    watch = (out_dir, SUBTITLE_OUTPUT_BYTES * len(files))
    runner.run_ffmpeg(
        runner.command(ffmpeg.merge_outputs(*outputs)), budget, log_path, cancel=cancel, timeout=3600, watch=watch
    )
    return files


def rendition_stats(
    out_dir: Path, has_audio: bool, frame_rate: float, budget: Budget, probe: Probe | None = None
) -> dict:
    """What the master says of a made rendition: peak and average bitrate from the segment
    sizes, CODECS from the source's probe for a copied one (`probe`), else from its first
    segment, and the frame rate."""
    peak, average = _bitrates(out_dir)
    if probe is not None and probe.profile in CODEC_PROFILES and probe.level > 0:
        codecs = avc_codec_string(probe.profile, probe.level)
    else:
        stream = runner.probe_segment(out_dir / layout.FIRST_SEGMENT, budget)["streams"][0]
        codecs = avc_codec_string(stream.get("profile", "High"), int(stream.get("level") or 31))
    if has_audio:
        codecs += ",mp4a.40.2"
    rate = frame_rate if frame_rate and math.isfinite(frame_rate) else None
    return {"bandwidth": max(peak, average), "average_bandwidth": average, "codecs": codecs, "frame_rate": rate}


def _bitrates(out_dir: Path) -> tuple[int, int]:
    """The peak and average bitrate of a rendition's segments (bit/s), by its playlist."""
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
    return peak, (int(total_bits / total_time) if total_time else peak)
