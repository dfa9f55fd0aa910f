"""What an upload is, by content: ffprobe, reading only the file, within the budget.

Every ffprobe and ffmpeg here is started by runner.py (only the file itself is read,
within the budget's pixels, memory and threads). Refusals say what is wrong in words
of ours: never ffmpeg's text, paths or versions.
"""

from __future__ import annotations

import logging
import os
import subprocess
from dataclasses import asdict, dataclass, fields

from vs_common.signatures import what_is

from . import runner
from .budget import Budget
from .errors import NotAVideo, ProbeFailed, in_words, too_large, too_large_in

log = logging.getLogger(__name__)
EXTENSIONS = {"mov": ".mp4", "matroska": ".mkv", "avi": ".avi"}


def sniff(path: str) -> str | None:
    """Say what a file is from its first bytes ("a PNG image", "text"...), or None."""
    with open(path, "rb") as fh:
        return what_is(fh.read(4096))


def _refusal(path: str, reason: str) -> NotAVideo:
    """The refusal of an unreadable file, in words: what it is when its bytes say."""
    kind = sniff(path)
    why = f": {reason}" if reason else ""
    if kind == "empty":
        return NotAVideo("The file is empty: it is not a playable video.")
    if kind == "playlist":
        return NotAVideo(
            "The file is a playlist (M3U/HLS or concat), not a playable video; upload the video file itself."
        )
    if kind == "text":
        return NotAVideo("The file is text, not a playable video.")
    if kind == "video container":
        return NotAVideo(f"The video file is truncated or damaged, so it is not playable{why}.")
    if kind is not None and ("image" in kind or "audio" in kind or "Ogg" in kind):
        return NotAVideo(f"The file is {kind}, not a playable video.")
    return NotAVideo(f"The file is not a playable video: its format is not recognised{why}.")


@dataclass
class Probe:
    """The facts packaging needs about a source."""

    format_name: str
    ext: str
    duration_s: float
    width: int
    height: int
    rotation: int
    video_codec: str
    pix_fmt: str
    profile: str
    level: int
    frame_rate: float
    has_audio: bool
    audio_codec: str | None
    audio_profile: str | None = None  # AAC's LC or HE-AAC...: only LC is copied as it is
    # The subtitle streams, in order: {"codec", "language", "title"}; None for a probe
    # kept before subtitles were (the packager then asks ffprobe).
    subtitles: list[dict] | None = None

    @property
    def display_size(self) -> tuple[int, int]:
        """Width and height as shown (rotation applied)."""
        if self.rotation % 180:
            return self.height, self.width
        return self.width, self.height

    def summary(self) -> dict:
        return asdict(self)

    @classmethod
    def from_summary(cls, data: dict) -> Probe:
        """A probe kept in the catalogue (`summary()` of file-svc's probe at upload)."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


def _rotation(stream: dict) -> int:
    rotate = stream.get("tags", {}).get("rotate")
    if rotate is not None:
        try:
            return int(float(rotate)) % 360
        except ValueError:
            return 0
    for side in stream.get("side_data_list", []) or []:
        if "rotation" in side:
            try:
                return int(-float(side["rotation"])) % 360
            except (TypeError, ValueError):
                return 0
    return 0


def _rate(text: str | None) -> float:
    try:
        num, _, den = (text or "0/1").partition("/")
        return float(num) / float(den or 1) if float(den or 1) else 0.0
    except ValueError:
        return 0.0


def probe_file(path: str, budget: Budget) -> Probe:
    """Probe `path`; raise NotAVideo with a reason when it is not a playable video, and
    PictureTooLarge past the pixel budget (before any frame is decoded whole)."""
    info = _ffprobe_info(path, budget)
    fmt, streams = info.get("format", {}), info.get("streams", [])
    format_name = fmt.get("format_name", "")
    family = _container_family(path, format_name)
    video = _video_stream(streams)
    audio = next((s for s in streams if s.get("codec_type") == "audio"), None)
    width, height, duration = _picture_and_duration(fmt, video, budget)
    return Probe(
        format_name=format_name,
        ext=_extension(family, format_name, fmt, video),
        duration_s=round(duration, 3),
        width=width,
        height=height,
        rotation=_rotation(video),
        video_codec=video.get("codec_name", ""),
        pix_fmt=video.get("pix_fmt", ""),
        profile=video.get("profile", ""),
        level=int(video.get("level") or 0),
        frame_rate=_rate(video.get("avg_frame_rate")) or _rate(video.get("r_frame_rate")),
        has_audio=audio is not None,
        audio_codec=audio.get("codec_name") if audio else None,
        audio_profile=(audio.get("profile") or None) if audio else None,
        subtitles=subtitle_streams(streams),
    )


def _ffprobe_info(path: str, budget: Budget) -> dict:
    """ffprobe's format and streams; its refusal said in words."""
    try:
        return runner.ffprobe(["-show_format", "-show_streams"], path, budget)
    except ProbeFailed as exc:
        refusal = too_large_in(exc.stderr, budget)
        if refusal is not None:
            raise refusal from None
        log.info("ffprobe refused %s: %s", os.path.basename(path), exc.stderr.strip()[-300:])
        raise _refusal(path, in_words(exc.stderr)) from None
    except subprocess.TimeoutExpired:
        raise NotAVideo("The file could not be read in time, so it is not a playable video.") from None


