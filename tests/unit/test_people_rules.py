"""The rules of people, rule by rule (auth-svc/auth_svc/usernames.py, passwords.py): what
a username may be, when two are too alike (the confusable skeleton), what a new password
must be; and what each owner stores (vs_common.tables.videos.usage), on SQLite. Through
the live admin API: tests/people/."""

from __future__ import annotations

import sys

import pytest

from harness import ROOT, embedded_settings

sys.path.insert(0, str(ROOT / "auth-svc"))
from auth_svc.passwords import weakness  # noqa: E402
from auth_svc.usernames import InvalidUsername, clean_username, skeleton  # noqa: E402

pytestmark = pytest.mark.fast

KEPT = [  # (as sent, as stored)
    ("alice", "alice"),
    ("  bob\n", "bob"),
    ("Cafe\u0301", "Caf\u00e9"),  # NFC
    ("jürgen.m", "jürgen.m"),
    ("日本語", "日本語"),
    ("o'brien-2", "o'brien-2"),
    ("a" * 64, "a" * 64),
]
REFUSED = [  # (as sent, what the message says)
    ("", "is empty"),
    ("a" * 65, "65 characters long; the limit is 64"),
    ("evil\u202eadmin", "bidirectional control character (U+202E)"),
    ("al\u2066ice", "bidirectional control character (U+2066)"),
    ("ali\u200bce", "invisible character (U+200B)"),
    ("ali\u00adce", "invisible character (U+00AD)"),  # soft hyphen
    ("ali\u2060ce", "invisible character (U+2060)"),  # word joiner
    ("alice\ufe0f", "invisible character (U+FE0F)"),  # variation selector
    ("al\u3164ice", "invisible character (U+3164)"),  # Hangul filler
    ("\u200b\u200b", "no visible character"),
    ("two words", "whitespace (U+0020)"),
    ("tab\there", "whitespace (U+0009)"),
    ("no\u00a0break", "whitespace (U+00A0)"),
    ("ideo\u3000space", "whitespace (U+3000)"),
    ("a:b", "':'"),
    ("a/b", "'/'"),
    ("..", "only dots"),
    ("bell\x07", "control character (U+0007)"),
    ("\ud800", "lone surrogate"),
    ("x" + "\u0301" * 5, "more than 4 combining marks"),
    ("\ufdfa" * 30, "too long once compared"),  # one character, 18 once compared
    (None, "must be text"),
    (42, "must be text"),
]
LOOK_ALIKE = [  # pairs that must share a skeleton
    ("alice", "Alice"),
    ("alice", "ALICE"),
    ("alice", "\u0430lice"),  # Cyrillic а
    ("alice", "ali\u0441e"),  # Cyrillic с
    ("alice", "\uff41\uff4c\uff49\uff43\uff45"),  # fullwidth
    ("alice", "\uff21\uff2c\uff29\uff23\uff25"),  # fullwidth capitals
    ("alice", "\U0001d41a\U0001d425\U0001d422\U0001d41c\U0001d41e"),  # mathematical bold
    ("paypal", "\u0440\u0430\u0443\u0440\u0430l"),  # all Cyrillic but the l
    ("bob", "b\u03bfb"),  # Greek omicron
    ("bob0", "bobo"),  # zero and o
    ("carl1", "carll"),  # one and l
    ("rn", "m"),  # r n and m
    ("strasse", "Straße"),  # case folding
    ("Caf\u00e9", "Cafe\u0301"),  # composed or not
]
DISTINCT = [("alice", "alicia"), ("bob", "rob"), ("dora", "dara"), ("日本", "日本語"), ("x1", "x2")]


@pytest.mark.parametrize(("raw", "stored"), KEPT)
def test_username_kept(raw, stored):
    assert clean_username(raw) == stored


@pytest.mark.parametrize(("raw", "why"), REFUSED)
def test_username_refused_saying_why(raw, why):
    with pytest.raises(InvalidUsername) as caught:
        clean_username(raw)
    assert why in str(caught.value)


@pytest.mark.parametrize(("a", "b"), LOOK_ALIKE)
def test_look_alikes_share_a_skeleton(a, b):
    assert skeleton(a) == skeleton(b)


@pytest.mark.parametrize(("a", "b"), DISTINCT)
def test_different_names_differ(a, b):
    assert skeleton(a) != skeleton(b)


def test_the_skeleton_is_stable():
    """A skeleton's own skeleton is itself: comparing twice cannot drift."""
    for name in [n for pair in LOOK_ALIKE for n in pair]:
        assert skeleton(skeleton(name)) == skeleton(name), name


@pytest.mark.parametrize(
    ("password", "username", "why"),
    [
        ("", "dora", "Choose a password"),
        (None, "dora", "Choose a password"),
        ("short", "dora", "at least 10 characters (this password has 5)"),
        ("x" * 1025, "dora", "at most 1024 characters"),
        ("password123", "dora", "This is a very common password."),
        ("qwertyuiop12", "dora", "commonly used password"),
        ("abcabcabcabc", "dora", 'Repeats like "abcabcabc"'),
        ("aliceliddell1", "aliceliddell", "too easy to guess"),  # weak for her, strong for anyone else
        ("pass\ud800word12", "dora", "lone surrogate"),
    ],
)
def test_weak_passwords_refused_saying_why(password, username, why):
    reason = weakness(password, username)
    assert reason is not None and why in reason, reason


def test_strong_passwords_accepted():
    assert weakness("aliceliddell1", "bob") is None  # the name is what makes it weak for her
    for password in ("correct horse battery staple", "blue-river-lamp-42", "kV9#mQ2!zLp", "é" * 3 + "-Zürich-Tram-9"):
        assert weakness(password, "dora") is None, password
    assert weakness("correct horse battery staple " * 30, "dora") is None  # longer than zxcvbn reads


def test_usage_counts_originals_and_renditions_per_owner(tmp_path):
    """bytes = originals + renditions' stored (or reserved) bytes, per owner; videos =
    rows, whatever their status."""
    from vs_common import catalogue, tables
    from vs_common.db import Database
    from vs_common.schema import migrate

    settings = embedded_settings(tmp_path, "usage")
    db = Database(settings)
    migrate(db)
    for vid, owner, size in (("v1aaaaaaaaaa", "dora", 1000), ("v2aaaaaaaaaa", "dora", 500), ("v3aaaaaaaaaa", "eve", 7)):
        catalogue.insert_video(
            db,
            settings,
            video_id=vid,
            name=vid,
            owner=owner,
            size_bytes=size,
            original_key=f"videos/{vid}/original.mp4",
        )
    with db.transaction() as cur:
        tables.renditions.plan(cur, "v1aaaaaaaaaa", [(360, 640, 360, False), (720, 1280, 720, False)])
        tables.renditions.reserve_output(cur, "v1aaaaaaaaaa", 360, 300, 10**9)
        tables.renditions.reserve_output(cur, "v1aaaaaaaaaa", 720, 200, 10**9)
    assert tables.videos.usage(db, "dora") == (1000 + 500 + 300 + 200, 2)
    assert tables.videos.usage(db, "eve") == (7, 1)
    assert tables.videos.usage(db, "nobody") == (0, 0)
    with db.transaction() as cur:  # the same inside a caller's transaction
        assert tables.videos.usage(cur, "dora") == (2000, 2)
    assert tables.videos.usage_by_owner(db) == {"dora": (2000, 2), "eve": (7, 1)}
