"""The rendition stage: one more rendition of a ready video, encoded alone (so any
packager can take it, and a crash loses only it), published, then named in the master.
Background work: at the background nice level, its keyframes at the first rendition's
segment boundaries (the job's payload), within what the video's budget has left."""

from __future__ import annotations

import logging
import time

from vs_common import tables

from ...media import encoding, planning
from .. import publishing, source
from ..context import StageContext

log = logging.getLogger("file_svc.packager")


def run(ctx: StageContext) -> None:
    planned = tables.renditions.get(ctx.db, ctx.video_id, ctx.job.height)
    if ctx.row["status"] != "ready" or planned is None or planned["status"] == "ready":
        publishing.finish(ctx)  # nothing (left) to do
        return
    started = time.monotonic()
    rendition = planning.Rendition(ctx.job.height, planned["frame_width"], planned["frame_height"], copy=False)
    stats = _make(ctx, rendition)
    publishing.reserve(ctx, rendition, ctx.work / "hls")
    publishing.publish_rendition(ctx, ctx.work / "hls", rendition)
    with ctx.owned() as cur:
        tables.renditions.mark_ready(cur, ctx.video_id, rendition.height, stats)
    publishing.publish_master(ctx)
    publishing.finish(ctx)
    log.info("video %s: %s ready in %.2fs", ctx.video_id, rendition.folder, time.monotonic() - started)


def _make(ctx: StageContext, rendition: planning.Rendition) -> dict:
    """Encode the rendition under `work/hls/`; its master-playlist attributes."""
    src = source.fetch(ctx)
    probe = source.probe_of(ctx, src)
    with ctx.db.transaction() as cur:
        left = ctx.allowed - tables.renditions.output_used(cur, ctx.video_id, rendition.height)
    encoding.transcode_renditions(
        src,
        [rendition],
        ctx.work / "hls",
        probe,
        ctx.budget,
        ctx.work / "ffmpeg.log",
        keyframes=ctx.job.payload.get("keyframes"),
        cancel=ctx.cancel,
        nice=ctx.background_nice,
        limit=max(0, left),
    )
    fps = planning.output_fps(probe.frame_rate)
    return encoding.rendition_stats(ctx.work / "hls" / rendition.folder, probe.has_audio, fps, ctx.budget)
