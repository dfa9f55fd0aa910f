"""What a video name may be (common/vs_common/names.py), rule by rule: each name as
stored, or refused saying which rule it breaks; and the same through the API that takes
a name as JSON (streaming-svc's rename, on Flask's test client), where a refused name
leaves the video's name as it was. Names through uploads: tests/upload/test_names.py and
the tus table (tests/unit/test_tus_rules.py)."""

from __future__ import annotations

import pytest

from vs_common.names import InvalidName, clean_name

from .in_process import video_of

pytestmark = pytest.mark.fast

KEPT = [  # (as sent, as stored)
    ("Holiday", "Holiday"),
    ("  trimmed\n ", "trimmed"),
    ("Cafe\u0301", "Caf\u00e9"),  # NFC: e + combining acute becomes é
    ("日本語のビデオ", "日本語のビデオ"),
    ("🎬 a film", "🎬 a film"),
    ("a\tb", "a\tb"),  # a tab is allowed
    ("a" * 200, "a" * 200),
    (" " + "a" * 200 + " ", "a" * 200),  # trimmed first, then counted
    ("x" + "\u0301" * 4, "x" + "\u0301" * 4),  # four marks on one letter (x has no precomposed form)
    ("a" + "\u0301" * 5, "\u00e1" + "\u0301" * 4),  # normalised first: á and four marks
    ("x\u200by", "x\u200by"),  # a zero-width space beside visible characters
]
REFUSED = [  # (as sent, what the message says)
    ("", "is empty"),
    ("   ", "is empty"),
    ("a" * 201, "201 characters long; the limit is 200"),
    ("\ud800", "lone surrogate"),
    ("bell\x07", "control character (U+0007)"),
    ("c1\x85c1", "control character (U+0085)"),
    ("del\x7f", "control character (U+007F)"),
    ("evil\u202egpj.exe", "bidirectional control character (U+202E)"),
    ("right\u2067to\u2069left", "bidirectional control character (U+2067)"),
    ("\u200b\u200b\u200b", "no visible character"),
    ("\u3164\u3164", "no visible character"),  # Hangul fillers
    ("\u2800", "no visible character"),  # the blank braille cell
    ("\u0301\u0301", "no visible character"),  # marks alone
    ("x" + "\u0301" * 5, "more than 4 combining marks"),
    ("a" + "\u0301" * 6, "more than 4 combining marks"),  # NFC makes á of the first: five left
]


@pytest.mark.parametrize(("raw", "stored"), KEPT)
def test_a_good_name_is_stored_normalised(raw, stored):
    assert clean_name(raw) == stored


@pytest.mark.parametrize(("raw", "rule"), REFUSED)
def test_a_bad_name_is_refused_saying_which_rule(raw, rule):
    with pytest.raises(InvalidName) as err:
        clean_name(raw)
    assert rule in str(err.value)


def _rename(client, token: str, video_id: str, name: str):
    return client.patch(
        f"/api/videos/{video_id}", json={"video_name": name}, headers={"Authorization": f"Bearer {token}"}
    )


@pytest.mark.parametrize(("raw", "stored"), KEPT)
def test_a_rename_stores_the_name_normalised(streaming_app, tokens, raw, stored):
    client = streaming_app.test_client()
    video_id = video_of(streaming_app, "alice")
    resp = _rename(client, tokens["alice"], video_id, raw)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.get_json()["video_name"] == stored
    assert (
        client.get(f"/api/videos/{video_id}", headers={"Authorization": f"Bearer {tokens['alice']}"}).get_json()[
            "video_name"
        ]
        == stored
    )


@pytest.mark.parametrize(("raw", "rule"), REFUSED)
def test_a_rename_to_a_bad_name_is_400_and_changes_nothing(streaming_app, tokens, raw, rule):
    client = streaming_app.test_client()
    video_id = video_of(streaming_app, "alice", name="Before")
    resp = _rename(client, tokens["alice"], video_id, raw)
    assert resp.status_code == 400
    assert resp.get_json()["error"] == "invalid_name" and rule in resp.get_json()["message"], resp.get_json()
    row = streaming_app.extensions["db"].query_one("SELECT video_name FROM videos WHERE id = ?", (video_id,))
    assert row["video_name"] == "Before"


def test_only_the_owner_renames_and_only_with_a_string(streaming_app, tokens):
    client = streaming_app.test_client()
    video_id = video_of(streaming_app, "alice", name="Before")
    assert _rename(client, tokens["bob"], video_id, "Bob's now").status_code == 403
    bad = client.patch(
        f"/api/videos/{video_id}", json={"video_name": 5}, headers={"Authorization": f"Bearer {tokens['alice']}"}
    )
    assert bad.status_code == 400 and bad.get_json()["error"] == "bad_request"
    assert _rename(client, tokens["alice"], "nosuchvideo0000000", "x").status_code == 404
    row = streaming_app.extensions["db"].query_one("SELECT video_name FROM videos WHERE id = ?", (video_id,))
    assert row["video_name"] == "Before"
