"""Which renditions a source gets, and which one is copied.

A rendition is named by its `height`: the nominal height, the short side of its picture
(360 for 640x360 and for 360x640), the numbers of HLS_LADDER; its picture is
`frame_width` x `frame_height`. Every rendition plays in browsers: at most the ladder's
top or 2160 (whichever is lower), H.264 at a level of at most 5.2, at most 60 frames a
second (faster sources are encoded at an even fraction of their rate).
- Copied: 8-bit 4:2:0 H.264 without rotation, within those bounds, is repackaged, never
  re-encoded (its audio copied when AAC-LC, else re-encoded to AAC).
- Transcoded: everything else, to 8-bit 4:2:0 H.264 + AAC, keyframes at every segment
  boundary (every SEGMENT_SECONDS, or the copied rendition's) so that segments line up
  across renditions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from vs_common import layout

from .probe import Probe

SEGMENT_SECONDS = 4
COPYABLE_PIX_FMTS = {"yuv420p", "yuvj420p"}
MAX_HEIGHT = 2160  # the largest rendition, whatever the ladder says (4K UHD)
MAX_LEVEL = 52  # H.264 level 5.2: 2160p at 60 fps, what browsers' decoders take
MAX_FPS = 60.0


@dataclass(frozen=True)
class Rendition:
    """One rendition: its nominal `height`, its picture, and whether it is the source copied."""

    height: int
    frame_width: int
    frame_height: int
    copy: bool

    @property
    def folder(self) -> str:
        """Its folder under the video's `hls/` (`720p`)."""
        return layout.rendition_folder(self.height)


def output_fps(fps: float) -> float:
    """The frame rate a rendition is delivered at: the source's up to MAX_FPS, else an even
    fraction of it (120 -> 60, 100 -> 50, 1000 -> 58.8), so that motion stays regular."""
    if fps <= MAX_FPS or not math.isfinite(fps):
        return fps
    return fps / math.ceil(fps / MAX_FPS)


def top_height(ladder: tuple[int, ...]) -> int:
    """The largest rendition: the ladder's top, or 2160, whichever is lower (2160 with no ladder)."""
    return min(max(ladder), MAX_HEIGHT) if ladder else MAX_HEIGHT


def can_copy(probe: Probe, ladder: tuple[int, ...] = ()) -> bool:
    """H.264, 8-bit 4:2:0, no rotation, a level browsers decode, at most 60 fps, and no
    larger than the top rendition: repackaged as it is."""
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


def _frame_for(height: int, dw: int, dh: int) -> tuple[int, int]:
    """The picture of a rendition of `height` for a source shown at dw x dh."""
    if dw >= dh:
        return _even(dw * height / dh), height
    return height, _even(dh * height / dw)


def plan_renditions(probe: Probe, ladder: tuple[int, ...]) -> list[Rendition]:
    """Renditions from smallest to largest. The top one is the source's own size when
    that is no larger than `top_height` (copied when possible, else transcoded), else the
    top height; ladder heights below it are transcoded."""
    dw, dh = probe.display_size
    cap = top_height(ladder)
    if can_copy(probe, ladder):
        top = Rendition(min(dw, dh), dw, dh, copy=True)  # a copied one keeps its size, odd ones included
    elif min(dw, dh) <= cap:
        # An encoded rendition is even in both directions (4:2:0); its height is the short side delivered.
        tw, th = max(2, dw // 2 * 2), max(2, dh // 2 * 2)
        top = Rendition(min(tw, th), tw, th, copy=False)
    else:
        top = Rendition(cap, *_frame_for(cap, dw, dh), copy=False)
    renditions = [Rendition(h, *_frame_for(h, dw, dh), copy=False) for h in ladder if h < top.height]
    renditions.append(top)
    return renditions


def first_rendition(renditions: list[Rendition]) -> Rendition:
    """The one made before the video is `ready`: the copied one (the quickest to make),
    else the smallest."""
    return renditions[-1] if renditions[-1].copy else renditions[0]


def maxrate_kbps(rendition: Rendition, fps: float) -> int:
    """The peak bitrate an encoded rendition is held to (kbit/s): 0.1 bit per pixel per
    frame, at 15 to 60 frames a second, at least 300."""
    fps = min(max(fps or 30.0, 15.0), 60.0)
    return max(300, int(rendition.frame_width * rendition.frame_height * fps * 0.1 / 1000))
