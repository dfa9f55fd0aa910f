"""The one writer of a video's master playlist: built from the catalogue, never patched.

Whoever changes what a master lists (a rendition lands, a caption track is added,
replaced or removed: file_svc.caption_tracks) commits that change first, then calls
`publish_master`. It takes the video's row lock (tables.videos.lock), reads what is
ready, and writes the whole playlist in one atomic put before letting go. Two writers
are serialised by the lock, and the one that writes last read after both changes were
committed, so neither change drops the other's line; a reader sees the old playlist or
the new one.
"""

from __future__ import annotations

import logging

from vs_common import layout, tables
from vs_common.db import Database

from .media.playlists import master_playlist, parse_master
from .storage import ObjectNotFound

log = logging.getLogger(__name__)


def publish_master(db: Database, storage, video_id: str) -> bool:
    """(Re)write the master playlist (`videos/<id>/hls/master.m3u8`) from the catalogue; False if the video is gone."""
    with db.transaction() as cur:
        if tables.videos.lock(cur, video_id) is None:
            return False
        ready = tables.renditions.published(cur, video_id)
        if not ready:
            # Nothing playable yet (a track added while the video is packaged, or to a
            # failed one): the first rendition's call writes the master, tracks included.
            return True
        if any(r["bandwidth"] is None for r in ready):
            ready = _with_published_attributes(cur, storage, video_id, ready)
        tracks = tables.captions.of(cur, video_id)
        storage.put_bytes(layout.master(video_id), master_playlist(ready, tracks).encode())
    return True


def _with_published_attributes(cur, storage, video_id: str, ready: list[dict]) -> list[dict]:
    """Renditions published before the catalogue kept their playlist attributes (migration
    3): take them from the master already published, and keep them in the catalogue."""
    try:
        published = parse_master(_read(storage, layout.master(video_id)))
    except ObjectNotFound:
        published = {}
    out = []
    for r in ready:
        if r["bandwidth"] is None:
            found = published.get(r["height"])
            if found is None:
                log.warning("video %s: rendition %dp has no playlist attributes; left out", video_id, r["height"])
                continue
            r = {**r, **found}
            tables.renditions.set_playlist_attributes(cur, video_id, r)
        out.append(r)
    return out


def _read(storage, key: str) -> str:
    stream = storage.open_object(key)
    if stream.path is not None:
        with open(stream.path, "rb") as fh:
            return fh.read().decode()
    return b"".join(stream.body).decode()
