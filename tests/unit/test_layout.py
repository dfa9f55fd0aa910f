"""The names of storage keys and temp paths (vs_common.layout): the ones every service and
every stored video already use, and the read routes' checks accept what packaging makes."""

from __future__ import annotations

from pathlib import Path

from vs_common import layout

VID = "abcdefghijkl0123"


def test_storage_keys_are_the_published_ones():
    assert layout.prefix(VID) == f"videos/{VID}/"
    assert layout.original(VID, ".mkv") == f"videos/{VID}/original.mkv"
    assert layout.is_original(VID, f"videos/{VID}/original.mp4")
    assert not layout.is_original(VID, f"videos/{VID}/poster.jpg")
    assert layout.master(VID) == f"videos/{VID}/hls/master.m3u8"
    assert layout.rendition_file(VID, 720, layout.FIRST_SEGMENT) == f"videos/{VID}/hls/720p/seg_00000.ts"
    assert layout.rendition_file(VID, 360, layout.MEDIA_PLAYLIST) == f"videos/{VID}/hls/360p/index.m3u8"
    assert layout.rendition_playlist(1080) == "1080p/index.m3u8"
    assert layout.caption(VID, "en.u0123abcd") == f"videos/{VID}/hls/captions/en.u0123abcd.vtt"
    assert layout.caption(VID, "en.u0123abcd", ".m3u8") == f"videos/{VID}/hls/captions/en.u0123abcd.m3u8"
    assert layout.captions_prefix(VID) == f"videos/{VID}/hls/captions/"
    assert layout.poster(VID) == f"videos/{VID}/poster.jpg"
    assert [layout.thumb(VID, n) for n in layout.THUMBNAILS][::4] == [
        f"videos/{VID}/thumbs/1.jpg",
        f"videos/{VID}/thumbs/5.jpg",
    ]
    assert layout.video_id_of(layout.poster(VID)) == VID
    assert layout.video_id_of("elsewhere/x") == ""


def test_the_read_routes_accept_every_name_packaging_makes():
    made = [
        layout.MASTER_PLAYLIST,
        layout.rendition_playlist(2160),
        *(f"{layout.rendition_folder(240)}/{layout.segment_file(n)}" for n in (0, 1, 99999)),
        layout.caption_file("pt-BR.e89abcdef"),
        layout.caption_file("pt-BR.e89abcdef", ".m3u8"),
    ]
    assert all(layout.valid_hls_path(path) for path in made), made
    assert all(layout.is_segment_file(layout.segment_file(n)) for n in (0, 7))
    assert all(layout.valid_thumb(name) for name in layout.THUMBNAILS)
    for bad in ("../master.m3u8", "720p/seg_1.ts", "720p/other.ts", "captions/en.vtt", ""):
        assert not layout.valid_hls_path(bad), bad


def test_temp_paths():
    temp = Path("/t")
    assert layout.part_path(temp, VID) == Path(f"/t/sources/{VID}.part")
    assert layout.source_path("/t", VID, ".mp4") == Path(f"/t/sources/{VID}.mp4")
    assert layout.is_part(layout.part_path(temp, VID)) and not layout.is_part(layout.source_path(temp, VID, ".mp4"))
    assert layout.video_id_of_source(layout.source_path(temp, VID, ".mp4")) == VID
    assert layout.work_folder(temp, VID, "rendition", 360, "1a2b3c4d") == Path(f"/t/work/{VID}-rendition360-1a2b3c4d")
    assert layout.work_folder(temp, VID, "first", 0, "x").name.startswith(layout.work_tag(VID, "first", 0))
    assert layout.upload_data(temp, VID) == Path(f"/t/uploads/{VID}/data")
    assert layout.upload_folder(temp, VID) == layout.uploads_root(temp) / VID
