"""Budgets for hostile media: what a source may be, what one ffmpeg or ffprobe may use,
and what a video may store. Every limit is a documented variable (.env.example).

- Pixels: a source whose picture is larger than MAX_SOURCE_PIXELS (default 7680x4320, 8K
  UHD) is refused from the probe, before any frame is decoded; every decoder is also told
  that limit (`-max_pixels`), so a stream that grows mid-way is stopped, not obeyed.
- Memory: every ffmpeg and ffprobe runs with at most FFMPEG_MEMORY_MB of address space
  (RLIMIT_AS), FFMPEG_THREADS threads (no more than the cores), and glibc's malloc arenas
  capped at 2 (runner.py), so one hostile upload cannot starve the others. The largest
  accepted job measured here (an 8K source to a 2160p rendition, 4 threads) peaked at
  1.34 GB resident, 1.9 GB of address space: the default of 3072 leaves room for it.
- Output: what a video stores (segments, playlists) stays within OUTPUT_BUDGET_RATIO times
  its original plus OUTPUT_BUDGET_MB (which also covers the poster and thumbnails, a few
  hundred KB); an encode is stopped as soon as its output passes what is left.

A Budget is a value: file-svc and the packager build one from their settings at start
and pass it to every run (no module holds one).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from vs_common.settings import MiB, Settings


@dataclass(frozen=True)
class Budget:
    max_source_pixels: int = 7680 * 4320
    memory_mb: int = 3072
    threads: int = 4
    output_ratio: float = 10.0
    output_mb: int = 64

    @classmethod
    def from_settings(cls, settings: Settings) -> Budget:
        return cls(
            max_source_pixels=settings.max_source_pixels,
            memory_mb=settings.ffmpeg_memory_mb,
            threads=settings.ffmpeg_threads,
            output_ratio=settings.output_budget_ratio,
            output_mb=settings.output_budget_mb,
        )

    def output_bytes(self, original_bytes: int) -> int:
        """The most a video of `original_bytes` may store."""
        return int(self.output_ratio * original_bytes) + self.output_mb * MiB

    def thread_count(self) -> int:
        """FFMPEG_THREADS, or fewer on a machine with fewer cores (each thread holds frames)."""
        return max(1, min(self.threads, os.cpu_count() or 1))

    def decoder_options(self) -> dict:
        """Input options of every ffmpeg and ffprobe: the pixel limit and the thread count."""
        return {"max_pixels": str(self.max_source_pixels), "threads": str(self.thread_count())}

    def describe_pixels(self) -> str:
        return f"{self.max_source_pixels / 1e6:.1f} megapixels ({_named(self.max_source_pixels)})"


def _named(pixels: int) -> str:
    for w, h, name in ((7680, 4320, "8K UHD"), (3840, 2160, "4K UHD"), (1920, 1080, "Full HD")):
        if pixels == w * h:
            return f"{w}x{h}, {name}"
    return f"{pixels} pixels"
