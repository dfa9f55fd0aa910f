"""The rule every new password meets (an invitation's, a reset's, a change on the account
page): at least MIN_LENGTH characters, at most people.MAX_PASSWORD, and a zxcvbn score of
at least MIN_SCORE (a guess takes over 10^8 tries), the username counting as a known
word so that "alice2024alice" is weak for alice. zxcvbn reads at most its first 72
characters: a longer password is estimated by those, which never makes it look stronger
than it is.
"""

from __future__ import annotations

from zxcvbn import zxcvbn

from .people import MAX_PASSWORD

MIN_LENGTH = 10
MIN_SCORE = 3
ESTIMATED = 72  # zxcvbn's own limit on what it reads


def check_new_password(password: str, username: str) -> str | None:
    """None when `password` may be used by `username`; else the reason, for the person."""
    if any("\ud800" <= c <= "\udfff" for c in password):
        return "The password holds a lone surrogate (U+D800-U+DFFF), which is not a character."
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters (this one has {len(password)})."
    if len(password) > MAX_PASSWORD:
        return f"Use at most {MAX_PASSWORD} characters."
    result = zxcvbn(password[:ESTIMATED], user_inputs=[username])
    if result["score"] >= MIN_SCORE:
        return None
    feedback = result["feedback"]
    hints = [feedback.get("warning") or "This password is too easy to guess.", *feedback.get("suggestions", [])]
    return " ".join(h.strip() for h in hints if h and h.strip())
