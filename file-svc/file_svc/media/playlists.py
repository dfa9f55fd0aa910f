"""The text of playlists: the master (written from the catalogue), a caption track's media
playlist, and what is read back from a rendition's media playlist (its segment
boundaries) or folder (its files, in the order they are published)."""

from __future__ import annotations

import math
from pathlib import Path

from vs_common import layout

SUBTITLES_GROUP = "subs"

# The MPEG-TS time (90 kHz) at which every segment we make starts the source's time 0:
# ffmpeg's mpegts muxer offsets timestamps by twice its max_delay (0.7 s by default; no
# run here sets -muxdelay or -copyts), after ffmpeg has made the input start at 0. A
# copied rendition's first segment starts there (its audio at 1.400 s, its video a frame
# of B-frame delay later); an encoded one a few tens of milliseconds later (the AAC
# encoder's priming). A WebVTT track's X-TIMESTAMP-MAP maps its 00:00:00.000 here, so
# that a cue at 1 s shows 1 s into the source whatever the first packet's time is
# (tests/captions check the segments' start against this). Being the same for every
# video, it lets a track be written once, before or after its video is packaged.
TS_START_PTS = 126000

# H.264 profiles as CODECS names them: profile_idc and the constraint flags.
CODEC_PROFILES = {
    "Baseline": (66, 0),
    "Constrained Baseline": (66, 0xE0),
    "Main": (77, 0x40),
    "Extended": (88, 0),
    "High": (100, 0),
}


def avc_codec_string(profile: str, level: int) -> str:
    """The CODECS name of an H.264 stream (`avc1.640028`: High at level 4.0)."""
    idc, constraints = CODEC_PROFILES.get(profile, (100, 0))
    return f"avc1.{idc:02x}{constraints:02x}{max(level, 10):02x}"


def master_playlist(renditions: list[dict], captions: list[dict] | tuple = ()) -> str:
    """The master playlist naming each ready rendition (catalogue rows: height,
    frame_width, frame_height, bandwidth, average_bandwidth, codecs, frame_rate) by a
    relative URL, best first, and each caption track (rows: language, label, is_default,
    file_name) as a SUBTITLES rendition of one group that every variant points at. Labels
    and tags are checked on the way in (vs_common.captions: no double quote, no line
    break), so they quote as is."""
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


def parse_master(text: str) -> dict[int, dict]:
    """{height: attributes} of each `#EXT-X-STREAM-INF` + `<height>p/index.m3u8` pair."""
    suffix = "p/" + layout.MEDIA_PLAYLIST
    out: dict[int, dict] = {}
    attrs: dict | None = None
    for line in text.splitlines():
        if line.startswith("#EXT-X-STREAM-INF:"):
            attrs = _attributes(line.split(":", 1)[1])
        elif attrs is not None and line.endswith(suffix) and line[: -len(suffix)].isdigit():
            width, _, height = attrs.get("RESOLUTION", "0x0").partition("x")
            out[int(line[: -len(suffix)])] = {
                "frame_width": int(width),
                "frame_height": int(height),
                "bandwidth": int(attrs.get("BANDWIDTH", 0)),
                "average_bandwidth": int(attrs.get("AVERAGE-BANDWIDTH", attrs.get("BANDWIDTH", 0))),
                "codecs": attrs.get("CODECS", ""),
                "frame_rate": float(attrs["FRAME-RATE"]) if "FRAME-RATE" in attrs else None,
            }
            attrs = None
    return out


def _attributes(text: str) -> dict[str, str]:
    """An HLS attribute list (`A=1,B="x,y"`) as a dict, quotes removed."""
    out, key, value, quoted, reading_key = {}, "", "", False, True
    for ch in text + ",":
        if reading_key:
            if ch == "=":
                reading_key = False
            else:
                key += ch
        elif ch == '"':
            quoted = not quoted
        elif ch == "," and not quoted:
            out[key.strip()] = value
            key, value, reading_key = "", "", True
        else:
            value += ch
    return out


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


def segment_boundaries(playlist: Path) -> list[float]:
    """Start times of every segment after the first, from a media playlist's EXTINF."""
    times, t = [], 0.0
    for line in playlist.read_text().splitlines():
        if line.startswith("#EXTINF:"):
            t += float(line[8:].split(",")[0])
            times.append(round(t, 3))
    return times[:-1]


def rendition_files(out_dir: Path) -> list[Path]:
    """A made rendition's files in publishing order: its segments first, then the media
    playlist that names them (so a reader never sees a dangling name)."""
    segments = sorted(p for p in out_dir.iterdir() if layout.is_segment_file(p.name))
    return [*segments, out_dir / layout.MEDIA_PLAYLIST]
