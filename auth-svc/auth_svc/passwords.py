"""The rules of every new password (an invitation's, a reset's, a change on the account
page): at least MIN_LENGTH characters, at most people.MAX_PASSWORD (what the login
accepts), and a strength of at least MIN_SCORE of 4 by zxcvbn's estimate, with the
username among the words it knows (so `alice2024` is weak for alice). A refusal says
why, in zxcvbn's words (its warning and suggestions).

zxcvbn reads the first ZXCVBN_MAX characters (its own limit, which keeps its time
bounded): a password longer than that is judged by its start.
"""

from __future__ import annotations

from zxcvbn import zxcvbn

from .people import MAX_PASSWORD

MIN_LENGTH = 10
MIN_SCORE = 3
ZXCVBN_MAX = 72


def weakness(password: object, username: str) -> str | None:
    """Why `password` may not be chosen by `username`, or None when it may."""
    if not isinstance(password, str) or not password:
        return "Choose a password."
    if any("\ud800" <= c <= "\udfff" for c in password):
        return "The password contains a lone surrogate (U+D800-U+DFFF), which is not a character."
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters (this password has {len(password)})."
    if len(password) > MAX_PASSWORD:
        return f"Use at most {MAX_PASSWORD} characters (this password has {len(password)})."
    result = zxcvbn(password[:ZXCVBN_MAX], user_inputs=[username] if username else [], max_length=ZXCVBN_MAX)
    if result["score"] >= MIN_SCORE:
        return None
    feedback = result["feedback"]
    reason = " ".join(part for part in [feedback.get("warning") or "", *feedback.get("suggestions", [])] if part)
    return "This password is too easy to guess. " + (reason or "Add another word or two. Uncommon words are better.")
