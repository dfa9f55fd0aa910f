"""The caption checks on their own (no services): SRT and WebVTT parsing with where it
breaks, the escaping of cue text, encodings, language tags and labels, the master's
SUBTITLES lines, and which embedded streams become tracks."""

from __future__ import annotations

import sys
from pathlib import Path

import m3u8
import pytest

from vs_common import captions as c

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "file-svc"))

from file_svc import caption_tracks  # noqa: E402
from file_svc.media import playlists  # noqa: E402
from file_svc.media.budget import Budget  # noqa: E402

pytestmark = pytest.mark.fast


@pytest.mark.parametrize(
    "tag, stored",
    [
        ("en", "en"),
        ("eng", "en"),
        ("fre", "fr"),
        ("fra", "fr"),
        ("ger", "de"),
        ("deu", "de"),
        ("spa", "es"),
        ("ita", "it"),
        ("jpn", "ja"),
        ("por", "pt"),
        ("rus", "ru"),
        ("chi", "zh"),
        ("zho", "zh"),
        ("kor", "ko"),
        ("ara", "ar"),
        ("dut", "nl"),
        ("nld", "nl"),
        ("und", "und"),
        ("EN-gb", "en-GB"),
        ("zh-hant-tw", "zh-Hant-TW"),
        ("sr-Latn-RS", "sr-Latn-RS"),
        ("es-419", "es-419"),
        ("de-CH-1901", "de-CH-1901"),
        ("fil", "fil"),  # no ISO 639-1 code: kept
        ("en-US-x-twain", "en-US-x-twain"),
    ],
)
def test_language_tags_are_normalised(tag, stored):
    assert c.normalize_language(tag) == stored


@pytest.mark.parametrize("tag", ["", "e", "english1", "en_US", "x-foo", "en--us", "12", "en-", "ab" * 20, "é", None])
def test_bad_language_tags_are_refused(tag):
    with pytest.raises(c.CaptionError) as err:
        c.normalize_language(tag)
    assert (err.value.status, err.value.code) == (400, "bad_language")


def test_labels():
    assert c.check_label("  Français (SDH) ♪ ") == "Français (SDH) ♪"
    for bad in ['say "hi"', "a\nb", "a\rb", "a\tb", "a\u2028b", "x\u202eevil", "", "   ", "x" * 101, None]:
        with pytest.raises(c.CaptionError):
            c.check_label(bad)
    assert c.label_from_title('Full "SDH"\n', "en") == "Full 'SDH'"
    assert c.label_from_title(None, "pt-BR") == "Portuguese"
    assert c.label_from_title("", "und") == "Subtitles"


SRT = (
    b'1\r\n00:00:01,000 --> 00:00:02,500 X1:10 X2:20\r\n<I>Hi</I> & <font color="red">red</font> {\\an8}top\r\n'
    b"\r\n2\r\n0:01:03.5 --> 0:01:04.000\r\n"
)


def test_srt_becomes_webvtt_and_says_where_it_breaks():
    vtt, cues = c.to_webvtt(SRT.replace(b"0:01:03.5", b"0:01:03.500"), "a.srt")
    assert vtt == "WEBVTT\n\n00:00:01.000 --> 00:00:02.500\n<i>Hi</i> &amp; red top\n\n00:01:03.500 --> 00:01:04.000\n"
    assert [(q.start_ms, q.end_ms) for q in cues] == [(1000, 2500), (63500, 64000)]
    assert c.to_webvtt(vtt.encode(), "a.vtt")[0] == vtt  # checking it again changes nothing
    with pytest.raises(c.CaptionError, match=r"line 6 \(cue 2\).*'0:01:03.5 --> 0:01:04.000'"):
        c.to_webvtt(SRT, "a.srt")
    with pytest.raises(c.CaptionError, match=r"line 1 \(cue 1\): expected the cue's number.*a timing line"):
        c.to_webvtt(b"00:00:01,000 --> 00:00:02,000\nno number\n", "a.srt")
    with pytest.raises(c.CaptionError, match=r"line 4 \(cue 1\).*blank line"):
        c.to_webvtt(b"1\n00:00:01,000 --> 00:00:02,000\ntext\n00:00:03,000 --> 00:00:04,000\n", "a.srt")


def test_webvtt_is_checked_and_written_back_plain():
    src = (
        "\ufeffWEBVTT - title\nKind: captions\n\nSTYLE\n::cue { color: red }\n\nNOTE notes\nhere\n\n"
        "intro\n00:00.500 --> 00:01.000 align:start region:r1 line:10% bogus:1\n-- a --&gt; b\n"
    ).encode()
    vtt, _ = c.to_webvtt(src, "a.vtt")
    assert vtt == "WEBVTT\n\n00:00:00.500 --> 00:00:01.000 align:start line:10%\n-- a --&gt; b\n"
    for bad, where in [
        (b"WEBVTX\n\n00:01.000 --> 00:02.000\nx\n", "line 1"),
        (b"WEBVTT\n00:01.000 --> 00:02.000\nx\n", "line 2"),
        (b"WEBVTT\n\n00:01.000 --> 00:02.000\nx\n\n00:61.000 --> 00:62.000\ny\n", r"line 6 \(cue 2\)"),
        (b"WEBVTT\n\n00:01.000 --> 00:02.000\nx --> y\n", r"line 4 \(cue 1\)"),
        (b"WEBVTT\n\nan id\nnot a timing\n", r"line 4 \(cue 1\)"),
    ]:
        with pytest.raises(c.CaptionError, match=where):
            c.to_webvtt(bad, "a.vtt")
    with pytest.raises(c.CaptionError, match="no cues"):
        c.to_webvtt(b"WEBVTT\n\nNOTE only a note\n", "a.vtt")


