"""A caption track's upload to streaming-svc (`POST /api/videos/<id>/captions`), rule by
rule on Flask's test client: the owner only; the file, language, label and `default`
checked (common/vs_common/captions.py) before anything is sent to the store, each
refusal saying what is wrong (for a malformed file, where); the store unreachable is a
503 that keeps nothing. The parser's own cases: tests/captions/test_parse.py; tracks
stored and played through the real services: tests/captions/."""

from __future__ import annotations

import pytest

from vs_common.captions import MAX_BYTES

from .in_process import video_of

pytestmark = pytest.mark.fast

SRT = b"1\n00:00:01,000 --> 00:00:02,000\nHello\n"
VTT = b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nHello\n"
GOOD = {"language": "en", "label": "English"}

# (case, file name, file bytes (None: no file part), form fields, status, error code, in the message)
RULES = [
    ("no file part", None, None, GOOD, 400, "missing_file", "multipart field 'file'"),
    ("no language", "a.srt", SRT, {"label": "English"}, 400, "bad_language", "'language' is required"),
    ("a language that is no tag", "a.srt", SRT, {**GOOD, "language": "english1"}, 400, "bad_language", "english1"),
    ("no label", "a.srt", SRT, {"language": "en"}, 400, "bad_label", "'label' is required"),
    ("a label too long", "a.srt", SRT, {**GOOD, "label": "x" * 101}, 400, "bad_label", "101 characters"),
    ("a label with a quote", "a.srt", SRT, {**GOOD, "label": 'say "hi"'}, 400, "bad_label", "double quote"),
    ("a label of two lines", "a.srt", SRT, {**GOOD, "label": "one\ntwo"}, 400, "bad_label", "one line"),
    ("default neither true nor false", "a.srt", SRT, {**GOOD, "default": "yes"}, 400, "bad_default", "true or false"),
    ("another format", "a.ass", SRT, GOOD, 400, "unsupported_format", "WebVTT (.vtt) or SubRip (.srt)"),
    ("an empty file", "a.srt", b"", GOOD, 400, "no_cues", "empty"),
    ("a WebVTT file without cues", "a.vtt", b"WEBVTT\n", GOOD, 400, "no_cues", "no cues"),
    ("Latin-1 text", "a.srt", SRT.replace(b"Hello", b"Caf\xe9"), GOOD, 400, "bad_encoding", "byte 36, line 3"),
    ("UTF-32", "a.srt", b"\xff\xfe\x00\x00" + SRT.decode().encode("utf-32-le"), GOOD, 400, "bad_encoding", "UTF-32"),
    ("a control character", "a.srt", SRT.replace(b"Hello", b"Hel\x01lo"), GOOD, 400, "bad_encoding", "line 3"),
    ("SRT without a cue number", "a.srt", b"00:00:01,000 --> 00:00:02,000\nHi\n", GOOD, 400, "invalid_captions",
     "line 1 (cue 1)"),
    ("SRT with a broken timing line", "a.srt", b"1\n00:00:01 -> 00:00:02\nHi\n", GOOD, 400, "invalid_captions",
     "line 2 (cue 1)"),
    ("WebVTT without its header", "a.vtt", b"00:00:01.000 --> 00:00:02.000\nHi\n", GOOD, 400, "invalid_captions",
     "line 1"),
    ("over 2 MiB", "a.srt", SRT + b"x" * MAX_BYTES, GOOD, 413, "file_too_large", "2 MiB"),
]  # fmt: skip


def _post(client, token: str, video_id: str, filename, data, fields):
    form = dict(fields)
    if data is not None:
        import io

        form["file"] = (io.BytesIO(data), filename)
    return client.post(
        f"/api/videos/{video_id}/captions",
        data=form,
        content_type="multipart/form-data",
        headers={"Authorization": f"Bearer {token}"},
    )


def _tracks(app, video_id: str) -> list[dict]:
    return app.extensions["db"].query("SELECT * FROM captions WHERE video_id = ?", (video_id,))


@pytest.mark.parametrize(
    ("case", "filename", "data", "fields", "status", "error", "says"), RULES, ids=[r[0] for r in RULES]
)
def test_a_refused_caption_says_what_is_wrong(streaming_app, tokens, case, filename, data, fields, status, error, says):
    client = streaming_app.test_client()
    video_id = video_of(streaming_app, "alice")
    resp = _post(client, tokens["alice"], video_id, filename, data, fields)
    assert resp.status_code == status, resp.get_data(as_text=True)
    body = resp.get_json()
    assert body["error"] == error and says in body["message"], body
    assert _tracks(streaming_app, video_id) == []


@pytest.mark.parametrize("filename, data", [("a.srt", SRT), ("a.vtt", VTT), ("noext", VTT)])
def test_a_good_file_goes_to_the_store_and_an_unreachable_store_is_503(streaming_app, tokens, filename, data):
    """The checks pass, so the track is sent to file-svc; it does not answer: 503, and
    no track is kept."""
    client = streaming_app.test_client()
    video_id = video_of(streaming_app, "alice")
    resp = _post(client, tokens["alice"], video_id, filename, data, GOOD)
    assert resp.status_code == 503 and resp.get_json()["error"] == "storage_unavailable", resp.get_json()
    assert _tracks(streaming_app, video_id) == []


def test_only_the_owner_of_an_existing_video_adds_or_removes_tracks(streaming_app, tokens):
    client = streaming_app.test_client()
    video_id = video_of(streaming_app, "alice")
    assert _post(client, tokens["bob"], video_id, "a.srt", SRT, GOOD).status_code == 403
    assert _post(client, tokens["alice"], "nosuchvideo0000000", "a.srt", SRT, GOOD).status_code == 404
    assert _post(client, tokens["alice"], "no.such!id", "a.srt", SRT, GOOD).status_code == 404
    no_session = client.post(f"/api/videos/{video_id}/captions", data={"language": "en"})
    assert no_session.status_code == 401
    bearer = {"Authorization": f"Bearer {tokens['bob']}"}
    assert client.delete(f"/api/videos/{video_id}/captions/en", headers=bearer).status_code == 403


def test_removing_a_language_that_is_no_tag_is_404_without_asking_the_store(streaming_app, tokens):
    client = streaming_app.test_client()
    video_id = video_of(streaming_app, "alice")
    bearer = {"Authorization": f"Bearer {tokens['alice']}"}
    resp = client.delete(f"/api/videos/{video_id}/captions/english1", headers=bearer)
    assert resp.status_code == 404 and resp.get_json()["error"] == "not_found"
    # A well-formed tag is the store's to answer: unreachable here, 503.
    assert client.delete(f"/api/videos/{video_id}/captions/en", headers=bearer).status_code == 503
