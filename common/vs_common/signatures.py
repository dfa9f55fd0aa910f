"""What a file is, told by its first bytes: for refusals in words, and for refusing a
resumable upload that is plainly not a video before all of it has arrived."""

from __future__ import annotations

_IMAGES = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"BM", "a BMP image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
)
_AUDIO = (
    (b"ID3", "an MP3 audio file"),
    (b"fLaC", "a FLAC audio file"),
    (b"OggS", "an Ogg file"),
)
_ARCHIVES = (
    (b"PK\x03\x04", "a ZIP archive"),
    (b"PK\x05\x06", "a ZIP archive"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"%PDF", "a PDF document"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7z archive"),
)
_MATROSKA = b"\x1a\x45\xdf\xa3"
# QuickTime/MP4 top-level boxes a file may start with (ftyp for MP4; old .mov files may
# begin with any of the others).
_QUICKTIME_BOXES = {b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"pnot"}


def what_is(head: bytes) -> str | None:
    """ "video container", "empty", "playlist", "text", "a PNG image"..., or None."""
    if not head:
        return "empty"
    if head[4:8] in _QUICKTIME_BOXES or head.startswith(_MATROSKA) or (head[:4] == b"RIFF" and head[8:12] == b"AVI "):
        return "video container"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "a WebP image"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "a WAV audio file"
    for magic, what in _IMAGES + _AUDIO + _ARCHIVES:
        if head.startswith(magic):
            return what
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0 and head[1] & 0x06:
        return "an MP3 audio file"  # an MPEG audio frame header
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"#EXTM3U") or text.startswith(b"ffconcat"):
        return "playlist"
    if text[:15].lower().startswith((b"<!doctype html", b"<html")):
        return "an HTML page"
    decoded = ""
    for cut in range(4):  # the read may have split the last UTF-8 character
        try:
            decoded = head[: len(head) - cut].decode("utf-8")
            break
        except UnicodeDecodeError:
            continue
    if decoded and sum(c.isprintable() or c in "\r\n\t" for c in decoded) >= 0.95 * len(decoded):
        return "text"
    return None


def plainly_not_a_video(head: bytes) -> str | None:
    """A refusal in words when the first bytes are not those of an accepted container
    (MP4/MOV, Matroska/WebM, AVI); None when they are."""
    kind = what_is(head)
    if kind == "video container":
        return None
    if kind is None:
        return "The file is not a playable video: its first bytes are not those of an MP4, MOV, MKV, WebM or AVI file."
    if kind == "empty":
        return "The file is empty: it is not a playable video."
    if kind == "text":
        return "The file is text, not a playable video."
    article = "" if kind.startswith(("a ", "an ")) else "a "
    return f"The file is {article}{kind}, not a playable video."
