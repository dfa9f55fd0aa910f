"""Caption tracks through the API: an SRT and a VTT appear in the master (parsed with the
m3u8 package) and their media playlists and WebVTT files are served with the session
cookie; a replaced track gets new files (the old ones go); a removed one leaves the
master; a track added while the video is packaged is named by the first master; cues
are mapped onto the segments' clock; a deleted video takes its tracks with it."""

from __future__ import annotations

import json
import math
import subprocess

import m3u8
import requests

from harness import wait_until

from .captions_kit import add, caption_objects, caption_rows, remove, subtitles

VTT_FR = b"WEBVTT\n\nNOTE a comment\n\n00:01.000 --> 00:04.000 align:start\nBonjour <b>les</b> sous-titres\n"


def test_an_srt_and_a_vtt_appear_in_the_master_and_are_served(cap_stack, cap_tokens, cap_inputs):
    st, token = cap_stack, cap_tokens["alice"]
    video = st.api.upload_ready(token, cap_inputs["short"], "two tracks")
    vid = video["id"]
    assert video["captions"] == []
    resp = add(
        st, token, vid, cap_inputs["srt_en"].read_bytes(), "en.srt", language="en", label="English", default="true"
    )
    assert resp.status_code == 201, resp.text
    en = resp.json()
    assert set(en) == {"language", "label", "default", "url"}
    assert (en["language"], en["label"], en["default"]) == ("en", "English", True)
    assert en["url"].startswith(f"{st.url('streaming')}/videos/{vid}/hls/captions/en.") and en["url"].endswith(".vtt")
    resp = add(st, token, vid, VTT_FR, "fr.vtt", language="fr", label="Français")
    assert resp.status_code == 201, resp.text
    fr = resp.json()
    assert (fr["language"], fr["label"], fr["default"]) == ("fr", "Français", False)
    assert st.video(token, vid)["captions"] == [en, fr]

    playlist = st.api.master(token, vid)
    subs = subtitles(playlist)
    assert [(m.language, m.name, m.default, m.autoselect, m.group_id) for m in subs] == [
        ("en", "English", "YES", "YES", "subs"),
        ("fr", "Français", "NO", "YES", "subs"),
    ]
    assert playlist.playlists and all(p.stream_info.subtitles == "subs" for p in playlist.playlists)
    for track, media in ((en, subs[0]), (fr, subs[1])):
        resp = st.api.get(token, media.absolute_uri)
        assert resp.status_code == 200, resp.text
        assert resp.headers["Content-Type"] == "application/vnd.apple.mpegurl"
        assert "no-cache" in resp.headers["Cache-Control"]
        media_playlist = m3u8.loads(resp.text, uri=media.absolute_uri)
        assert media_playlist.playlist_type == "vod" and media_playlist.is_endlist
        assert len(media_playlist.segments) == 1
        assert media_playlist.target_duration == math.ceil(video["duration_s"])
        assert media_playlist.segments[0].absolute_uri == track["url"]
        vtt = st.api.get(token, track["url"])
        assert vtt.status_code == 200
        assert vtt.headers["Content-Type"].startswith("text/vtt")
        assert "immutable" in vtt.headers["Cache-Control"]  # a new version has a new name
        assert vtt.text.startswith("WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:126000,LOCAL:00:00:00.000\n\n")
        # Without the cookie: refused, like every HLS file.
        assert requests.get(track["url"], timeout=10).status_code == 401
    assert "00:00:01.000 --> 00:00:04.000\nHello from the captions" in st.api.get(token, en["url"]).text
    assert "<i>Second</i> cue" in st.api.get(token, en["url"]).text
    assert (
        "00:00:01.000 --> 00:00:04.000 align:start\nBonjour <b>les</b> sous-titres" in st.api.get(token, fr["url"]).text
    )
    assert "NOTE" not in st.api.get(token, fr["url"]).text
    rows = caption_rows(st, vid)
    assert [(r["language"], r["source"], r["is_default"]) for r in rows] == [("en", "upload", 1), ("fr", "upload", 0)]


