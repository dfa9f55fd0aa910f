"""Bad caption input is refused saying what is wrong, and leaves nothing behind (no row,
no object, the master unchanged): a malformed SRT names the line and cue; over 2 MiB is
413; Latin-1 is 400 while UTF-16 with a BOM is read; cue hours past 999 (a 5,000-digit one
too) and control characters (C1 as C0) are 400; a bad language tag, a label with a double
quote or a line break, or one a video name could not be (nothing visible, stacked
combining marks, bidi controls) are 400; not the owner is 403; an unknown video is 404. A
`<script>` cue is stored escaped, WebVTT's own cue tags kept."""

from __future__ import annotations

import pytest

from .captions_kit import add, caption_objects, caption_rows, remove, subtitles

GOOD = b"1\n00:00:01,000 --> 00:00:02,000\nfine\n"


@pytest.fixture(scope="module")
def target(cap_stack, cap_tokens, cap_inputs):
    """A ready video with one track (en), and what its catalogue, store and master hold."""
    st, token = cap_stack, cap_tokens["alice"]
    vid = st.api.upload_ready(token, cap_inputs["short"], "hostile captions")["id"]
    assert add(st, token, vid, GOOD, language="en", label="English").status_code == 201
    return vid


def _unchanged(st, token, vid, before):
    assert (caption_rows(st, vid), caption_objects(st, vid), st.api.master(token, vid).dumps()) == before


def _state(st, token, vid):
    return caption_rows(st, vid), caption_objects(st, vid), st.api.master(token, vid).dumps()


LATIN1 = "1\n00:00:01,000 --> 00:00:02,000\nCafé crème\n".encode("latin-1")
HUGE_HOURS_VTT = b"WEBVTT\n\n" + b"9" * 5000 + b":00:00.000 --> " + b"9" * 5000 + b":00:01.000\nx\n"
LONG_HOURS_VTT = b"WEBVTT\n\n00:00:00.000 --> " + b"9" * 400 + b":00:01.000\nx\n"
HUGE_HOURS_SRT = b"1\n" + b"9" * 5000 + b":00:00,000 --> " + b"9" * 5000 + b":00:01,000\nx\n"
C1_SRT = "1\n00:00:01,000 --> 00:00:02,000\nred \x9b31m text\n".encode()
CASES = [
    # (file bytes, file name, fields, status, error code, words the message must hold)
    (
        b"1\n00:00:01,000 --> 00:00:02,000\nok\n\n2\n00:00:03,000 --> 00:00:0x,000\nbad\n",
        "bad.srt",
        {},
        400,
        "invalid_captions",
        ["line 6", "cue 2", "00:00:0x,000"],
    ),
    (
        b"WEBVTT\n\n00:01.000 --> 00:02.000\nok\n\n00:03.000 --> 00:02.000\nbackwards\n",
        "bad.vtt",
        {},
        400,
        "invalid_captions",
        ["line 6", "cue 2", "ends"],
    ),
    (b"1\n00:00:01,000 --> 00:00:02,000\n" + b"x" * (2 * 1024 * 1024), "big.srt", {}, 413, "file_too_large", ["2 MiB"]),
    # Past the request's limit too: refused from Content-Length (the body read, bounded, then dropped).
    (b"1\n00:00:01,000 --> 00:00:02,000\n" + b"x" * (3 * 1024 * 1024), "bigger.srt", {}, 413, "file_too_large", []),
    (LATIN1, "latin1.srt", {}, 400, "bad_encoding", ["UTF-8", "UTF-16", "line 3"]),
    (b"", "empty.srt", {}, 400, "no_cues", ["empty"]),
    (GOOD, "subs.txt", {}, 400, "unsupported_format", [".srt"]),
    (GOOD, "subs.srt", {"language": "english!"}, 400, "bad_language", ["BCP 47"]),
    (GOOD, "subs.srt", {"language": "x-klingon"}, 400, "bad_language", ["BCP 47"]),
    (GOOD, "subs.srt", {"label": 'The "good" one'}, 400, "bad_label", ["double quote"]),
    (GOOD, "subs.srt", {"label": "two\nlines"}, 400, "bad_label", ["one line"]),
    (GOOD, "subs.srt", {"label": "x" * 101}, 400, "bad_label", ["100"]),
    (GOOD, "subs.srt", {"label": ""}, 400, "bad_label", ["required"]),
    (GOOD, "subs.srt", {"default": "yes"}, 400, "bad_default", ["true or false"]),
    # Hours past Python's 4,300-digit int() limit, or only past 999: 400, never 500 or stored.
    (HUGE_HOURS_VTT, "huge.vtt", {}, 400, "invalid_captions", ["line 3", "cue 1", "999:59:59.999"]),
    (HUGE_HOURS_VTT, "huge.srt", {}, 400, "invalid_captions", ["line 3", "cue 1", "999:59:59.999"]),
    (LONG_HOURS_VTT, "long.vtt", {}, 400, "invalid_captions", ["line 3", "cue 1", "999:59:59.999"]),
    (HUGE_HOURS_SRT, "huge.srt", {}, 400, "invalid_captions", ["line 2", "cue 1", "999:59:59.999"]),
    (b"WEBVTT\n\n1000:00:00.000 --> 1000:00:01.000\nx\n", "k.vtt", {}, 400, "invalid_captions", ["999:59:59.999"]),
    # C1 controls (CSI, a C1 in a NOTE), as C0 ones: refused saying which and where.
    (C1_SRT, "c1.srt", {}, 400, "bad_encoding", ["U+009B", "line 3"]),
    ("WEBVTT\n\nNOTE \x80\n\n00:01.000 --> 00:02.000\nx\n".encode(), "c1.vtt", {}, 400, "bad_encoding", ["U+0080"]),
    # Labels that would be refused as video names.
    (GOOD, "subs.srt", {"label": "\u200b\u200b\u200b"}, 400, "bad_label", ["no visible character"]),
    (GOOD, "subs.srt", {"label": "\u3164"}, 400, "bad_label", ["no visible character"]),
    (GOOD, "subs.srt", {"label": "Z" + "\u0336" * 40}, 400, "bad_label", ["combining marks"]),
    (GOOD, "subs.srt", {"label": "evil\u202egpj"}, 400, "bad_label", ["bidirectional"]),
    (GOOD, "subs.srt", {"label": "red\x9b31m"}, 400, "bad_label", ["U+009B"]),
]


