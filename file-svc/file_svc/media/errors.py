"""What goes wrong with media, and how it is said: in words of ours, never ffmpeg's text,
paths or versions (its output is read here, kept for the logs)."""

from __future__ import annotations

import re

from .budget import Budget


class NotAVideo(ValueError):
    """The file is not a playable video; the message says why, in words."""

    code = "not_a_video"


class PictureTooLarge(NotAVideo):
    """The picture is larger than MAX_SOURCE_PIXELS."""

    code = "picture_too_large"


class ProbeFailed(RuntimeError):
    """ffprobe exited with an error; `stderr` is its output (for logs and in_words only)."""

    def __init__(self, stderr: str):
        super().__init__(stderr[-300:])
        self.stderr = stderr


class PackagingError(RuntimeError):
    """ffmpeg failed; the message carries its last error line."""


class Cancelled(RuntimeError):
    """The job lost its lease (or the video was deleted) while ffmpeg ran."""


class OverBudget(PackagingError):
    """The output would pass what the video may store."""

    def __init__(self, allowed: int, budget: Budget):
        super().__init__(
            f"Packaging stopped: this video would store more than {allowed / 1e6:.1f} MB, its budget "
            f"({budget.output_ratio:g} times its original plus {budget.output_mb} MB)."
        )


# What ffmpeg's reasons mean, in words (its own text is never shown: it may name paths).
_REASONS = (
    ("moov atom not found", "its index (the moov atom) is missing"),
    ("partial file", "it ends before its data does"),
    ("EBML header parsing failed", "its Matroska header is damaged"),
    ("Invalid data found when processing input", "its data cannot be read as a video"),
    ("could not find codec parameters", "its video stream cannot be read"),
)


def in_words(stderr: str) -> str:
    """ffmpeg's error output as a short reason of ours ("" if none applies)."""
    for needle, words in _REASONS:
        if needle.lower() in stderr.lower():
            return words
    return ""


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


_TOO_MANY_PIXELS = re.compile(r"Picture size (\d+)x(\d+) exceeds")


def too_large(width: int, height: int, budget: Budget) -> PictureTooLarge:
    return PictureTooLarge(
        f"The video's picture is {width}x{height} pixels ({width * height / 1e6:.1f} megapixels); the largest "
        f"accepted is {budget.describe_pixels()}."
    )


def too_large_in(stderr: str, budget: Budget) -> PictureTooLarge | None:
    """The refusal of a picture past the budget, if a decoder said so in `stderr`."""
    size = _TOO_MANY_PIXELS.search(stderr)
    return too_large(int(size.group(1)), int(size.group(2)), budget) if size else None
