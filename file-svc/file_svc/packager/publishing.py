"""What a stage puts in the store and the catalogue, and how it is taken back.

A rendition is published in three steps: its bytes reserved against the video's output
budget (`reserve`, under the row lock, so two renditions finishing at once cannot both
take the last of it), its files put (`publish_rendition`: segments, then the media
playlist that names them), then its row made ready and the master rewritten by its one
writer (`publish_master`). `unpublish` takes back what packaging published;
`remove_if_deleted` what a delete that raced the job left.
"""

from __future__ import annotations

import logging
from pathlib import Path

from vs_common import layout, tables
from vs_common.db import Database

from .. import master
from ..media import playlists, runner
from ..media.errors import OverBudget
from ..media.planning import Rendition
from ..storage import Storage, StorageUnavailable
from . import source
from .context import StageContext

log = logging.getLogger("file_svc.packager")


def reserve(ctx: StageContext, rendition: Rendition, out: Path) -> None:
    """Count the rendition's bytes (made under `out`) against the video's output budget
    before publishing it; OverBudget if they do not fit."""
    made = runner.folder_bytes(out / rendition.folder)
    with ctx.owned() as cur:
        if not tables.renditions.reserve_output(cur, ctx.video_id, rendition.height, made, ctx.allowed):
            raise OverBudget(ctx.allowed, ctx.budget)


def publish_rendition(ctx: StageContext, out: Path, rendition: Rendition) -> None:
    """Segments, then the media playlist that names them, once the job is still ours."""
    ctx.renew()
    for path in playlists.rendition_files(out / rendition.folder):
        ctx.storage.put_file(layout.rendition_file(ctx.video_id, rendition.height, path.name), str(path))


def publish_master(ctx: StageContext) -> None:
    """Rewrite the master from the catalogue (after a change of what it lists is committed)."""
    master.publish_master(ctx.db, ctx.storage, ctx.video_id)


def finish(ctx: StageContext) -> None:
    """The job is done; the video's temp source goes once none of its jobs needs it.
    A delete that raced what we published is caught here (LeaseLost, then cleanup)."""
    with ctx.owned() as cur:
        remaining = tables.jobs.finish(cur, ctx.job)
    if remaining == 0:
        source.drop(ctx.settings.temp_dir, ctx.video_id)


def unpublish(storage: Storage, video_id: str) -> None:
    """Remove what packaging published (HLS, poster, thumbnails); the original stays,
    and so do the caption tracks (an owner's uploads are kept whatever packaging does;
    those made from the upload's streams go with `caption_tracks.forget_embedded`)."""
    hls_root = layout.hls_prefix(video_id)
    captions = layout.captions_prefix(video_id)
    try:
        folders = {key[len(hls_root) :].split("/")[0] for key in storage.list_keys(hls_root)}
        for folder in sorted(folders - {"captions", layout.MASTER_PLAYLIST}):
            storage.delete_prefix(layout.hls(video_id, f"{folder}/"))
        storage.delete(layout.master(video_id))
        # A segment's write cut short (S3's multipart uploads; nothing on a local store).
        storage.abort_uploads(hls_root, older_than=None, keep=lambda key: key.startswith(captions))
        storage.delete_prefix(layout.thumbs_prefix(video_id))
        storage.delete(layout.poster(video_id))
    except (StorageUnavailable, OSError) as exc:
        log.warning("could not remove the partial output of %s: %s", video_id, exc)


def remove_if_deleted(db: Database, storage: Storage, temp_dir: str, video_id: str) -> None:
    """If the video was deleted while we worked, remove what we may have published."""
    if tables.videos.exists(db, video_id):
        return
    source.drop(temp_dir, video_id)
    try:
        storage.delete_prefix(layout.prefix(video_id))
    except StorageUnavailable as exc:
        log.warning("could not remove objects of deleted video %s (the sweep will): %s", video_id, exc)
