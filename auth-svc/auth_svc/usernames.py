"""What a username may be, and when two are too alike to both exist.

The rules (each refusal names the one broken):
- the character rules of video names (vs_common.names: no lone surrogate, no control or
  bidirectional control, something visible, no tower of combining marks), after NFC and
  trimming; 1 to 64 characters;
- nothing invisible inside (format characters such as U+200B, and every other default
  ignorable code point: "ali\\u200bce" would read as "alice"), no whitespace, no `:` (the
  users file's separator) and no `/` (a name is a URL path segment in the admin API);
  not only dots (`.` and `..` are path segments a client rewrites).

Two names are too alike when their skeletons are equal. The skeleton: NFKC and case
folding (fullwidth `ＡＬＩＣＥ` and `Alice` become `alice`), every character mapped to its
prototype in Unicode's confusables (UTS #39, as the confusable-homoglyphs package
ships them: Cyrillic `а` becomes Latin `a`, `0` becomes `o`, `m` becomes `rn`), then NFKC
and case folding again. The `users.skeleton` column is unique, so two look-alike names
cannot both be stored, however concurrent their creations.
"""

from __future__ import annotations

import functools
import unicodedata
from collections import defaultdict

from confusable_homoglyphs.confusables import confusables_data

from vs_common import names

USERNAME_MAX = 64
SKELETON_MAX = 400  # the column's width; no 64-character name comes near it
_DIRECTION_MARKS = "\u200e\u200f"  # the package wraps right-to-left glyphs in them

# Unicode's Default_Ignorable_Code_Point (DerivedCoreProperties.txt): shown as nothing.
_IGNORABLE = (
    (0x00AD, 0x00AD),
    (0x034F, 0x034F),
    (0x061C, 0x061C),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x206F),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0),
    (0xFFF0, 0xFFF8),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
)


class InvalidUsername(ValueError):
    """A name that breaks one of the rules above; the message says which."""


def _invisible(c: str) -> bool:
    code = ord(c)
    return unicodedata.category(c) == "Cf" or any(low <= code <= high for low, high in _IGNORABLE)


def clean_username(raw: object) -> str:
    """The name as stored (NFC, trimmed), or InvalidUsername saying which rule it breaks."""
    if not isinstance(raw, str):
        raise InvalidUsername("The username must be text.")
    try:
        name = names.clean_name(raw, "The username")
    except names.InvalidName as exc:
        raise InvalidUsername(str(exc)) from None
    if len(name) > USERNAME_MAX:
        raise InvalidUsername(f"The username is {len(name)} characters long; the limit is {USERNAME_MAX}.")
    for c in name:
        if c.isspace() or unicodedata.category(c) in ("Zs", "Zl", "Zp"):
            raise InvalidUsername(f"The username contains whitespace (U+{ord(c):04X}); use none.")
        if _invisible(c):
            raise InvalidUsername(
                f"The username contains an invisible character (U+{ord(c):04X}), which would make it look like "
                "another name."
            )
        if c in ":/":
            raise InvalidUsername(f"The username contains {c!r}, which is not allowed in names.")
    if set(name) == {"."}:
        raise InvalidUsername("The username cannot be only dots.")
    if len(skeleton(name)) > SKELETON_MAX:
        raise InvalidUsername("The username is too long once compared with the others; choose a shorter one.")
    return name


@functools.cache
def _prototypes() -> dict[str, str]:
    """Every confusable character -> the prototype of its group.

    The package keeps UTS #39's pairs (source -> prototype) in both directions, so each
    group is a star around its prototype: the member with several neighbours, else (a
    pair) the one that is several characters long (sources are single characters), else
    one that appears inside a prototype of several characters (those map to themselves),
    else the smaller. Which member of a pair is chosen does not change which names
    compare equal."""
    neighbours: dict[str, set[str]] = defaultdict(set)
    for key, entries in confusables_data.items():
        a = key.strip(_DIRECTION_MARKS)
        for entry in entries:
            b = entry["c"].strip(_DIRECTION_MARKS)
            if a and b and a != b:
                neighbours[a].add(b)
                neighbours[b].add(a)
    in_long = {c for node in neighbours if len(node) > 1 for c in node}
    mapping: dict[str, str] = {}
    for node, near in neighbours.items():
        if len(node) != 1 or len(near) != 1:
            continue  # a centre (a prototype: itself), or a prototype of several characters
        other = next(iter(near))
        if len(neighbours[other]) > 1:
            mapping[node] = other  # a source: to the centre of its star
        else:
            mapping[node] = min((node, other), key=lambda s: (-len(s), s not in in_long, s))
    return mapping


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())


def skeleton(name: str) -> str:
    """What `name` is compared as (module docstring): equal skeletons, look-alike names."""
    prototypes = _prototypes()
    decomposed = unicodedata.normalize("NFD", _fold(name))
    return _fold("".join(prototypes.get(c, c) for c in decomposed))
