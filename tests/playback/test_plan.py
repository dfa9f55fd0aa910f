"""Which renditions a source gets (no services needed): `planning.plan_renditions` and the
master's CODECS."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "file-svc"))

from file_svc.media import planning, playlists  # noqa: E402
from file_svc.media.probe import Probe  # noqa: E402

pytestmark = pytest.mark.fast

LADDER = (360, 720, 1080)


def probe(width, height, codec="h264", pix_fmt="yuv420p", rotation=0, profile="High", level=40) -> Probe:
    return Probe(
        format_name="mov,mp4",
        ext=".mp4",
        duration_s=10.0,
        width=width,
        height=height,
        rotation=rotation,
        video_codec=codec,
        pix_fmt=pix_fmt,
        profile=profile,
        level=level,
        frame_rate=30.0,
        has_audio=True,
        audio_codec="aac",
    )


def plan(p: Probe, ladder=LADDER) -> list[tuple[int, int, int, bool]]:
    return [(r.height, r.frame_width, r.frame_height, r.copy) for r in planning.plan_renditions(p, ladder)]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        # 8-bit 4:2:0 H.264: its own size copied, the ladder below it transcoded.
        (probe(1920, 1080), [(360, 640, 360, False), (720, 1280, 720, False), (1080, 1920, 1080, True)]),
        (probe(1280, 720), [(360, 640, 360, False), (720, 1280, 720, True)]),
        # Between two ladder heights; a height equal to the source's is not repeated.
        (probe(1600, 900), [(360, 640, 360, False), (720, 1280, 720, False), (900, 1600, 900, True)]),
        # Anything else: the top rendition transcoded too.
        (probe(1920, 1080, codec="vp9"), [(360, 640, 360, False), (720, 1280, 720, False), (1080, 1920, 1080, False)]),
        (probe(1280, 720, pix_fmt="yuv420p10le", profile="High 10"), [(360, 640, 360, False), (720, 1280, 720, False)]),
        (probe(1280, 720, pix_fmt="yuv444p"), [(360, 640, 360, False), (720, 1280, 720, False)]),
        # Rotated: transcoded, upright, taller than wide; labelled by the short side.
        (probe(1920, 1080, rotation=90), [(360, 360, 640, False), (720, 720, 1280, False), (1080, 1080, 1920, False)]),
        (probe(1280, 720, rotation=180), [(360, 640, 360, False), (720, 1280, 720, False)]),
        # Portrait by its pixels: copied as it is.
        (probe(720, 1280), [(360, 360, 640, False), (720, 720, 1280, True)]),
        # Odd sizes: copied as they are, or made even when encoded.
        (probe(321, 181, codec="vp9"), [(180, 320, 180, False)]),
        (probe(853, 479, codec="mpeg4"), [(360, 642, 360, False), (478, 852, 478, False)]),
        # Smaller than every ladder height: one rendition.
        (probe(320, 240), [(240, 320, 240, True)]),
    ],
)
def test_plan_renditions(source, expected):
    assert plan(source) == expected


def test_no_ladder_means_one_rendition():
    assert plan(probe(1920, 1080), ladder=()) == [(1080, 1920, 1080, True)]


def test_codec_strings():
    assert playlists.avc_codec_string("High", 40) == "avc1.640028"
    assert playlists.avc_codec_string("Main", 31) == "avc1.4d401f"
    assert playlists.avc_codec_string("Constrained Baseline", 30) == "avc1.42e01e"
