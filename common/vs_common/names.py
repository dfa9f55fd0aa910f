"""What a video name may be: any Unicode a person would type, nothing that breaks or
spoofs. Each refusal says which rule the name broke.

- a lone UTF-16 surrogate (from JSON's `\\ud800`) or bytes that are not UTF-8: refused;
- normalised to NFC, then trimmed: 1 to 200 characters;
- control characters (C0, DEL, C1; a tab is allowed) refused;
- bidirectional embedding, override and isolate controls (U+202A-U+202E, U+2066-U+2069)
  refused: they make "evil\\u202egpj.exe" read as "evilexe.jpg";
- at least one visible character (not only spaces, zero-width and format characters,
  fillers);
- at most MAX_MARKS combining marks on one character (no "Zalgo" towers).
"""

from __future__ import annotations

import unicodedata

NAME_MAX = 200
MAX_MARKS = 4
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Letters and symbols that show nothing: the Hangul fillers and the blank braille cell.
_BLANK = frozenset("\u115f\u1160\u3164\uffa0\u2800")
_INVISIBLE_CATEGORIES = {"Zs", "Zl", "Zp", "Cc", "Cf", "Mn", "Me", "Mc"}


class InvalidName(ValueError):
    """A name that breaks one of the rules above; the message says which."""


def decode_utf8(raw: bytes, what: str = "The video name") -> str:
    """Bytes from the wire as text; InvalidName if they are not UTF-8."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidName(f"{what} is not valid UTF-8 text.") from None


def check_characters(text: str, what: str = "The video name") -> None:
    """InvalidName if `text` holds a lone surrogate, a control character (a tab is allowed)
    or a bidirectional control: text that breaks a line, a log or a terminal, or spoofs.
    For any text shown to people, a name or not (a file name kept beside a name given)."""
    for c in text:
        if "\ud800" <= c <= "\udfff":
            raise InvalidName(f"{what} contains a lone surrogate (U+D800-U+DFFF), which is not a character.")
        if unicodedata.category(c) == "Cc" and c != "\t":
            raise InvalidName(f"{what} contains a control character (U+{ord(c):04X}).")
        if c in BIDI_CONTROLS:
            raise InvalidName(
                f"{what} contains a bidirectional control character (U+{ord(c):04X}), which can make it "
                "read differently from what it is."
            )


def clean_name(raw: str | None, what: str = "The video name") -> str:
    """The name as stored (NFC, trimmed), or InvalidName saying which rule it breaks."""
    raw = raw or ""
    if any("\ud800" <= c <= "\udfff" for c in raw):
        raise InvalidName(f"{what} contains a lone surrogate (U+D800-U+DFFF), which is not a character.")
    name = unicodedata.normalize("NFC", raw).strip()
    if not name:
        raise InvalidName(f"{what} is empty.")
    if len(name) > NAME_MAX:
        raise InvalidName(f"{what} is {len(name)} characters long; the limit is {NAME_MAX}.")
    check_characters(name, what)
    if all(unicodedata.category(c) in _INVISIBLE_CATEGORIES or c in _BLANK for c in name):
        raise InvalidName(f"{what} has no visible character (only spaces, invisible or combining characters).")
    run = 0
    for c in name:
        run = run + 1 if unicodedata.combining(c) or unicodedata.category(c) in ("Mn", "Me") else 0
        if run > MAX_MARKS:
            raise InvalidName(f"{what} has more than {MAX_MARKS} combining marks on one character.")
    return name


DESCRIPTION_MAX = 5000


def clean_description(raw: str) -> str:
    """A video's description as stored: plain text, NFC, line ends as `\\n`, trimmed;
    at most DESCRIPTION_MAX characters; lines and tabs allowed, any other control or a
    bidirectional control refused as in a name (InvalidName says which). Empty is
    allowed: no description."""
    if any("\ud800" <= c <= "\udfff" for c in raw):
        raise InvalidName("The description contains a lone surrogate (U+D800-U+DFFF), which is not a character.")
    text = unicodedata.normalize("NFC", raw).replace("\r\n", "\n").strip()
    if len(text) > DESCRIPTION_MAX:
        raise InvalidName(f"The description is {len(text)} characters long; the limit is {DESCRIPTION_MAX}.")
    for line in text.split("\n"):
        check_characters(line, "The description")
    return text