def _container_family(path: str, format_name: str) -> str:
    """The accepted container family (a key of EXTENSIONS) ffprobe found, or NotAVideo."""
    family = next((k for k in EXTENSIONS if k in format_name.split(",")), None)
    if family is not None:
        return family
    kind = sniff(path)
    if kind is not None and kind != "video container":
        raise _refusal(path, format_name)
    raise NotAVideo(
        f"The container {format_name or 'unknown'!r} is not accepted, so it is not a playable video; "
        "upload mp4, mov, mkv, webm or avi."
    )


def _video_stream(streams: list[dict]) -> dict:
    """The first video stream that is not a cover picture, or NotAVideo."""
    video = next(
        (s for s in streams if s.get("codec_type") == "video" and not s.get("disposition", {}).get("attached_pic")),
        None,
    )
    if video is not None:
        return video
    if any(s.get("codec_type") == "audio" for s in streams):
        raise NotAVideo("The file is audio only (it has no video stream), not a playable video.")
    raise NotAVideo("The file has no video stream, so it is not a playable video.")


def _picture_and_duration(fmt: dict, video: dict, budget: Budget) -> tuple[int, int, float]:
    """Width, height and duration, checked: a size, within the pixel budget, a duration."""
    try:
        duration = float(fmt.get("duration") or video.get("duration") or 0)
    except ValueError:
        duration = 0.0
    width, height = int(video.get("width") or 0), int(video.get("height") or 0)
    if width <= 0 or height <= 0:
        raise NotAVideo("The video stream has no picture size, so it is not playable: the file is damaged.")
    if width * height > budget.max_source_pixels:
        raise too_large(width, height, budget)
    if duration <= 0:
        raise NotAVideo("The video has no duration, so it is not playable: the file is truncated or damaged.")
    return width, height, duration


def _extension(family: str, format_name: str, fmt: dict, video: dict) -> str:
    """The extension the original is stored under."""
    if "webm" in format_name and video.get("codec_name") in {"vp8", "vp9", "av1"}:
        return ".webm"
    if family == "mov" and str(fmt.get("tags", {}).get("major_brand", "")).strip().lower() == "qt":
        return ".mov"
    return EXTENSIONS[family]


MAX_SUBTITLE_STREAMS = 32  # more is not a film's subtitles but a hostile file: the rest are not read


def subtitle_streams(streams: list[dict]) -> list[dict]:
    """What packaging needs of an upload's subtitle streams (ffprobe's `streams`), in order:
    their ordinal among subtitle streams is their `-map 0:s:N`."""
    out = []
    for s in streams:
        if s.get("codec_type") != "subtitle":
            continue
        tags = s.get("tags") or {}
        out.append(
            {
                "codec": str(s.get("codec_name") or "unknown")[:40],
                "language": str(tags.get("language") or "und")[:40],
                "title": str(tags.get("title") or "")[:200] or None,
            }
        )
        if len(out) == MAX_SUBTITLE_STREAMS:
            break
    return out