@pytest.mark.parametrize("data, filename, fields, status, code, words", CASES, ids=[c[4] + "-" + c[1] for c in CASES])
def test_bad_input_is_refused_saying_what_and_nothing_is_written(
    cap_stack, cap_tokens, target, data, filename, fields, status, code, words
):
    st, token = cap_stack, cap_tokens["alice"]
    before = _state(st, token, target)
    resp = add(st, token, target, data, filename, **{"language": "de", "label": "Deutsch", **fields})
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert set(body) == {"error", "message"} and body["error"] == code, body
    for word in words:
        assert word in body["message"], body["message"]
    _unchanged(st, token, target, before)


def test_utf16_with_a_bom_and_utf8_with_a_bom_are_read(cap_stack, cap_tokens, target):
    st, token = cap_stack, cap_tokens["alice"]
    text = "1\r\n00:00:01,000 --> 00:00:02,000\r\nCafé crème ♪\r\n"
    for language, data in (("de", text.encode("utf-16")), ("it", b"\xef\xbb\xbf" + text.encode())):
        assert data[:2] in (b"\xff\xfe", b"\xef\xbb")
        resp = add(st, token, target, data, language=language, label=language)
        assert resp.status_code == 201, resp.text
        assert "00:00:01.000 --> 00:00:02.000\nCafé crème ♪\n" in st.api.get(token, resp.json()["url"]).text
        assert remove(st, token, target, language).status_code == 204


def test_a_script_cue_is_stored_escaped_and_cue_tags_are_kept(cap_stack, cap_tokens, target):
    st, token = cap_stack, cap_tokens["alice"]
    data = (
        b"WEBVTT\n\n00:01.000 --> 00:02.000\n<script>alert(1)</script>\n"
        b"<v Roger>Hi</v> <c.loud>&</c> <i>a</i><b>b</b><u>c</u> <lang fr>oui</lang> <00:01.500>"
        b'<ruby>x<rt>y</rt></ruby> <img src=x onerror="alert(2)"> &amp;\n'
    )
    resp = add(st, token, target, data, "xss.vtt", language="es", label="Español")
    assert resp.status_code == 201, resp.text
    stored = st.api.get(token, resp.json()["url"]).text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;\n" in stored
    assert (
        "<v Roger>Hi</v> <c.loud>&amp;</c> <i>a</i><b>b</b><u>c</u> <lang fr>oui</lang> <00:01.500>"
        '<ruby>x<rt>y</rt></ruby> &lt;img src=x onerror="alert(2)"&gt; &amp;\n'
    ) in stored
    assert "<script" not in stored and "<img" not in stored
    assert remove(st, token, target, "es").status_code == 204


def test_what_is_stored_carries_no_control_character_and_no_long_number(cap_stack, cap_tokens, target):
    """NEL is a line end like CR; a tab is kept; zeros padding hours are read and not
    kept; a timestamp tag past 999 hours is text, a setting with an out-of-range number is
    dropped."""
    st, token = cap_stack, cap_tokens["alice"]
    big = "9" * 400
    zeros = "0" * 5000  # past int()'s 4,300 digits too, though only padding
    data = (
        f"WEBVTT\n\n{zeros}00:00:01.000 --> {zeros}00:00:02.000 line:{big} align:start\n"
        f"a\tb\x85c <{big}:00:00.000>d <{zeros}01:00:00.000>e\n"
    ).encode()
    resp = add(st, token, target, data, "nel.vtt", language="pt", label="Português")
    try:
        assert resp.status_code == 201, resp.text
        stored = st.api.get(token, resp.json()["url"]).text
        want = f"\n00:00:01.000 --> 00:00:02.000 align:start\na\tb\nc &lt;{big}:00:00.000&gt;d <01:00:00.000>e\n"
        assert want in stored, stored
        assert "\x85" not in stored and f"line:{big}" not in stored and zeros not in stored
    finally:  # the track gone even when a check failed, as the later tests expect
        assert resp.status_code != 201 or remove(st, token, target, "pt").status_code == 204


def test_only_the_owner_changes_tracks(cap_stack, cap_tokens, target):
    st, token, bob = cap_stack, cap_tokens["alice"], cap_tokens["bob"]
    before = _state(st, token, target)
    resp = add(st, bob, target, GOOD, language="de", label="Deutsch")
    assert resp.status_code == 403 and resp.json()["error"] == "forbidden"
    resp = remove(st, bob, target, "en")
    assert resp.status_code == 403 and resp.json()["error"] == "forbidden"
    _unchanged(st, token, target, before)
    assert [m.language for m in subtitles(st.api.master(bob, target))] == ["en"]  # anyone may watch them


def test_an_unknown_video_or_track_is_404(cap_stack, cap_tokens, target):
    st, token = cap_stack, cap_tokens["alice"]
    assert add(st, token, "nosuchvideo12345", GOOD, language="en", label="English").status_code == 404
    assert remove(st, token, "nosuchvideo12345", "en").status_code == 404
    assert remove(st, token, target, "pt-BR").status_code == 404
    assert remove(st, token, target, "not a tag!").status_code == 404
