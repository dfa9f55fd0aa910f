"""Hostile caption input through the real parse functions (no services): cue times are
bounded before any number is read (at most 999:59:59.999, a 5,000-digit hour is a 400 and
not Python's 4,300-digit ValueError), cue settings and timestamp tags keep only small
numbers, no control character but tab and newline reaches the stored WebVTT (U+0085 NEL
is a line end like CR), and labels follow the video-name rules on top of their own."""

from __future__ import annotations

import re
import unicodedata

import pytest

from vs_common import captions as c

CONTROLS = [chr(n) for n in range(0x110000) if unicodedata.category(chr(n)) == "Cc"]
KEPT = {"\t", "\n", "\r", "\x85"}  # tab kept; CR, CRLF and NEL are line ends


def _refused(data: bytes, filename: str) -> c.CaptionError:
    with pytest.raises(c.CaptionError) as err:
        c.to_webvtt(data, filename)
    assert err.value.status == 400
    return err.value


def _vtt(start: str, end: str = "00:00:02.000", text: str = "x") -> bytes:
    return f"WEBVTT\n\n00:00.000 --> 00:00.500\nfirst\n\n{start} --> {end}\n{text}\n".encode()


def _srt(start: str, end: str = "00:00:02,000") -> bytes:
    return f"1\n00:00:00,000 --> 00:00:00,500\nfirst\n\n2\n{start} --> {end}\nx\n".encode()


@pytest.mark.parametrize(
    "hours",
    ["9" * 5000, "9" * 400, "1" + "0" * 4300, "1000", "0" * 30 + "1000"],
    ids=["5000 digits", "400 digits", "4301 digits", "1000", "1000 zero-padded"],
)
@pytest.mark.parametrize("side", ["start", "end"])
def test_cue_hours_past_999_are_refused_naming_line_and_cue(hours, side):
    """Both formats, either end of the cue: 400 `invalid_captions` with the line and cue,
    whatever the number of digits (more than Python's int() reads is no 500)."""
    start, end = (f"{hours}:00:00", "00:00:00") if side == "start" else ("00:00:01", f"{hours}:00:00")
    for data, filename in (
        (_vtt(f"{start}.000", f"{end}.000"), "a.vtt"),
        (_srt(f"{start},000", f"{end},000"), "a.srt"),
    ):
        err = _refused(data, filename)
        assert err.code == "invalid_captions"
        assert "line 6 (cue 2)" in err.message, err.message
        assert "999:59:59.999" in err.message and "hours" in err.message, err.message
        assert len(err.message) < 300, err.message  # the number is shown cut short


def test_cue_times_up_to_999_hours_are_read():
    vtt, cues = c.to_webvtt(_vtt("998:00:00.000", "999:59:59.999"), "a.vtt")
    assert cues[1].end_ms == ((999 * 60 + 59) * 60 + 59) * 1000 + 999
    assert "998:00:00.000 --> 999:59:59.999\n" in vtt
    assert c.to_webvtt(_vtt("0000999:00:00.000", "0999:00:00.001"), "a.vtt")[1][1].start_ms == 999 * 3600 * 1000
    assert c.to_webvtt(_srt("999:00:00,000", "999:59:59,999"), "a.srt")[1][1].end_ms == cues[1].end_ms
    assert c.to_webvtt(vtt.encode(), "a.vtt")[0] == vtt  # what was written reads back the same
    # Zeros that pad the hours, past what int() reads: read, and not kept.
    padded = "0" * 5000 + "999"
    vtt, cues = c.to_webvtt(_vtt(f"{padded}:00:00.000", f"{padded}:00:01.000"), "a.vtt")
    assert cues[1].start_ms == 999 * 3600 * 1000 and "\n999:00:00.000 --> 999:00:01.000\n" in vtt
    assert "0" * 100 not in vtt
    vtt, cues = c.to_webvtt(_srt(f"{padded}:00:00,000", f"{padded}:00:01,000"), "a.srt")
    assert cues[1].end_ms == 999 * 3600 * 1000 + 1000 and "0" * 100 not in vtt


def test_timestamp_tags_and_settings_keep_only_small_numbers():
    """A cue's timestamp tag past 999 hours is text (escaped), not a tag; a setting with a
    number out of WebVTT's range (a percentage over 100, a line over 999) is dropped, as
    settings WebVTT does not know are."""
    big, padded = "9" * 400, "0" * 5000 + "12"
    text = f"<{big}:00:00.000>a <999:00:00.000>b <00:01.000>c <{padded}:00:01.000>d <0000:00:02.000>e"
    vtt, cues = c.to_webvtt(_vtt("00:00:01.000", text=text), "a.vtt")
    assert cues[1].lines == [f"&lt;{big}:00:00.000&gt;a <999:00:00.000>b <00:01.000>c <12:00:01.000>d <00:00:02.000>e"]
    assert c.to_webvtt(vtt.encode(), "a.vtt")[0] == vtt
    settings = f"line:{big} position:{big}% size:101% line:-1000 align:start position:100% size:99.5% line:-999"
    data = f"WEBVTT\n\n00:01.000 --> 00:02.000 {settings}\nx\n".encode()
    vtt, cues = c.to_webvtt(data, "a.vtt")
    assert cues[0].settings == "align:start position:100% size:99.5% line:-999"
    assert big not in vtt