@pytest.mark.parametrize(
    "text, escaped",
    [
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ("a < b > c & d", "a &lt; b &gt; c &amp; d"),
        ("&amp; &lt; &#60; &#x3C; &nbsp; &bogus;", "&amp; &lt; &#60; &#x3C; &nbsp; &amp;bogus;"),
        ("<v.loud Mary Ann>hi</v>", "<v.loud Mary Ann>hi</v>"),
        ('<v a"b>x</v>', '&lt;v a"b&gt;x</v>'),
        ("<c.a.b-c>x</c><i.x>y</i><b>z</b><u>w</u>", "<c.a.b-c>x</c><i.x>y</i><b>z</b><u>w</u>"),
        ("<i title=x>y</i>", "<i>y</i>"),
        (
            "<ruby>漢<rt>kan</rt></ruby> <lang en-GB>colour</lang>",
            "<ruby>漢<rt>kan</rt></ruby> <lang en-GB>colour</lang>",
        ),
        ("<lang>x</lang> <lang <b>>", "&lt;lang&gt;x</lang> &lt;lang <b>&gt;"),
        ("<00:00:01.500>then <1:00.000>", "<00:00:01.500>then &lt;1:00.000&gt;"),
        ("<I>upper</I> <img src=x onerror=alert(1)>", "&lt;I&gt;upper&lt;/I&gt; &lt;img src=x onerror=alert(1)&gt;"),
    ],
)
def test_cue_text_is_escaped_but_webvtt_cue_tags(text, escaped):
    assert c.escape_cue_text(text) == escaped
    assert c.escape_cue_text(escaped) == escaped


def test_encodings():
    text = "1\n00:00:01,000 --> 00:00:02,000\nÇa va ♪\n"
    for data in (
        text.encode(),
        b"\xef\xbb\xbf" + text.encode(),
        text.encode("utf-16"),
        b"\xfe\xff" + text.encode("utf-16-be"),
    ):
        assert c.to_webvtt(data, "a.srt")[1][0].lines == ["Ça va ♪"]
    for data, words in (
        (text.replace("♪", "").encode("latin-1"), "line 3"),
        (text.encode("utf-16-le"), "cannot be read as UTF-8"),  # UTF-16 without a BOM
        ("1\n00:00:01,000 --> 00:00:02,000\nabc\n".encode("utf-16-le"), r"U\+0000"),
        (text.encode("utf-32"), "UTF-32"),
        (b"\xff\xfe\x00", "UTF-16"),
        (b"1\n00:00:01,000 --> 00:00:02,000\nbell\x07\n", r"U\+0007"),
    ):
        with pytest.raises(c.CaptionError, match=words) as err:
            c.to_webvtt(data, "a.srt")
        assert err.value.status == 400
    with pytest.raises(c.CaptionError) as err:
        c.to_webvtt(b"x" * (c.MAX_BYTES + 1), "a.srt")
    assert (err.value.status, err.value.code) == (413, "file_too_large")


def test_the_master_names_tracks_as_one_subtitles_group():
    rendition = {"height": 240, "frame_width": 320, "frame_height": 240}
    rendition |= {"bandwidth": 1, "average_bandwidth": 1, "codecs": "avc1.64000d"}
    tracks = [
        {"language": "en", "label": "English", "is_default": 1, "file_name": "en.u0123abcd"},
        {"language": "pt-BR", "label": "Português (Brasil)", "is_default": 0, "file_name": "pt-BR.e89abcdef"},
    ]
    parsed = m3u8.loads(playlists.master_playlist([rendition], tracks))
    assert [(m.type, m.group_id, m.language, m.name, m.default, m.autoselect, m.uri) for m in parsed.media] == [
        ("SUBTITLES", "subs", "en", "English", "YES", "YES", "captions/en.u0123abcd.m3u8"),
        ("SUBTITLES", "subs", "pt-BR", "Português (Brasil)", "NO", "YES", "captions/pt-BR.e89abcdef.m3u8"),
    ]
    assert parsed.playlists[0].stream_info.subtitles == "subs"
    assert "SUBTITLES" not in playlists.master_playlist([rendition])
    media = m3u8.loads(playlists.caption_playlist("en.u0123abcd", 6.04))
    assert (media.target_duration, media.playlist_type, media.is_endlist) == (7, "vod", True)
    assert [(s.uri, s.duration) for s in media.segments] == [("en.u0123abcd.vtt", 6.04)]


def test_which_embedded_streams_become_tracks(tmp_path):
    """Image-based streams and kinds that are not converted are noted, never converted;
    a language the owner uploaded is left alone (no ffmpeg runs here: no text stream)."""
    streams = [
        {"codec": "hdmv_pgs_subtitle", "language": "eng", "title": None},
        {"codec": "dvd_subtitle", "language": "fre", "title": None},
        {"codec": "dvb_subtitle", "language": "not a tag!", "title": None},
        {"codec": "eia_608", "language": "spa", "title": None},
        {"codec": "hdmv_pgs_subtitle", "language": "ger", "title": None},
    ]
    out = caption_tracks.embedded_tracks(
        tmp_path / "none.mkv", streams, tmp_path, budget=Budget(), skip=frozenset({"de"})
    )
    assert all(t.vtt is None for t in out)
    notes = {t.language: t.note for t in out}
    assert set(notes) == {"en", "fr", "und", "es"}
    assert "image-based" in notes["en"] and "image-based" in notes["und"]
    assert "not converted" in notes["es"]