def list_subtitle_streams(path: str, budget: Budget) -> list[dict]:
    """The subtitle streams of a source (for a probe kept before it listed them)."""
    return subtitle_streams(runner.ffprobe(["-show_streams"], path, budget).get("streams", []))


def audio_is_aac_lc(src: str, budget: Budget) -> bool:
    """AAC-LC can be copied as it is; HE-AAC would not match the master's `mp4a.40.2`."""
    info = runner.ffprobe(["-select_streams", "a:0", "-show_streams"], src, budget)
    streams = info.get("streams") or [{}]
    return streams[0].get("codec_name") == "aac" and streams[0].get("profile", "LC") == "LC"


END_WINDOW = 15.0  # seconds before the end read for the last packets (frames may be 10 s apart)
END_SLACK = 0.5  # how far the last packet may end before the stated duration


def check_complete(path: str, probe: Probe, budget: Budget) -> None:
    """The file holds what it says: its last packets end where its duration does (a file
    cut short ends early: refused), and a frame decodes at its start and at its last
    keyframe (one frame every 10 s is fine: the check does not look for a frame in
    the last half second, it looks for the last one)."""
    end, last_key = _data_end(_last_packets(path, probe, budget), probe)
    if probe.duration_s - end > END_SLACK:
        raise NotAVideo(
            f"The video file is truncated, so it is not playable: its data ends at {end:.1f} s of the "
            f"{probe.duration_s:.1f} s it says it lasts."
        )
    for at in (0.0, last_key):
        if at is not None:
            _decode_one_frame(path, at, budget)


def _last_packets(path: str, probe: Probe, budget: Budget) -> dict:
    """ffprobe's listing of the packets of the last END_WINDOW seconds, and the streams."""
    try:
        return runner.ffprobe(
            [
                "-read_intervals",
                f"{max(0.0, probe.duration_s - END_WINDOW):.3f}%",
                "-show_entries",
                "packet=stream_index,pts_time,duration_time,flags",
                "-show_entries",
                "stream=index,codec_type",
            ],
            path,
            budget,
        )
    except ProbeFailed as exc:
        raise _refusal(path, in_words(exc.stderr)) from None
    except subprocess.TimeoutExpired:
        raise NotAVideo("The file could not be read in time, so it is not a playable video.") from None


def _data_end(listing: dict, probe: Probe) -> tuple[float, float | None]:
    """Where the listed packets end, and the time of the last video keyframe among them."""
    video_index = next((s["index"] for s in listing.get("streams", []) if s.get("codec_type") == "video"), 0)
    frame = 1 / probe.frame_rate if probe.frame_rate > 0 else 1.0
    end, last_key = 0.0, None
    for packet in listing.get("packets", []):
        pts = _float(packet.get("pts_time"))
        if pts is None:
            continue
        is_video = packet.get("stream_index") == video_index
        duration = _float(packet.get("duration_time")) or (min(frame, 10.0) if is_video else 0.0)
        end = max(end, pts + duration)
        if is_video and "K" in str(packet.get("flags", "")):
            last_key = pts
    return end, last_key


def _float(value) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _decode_one_frame(path: str, at: float, budget: Budget) -> None:
    cmd = (
        runner.source_input(path, budget, ss=f"{at:.3f}")
        .output("-", map="0:v:0", vframes=1, f="framecrc")
        .global_args("-v", "error", "-nostdin", "-hide_banner")
        .compile(cmd="ffmpeg")
    )
    try:
        proc = runner.capture(cmd, budget)
    except subprocess.TimeoutExpired:
        raise NotAVideo("The video could not be decoded in time, so it is not playable.") from None
    frames = [ln for ln in proc.stdout.decode(errors="replace").splitlines() if ln and not ln.startswith("#")]
    if proc.returncode != 0 or not frames:
        stderr = proc.stderr.decode(errors="replace")
        refusal = too_large_in(stderr, budget)
        if refusal is not None:
            raise refusal
        log.info("decoding a frame of %s at %.3f s failed: %s", os.path.basename(path), at, stderr.strip()[-300:])
        reason = in_words(stderr)
        raise NotAVideo(
            "The video cannot be decoded, so it is not playable: the file is truncated or damaged"
            + (f" ({reason})." if reason else ".")
        )