@pytest.mark.parametrize("ch", sorted(set(CONTROLS) - KEPT), ids=lambda ch: f"U+{ord(ch):04X}")
def test_every_control_character_but_tab_and_line_ends_is_refused(ch):
    """Anywhere in the file (cue text, header, a NOTE), saying which and on which line."""
    for data, filename, line in (
        (f"1\n00:00:01,000 --> 00:00:02,000\nred {ch}31m text\n".encode(), "a.srt", 3),
        (f"WEBVTT\n\n00:01.000 --> 00:02.000\nok\nred {ch}31m\n".encode(), "a.vtt", 5),
        (f"WEBVTT\n\nNOTE {ch}\n\n00:01.000 --> 00:02.000\nok\n".encode(), "a.vtt", 3),
        (f"WEBVTT x{ch}\n\n00:01.000 --> 00:02.000\nok\n".encode("utf-16"), "a.vtt", 1),
    ):
        err = _refused(data, filename)
        assert err.code == "bad_encoding"
        assert f"U+{ord(ch):04X}" in err.message and f"line {line}" in err.message, err.message


def test_tab_is_kept_and_nel_is_a_line_end():
    vtt, cues = c.to_webvtt("1\r\n00:00:01,000 --> 00:00:02,000\r\na\tb\x85second\rthird\n".encode(), "a.srt")
    assert cues[0].lines == ["a\tb", "second", "third"]
    assert "\x85" not in vtt
    # A NEL that ends the cue's text and starts a timing line is a line like any other.
    err = _refused("1\n00:00:01,000 --> 00:00:02,000\ntext\x8500:00:03,000 --> 00:00:04,000\n".encode(), "a.srt")
    assert "line 4 (cue 1)" in err.message


def test_nothing_stored_carries_a_control_character():
    """Whatever control character a file, a label or a language holds, what would be stored
    holds none but tab and newline: each is refused, or made a line end."""
    stored = re.compile(r"[^\t\n\x20-\x7e\xa0-\U0010ffff]")
    for ch in CONTROLS:
        for data, filename in (
            (f"1\n00:00:01,000 --> 00:00:02,000\n<i>{ch}</i>{ch}\n".encode(), "a.srt"),
            (f"WEBVTT\n\n00:01.000 --> 00:02.000 align:{ch}start\n<v a{ch}b>{ch}\n".encode(), "a.vtt"),
        ):
            try:
                vtt, _ = c.to_webvtt(data, filename)
            except c.CaptionError:
                continue
            assert not stored.search(vtt), (ch, vtt)
        for value, check in (
            (f"Eng{ch}lish", c.check_label),
            (f"{ch}Label{ch}", c.check_label),
            (f"en{ch}", c.normalize_language),
            (f"{ch}pt-{ch}BR", c.normalize_language),
        ):
            try:
                kept = check(value)
            except c.CaptionError:
                continue
            assert not stored.search(kept) and "\t" not in kept, (ch, kept)


@pytest.mark.parametrize(
    "label, rule",
    [
        ("\u200b\u200b\u200b", "no visible character"),  # zero-width spaces
        ("\u3164\u3164", "no visible character"),  # Hangul fillers
        ("\u2800", "no visible character"),  # the blank braille cell
        ("\u00ad\u200d\ufeff", "no visible character"),  # soft hyphen, joiner, BOM
        ("\u0301\u0301", "no visible character"),  # marks on nothing
        ("Z" + "\u0336" * 5 + "algo", "combining marks"),
        ("x" + "\u0301\u0302\u0303\u0304\u0306\u0307" * 3, "combining marks"),
        ("evil\u202egpj.exe", "bidirectional"),
        ("\u2067English", "bidirectional"),
        ("red\x9b31m", "control"),
        ("x\x85y", "one line"),
    ],
)
def test_labels_follow_the_video_name_rules(label, rule):
    with pytest.raises(c.CaptionError) as err:
        c.check_label(label)
    assert (err.value.status, err.value.code) == (400, "bad_label")
    assert rule in err.value.message and "label" in err.value.message, err.value.message


def test_labels_the_rules_keep():
    for label, kept in (
        ("English (SDH) ♪", "English (SDH) ♪"),
        ("  日本語  ", "日本語"),
        ("e\u0301" + "\u0300" * 3, unicodedata.normalize("NFC", "e\u0301" + "\u0300" * 3)),  # four marks in all
        ("👩\u200d👩\u200d👧 family", "👩\u200d👩\u200d👧 family"),
        ("\u3000Full width\u3000", "Full width"),
        ("x" * 100, "x" * 100),
    ):
        assert c.check_label(label) == kept
    # An embedded stream's title that breaks them falls back to the language's name.
    assert c.label_from_title("\u200b\u200b", "de") == "German"
    assert c.label_from_title("ok\u202e", "fr") == "French"
