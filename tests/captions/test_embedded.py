"""Subtitle streams inside an upload become tracks at packaging, with their languages:
two SubRip tracks (eng, fre) in Matroska, and a second English one noted and not kept;
mov_text in MP4. They are named in the first master, off by default. An owner's upload
of a language stands over a stream of it, and replaces an embedded track."""

from __future__ import annotations

from .captions_kit import add, caption_objects, caption_rows, subtitles


def test_subrip_tracks_in_matroska_come_out_with_their_languages(cap_stack, cap_tokens, cap_inputs):
    st, token = cap_stack, cap_tokens["alice"]
    video = st.api.upload_ready(token, cap_inputs["mkv"], "mkv with subtitles")
    vid = video["id"]
    tracks = video["captions"]
    assert [(t["language"], t["label"], t["default"]) for t in tracks] == [
        ("en", "English", False),
        ("fr", "French", False),
    ]
    assert "Hello from the captions" in st.api.get(token, tracks[0]["url"]).text
    assert "<i>Second</i> cue" in st.api.get(token, tracks[0]["url"]).text
    assert "Bonjour les sous-titres" in st.api.get(token, tracks[1]["url"]).text
    rows = {r["language"]: r for r in caption_rows(st, vid)}
    assert {r["source"] for r in rows.values()} == {"embedded"}
    assert "subtitle stream 3" in rows["en"]["note"] and "not kept" in rows["en"]["note"]
    assert rows["fr"]["note"] is None
    subs = subtitles(st.api.master(token, vid))
    assert [(m.language, m.name, m.default) for m in subs] == [("en", "English", "NO"), ("fr", "French", "NO")]
    assert len(caption_objects(st, vid)) == 4

    # The owner's upload of English replaces the embedded track.
    resp = add(st, token, vid, cap_inputs["srt_en2"].read_bytes(), language="en", label="English (mine)")
    assert resp.status_code == 201
    rows = {r["language"]: r for r in caption_rows(st, vid)}
    assert (rows["en"]["source"], rows["en"]["label"], rows["en"]["note"]) == ("upload", "English (mine)", None)
    assert st.api.get(token, tracks[0]["url"]).status_code == 404
    assert len(caption_objects(st, vid)) == 4


def test_mov_text_in_mp4_comes_out_with_its_language(cap_stack, cap_tokens, cap_inputs):
    st, token = cap_stack, cap_tokens["alice"]
    video = st.api.upload_ready(token, cap_inputs["mp4"], "mp4 with mov_text")
    assert [(t["language"], t["label"]) for t in video["captions"]] == [("de", "German")]
    text = st.api.get(token, video["captions"][0]["url"]).text
    assert text.startswith("WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:126000,LOCAL:00:00:00.000\n")
    assert "00:00:01.000 --> 00:00:04.000" in text and "Bonjour les sous-titres" in text
    assert [m.language for m in subtitles(st.api.master(token, video["id"]))] == ["de"]


def test_an_upload_without_subtitle_streams_has_no_tracks(cap_stack, cap_tokens, cap_inputs):
    st, token = cap_stack, cap_tokens["alice"]
    video = st.api.upload_ready(token, cap_inputs["short"], "no subtitles")
    assert video["captions"] == [] and caption_rows(st, video["id"]) == []
    playlist = st.api.master(token, video["id"])
    assert subtitles(playlist) == [] and all(p.stream_info.subtitles is None for p in playlist.playlists)