def test_a_replaced_track_gets_new_files_and_a_removed_one_leaves_the_master(cap_stack, cap_tokens, cap_inputs):
    st, token = cap_stack, cap_tokens["alice"]
    vid = st.api.upload_ready(token, cap_inputs["short"], "replace and remove")["id"]
    first = add(st, token, vid, cap_inputs["srt_en"].read_bytes(), language="en", label="English", default="true")
    assert first.status_code == 201, first.text
    assert add(st, token, vid, cap_inputs["srt_fr"].read_bytes(), language="fr", label="French").status_code == 201
    old_url = first.json()["url"]
    # Same language again (spelled as ISO 639-2): replaces it, with a new file name; the
    # default moves with `default=true` on another track.
    second = add(st, token, vid, cap_inputs["srt_en2"].read_bytes(), language="eng", label="English (new)")
    assert second.status_code == 201, second.text
    assert second.json()["language"] == "en" and second.json()["url"] != old_url
    assert st.api.get(token, old_url).status_code == 404  # removed once the master no longer names it
    assert "A second English track" in st.api.get(token, second.json()["url"]).text
    moved = add(st, token, vid, cap_inputs["srt_fr"].read_bytes(), language="fr", label="French", default="true")
    assert moved.status_code == 201
    tracks = {t["language"]: t for t in st.video(token, vid)["captions"]}
    assert (tracks["en"]["label"], tracks["en"]["default"], tracks["fr"]["default"]) == ("English (new)", False, True)
    assert [(m.language, m.default) for m in subtitles(st.api.master(token, vid))] == [("en", "NO"), ("fr", "YES")]
    assert len(caption_objects(st, vid)) == 4  # two tracks, a WebVTT and a playlist each

    assert remove(st, token, vid, "fr").status_code == 204
    assert [m.language for m in subtitles(st.api.master(token, vid))] == ["en"]
    assert st.api.get(token, moved.json()["url"]).status_code == 404
    assert remove(st, token, vid, "fr").status_code == 404
    assert remove(st, token, vid, "EN").status_code == 204  # tags compare case-insensitively
    playlist = st.api.master(token, vid)
    assert subtitles(playlist) == [] and all(p.stream_info.subtitles is None for p in playlist.playlists)
    assert caption_objects(st, vid) == [] and caption_rows(st, vid) == []
    assert st.video(token, vid)["captions"] == []


def test_a_track_added_while_packaging_is_in_the_first_master(cap_stack, cap_tokens, cap_inputs):
    st, token = cap_stack, cap_tokens["alice"]
    resp = st.upload(token, cap_inputs["short"], name="early track")
    assert resp.status_code == 201
    vid = resp.json()["id"]
    added = add(st, token, vid, cap_inputs["srt_en"].read_bytes(), language="en", label="English", default="true")
    assert added.status_code == 201, added.text
    video = st.wait_status(token, vid)
    assert video["status"] == "ready" and video["captions"] == [added.json()]
    assert [m.language for m in subtitles(st.api.master(token, vid))] == ["en"]


def _first_pts(st, token: str, video_id: str, label: int) -> int:
    """The smallest start time (90 kHz) of the streams of a rendition's first segment."""
    seg = st.api.get(token, f"/videos/{video_id}/hls/{label}p/seg_00000.ts")
    assert seg.status_code == 200
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "stream=start_pts", "-of", "json", "-i", "pipe:0"],
        input=seg.content,
        capture_output=True,
        check=True,
    )
    return min(int(s["start_pts"]) for s in json.loads(out.stdout)["streams"])


def test_cues_are_mapped_where_the_segments_put_the_sources_start(cap_stack, cap_tokens, cap_inputs):
    """X-TIMESTAMP-MAP says MPEGTS:126000 (file_svc.media.playlists.TS_START_PTS): a remuxed rendition's
    first segment starts there, an encoded one within a few tens of milliseconds after."""
    st, token = cap_stack, cap_tokens["alice"]
    copied = st.api.upload_ready(token, cap_inputs["short"], "copied rung")
    encoded = st.api.upload_ready(token, cap_inputs["encoded"], "encoded rung")
    for video in (copied, encoded):
        (rung,) = video["renditions"]
        pts = _first_pts(st, token, video["id"], rung["height"])
        assert 126000 <= pts <= 126000 + 0.1 * 90000, (video["video_name"], pts)


def test_deleting_the_video_removes_its_tracks(cap_stack, cap_tokens, cap_inputs):
    st, token = cap_stack, cap_tokens["alice"]
    vid = st.api.upload_ready(token, cap_inputs["short"], "deleted with tracks")["id"]
    assert add(st, token, vid, cap_inputs["srt_en"].read_bytes(), language="en", label="English").status_code == 201
    assert caption_rows(st, vid) and caption_objects(st, vid)
    resp = requests.delete(
        f"{st.url('streaming')}/api/videos/{vid}", headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    assert resp.status_code == 204  # to the trash: the tracks are kept, and no new one is taken
    assert caption_rows(st, vid) and caption_objects(st, vid)
    assert add(st, token, vid, cap_inputs["srt_en"].read_bytes(), language="en", label="English").status_code == 404
    resp = requests.delete(
        f"{st.url('streaming')}/api/videos/{vid}?purge=true", headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    assert resp.status_code == 204
    wait_until(lambda: not caption_objects(st, vid), 10, "the tracks' objects removed")
    assert caption_rows(st, vid) == []
    assert add(st, token, vid, cap_inputs["srt_en"].read_bytes(), language="en", label="English").status_code == 404
