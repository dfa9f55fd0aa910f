"""What the CLI prints, and how it fails.

Servers choose much of what it prints (ids, messages, video names, status words, URLs):
everything goes through `shown`, so that a hostile server cannot drive the terminal
(move the cursor, clear the screen, set the window title, hide or reorder text with
bidi controls). A failure is `Failed`, one line for the user, never a traceback.
"""

from __future__ import annotations

import unicodedata

# Bidi embeddings, overrides, isolates and marks: they reorder what follows on the line.
BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# C0, DEL and C1 (Cc); line and paragraph separators (Zl, Zp) that some terminals break
# lines at; lone surrogates (Cs: a file name that is not UTF-8) that stdout cannot encode.
ESCAPED_CATEGORIES = frozenset({"Cc", "Zl", "Zp", "Cs"})
MAX_TEXT = 300  # a server's message is shown up to this many characters


class Failed(RuntimeError):
    """What the server said (or why it could not be reached, or why its answer cannot be
    believed), for the user: one line, printed escaped."""


def _escape(char: str) -> str:
    if char in BIDI or unicodedata.category(char) in ESCAPED_CATEGORIES:
        code = ord(char)
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
    return char


def shown(text: str) -> str:
    """`text` with every control character escaped as Python writes it (ESC as `\\x1b`,
    U+202E as `\\u202e`): safe to print to a terminal, and on one line."""
    return "".join(_escape(c) for c in text)


def clipped(text: str) -> str:
    """A server's message, cut to MAX_TEXT characters (a page of HTML is no message)."""
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT] + "..."
