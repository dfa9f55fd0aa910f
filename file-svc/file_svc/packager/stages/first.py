"""The first stage of a video: probe, the first playable rendition with the poster (and
the caption tracks of any subtitle streams), the master, `ready`; then the thumbnails and
the other renditions are queued, in the transaction that marks it ready (and writes the
`video.ready` webhook event). Four steps that read top to bottom: plan, make, publish,
ready.

It runs at full priority, in lanes of its own (worker.py), so that a new video never
waits for another one's background work. A first rendition published while it encodes
(progressive) would change `_encode` alone: finished segments handed to `publishing` as
they land, the media playlist last, the rest of the steps as they are.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from vs_common import catalogue, layout, tables
from vs_common.db import as_datetime, utcnow
from vs_common.observe import UPLOAD_TO_READY

from ... import caption_tracks
from ...media import encoding, planning, playlists
from ...media.errors import Cancelled
from ...media.probe import Probe
from .. import publishing, source
from ..context import StageContext

log = logging.getLogger("file_svc.packager")


@dataclass(frozen=True)
class FirstPlan:
    """What a first stage will make: from the source and its probe."""

    src: Path
    probe: Probe
    renditions: list[planning.Rendition]
    first: planning.Rendition  # the one made before `ready`
    subtitles: list
    uploaded: frozenset[str]
    out: Path


@dataclass(frozen=True)
class FirstMade:
    """What a first stage made, before anything is published."""

    keyframes: list | None
    poster: Path
    embedded: list
    stats: dict


def run(ctx: StageContext) -> None:
    if ctx.row["status"] == "ready":
        # A re-run after a crash that followed `ready`: its background jobs were queued in
        # the same transaction.
        publishing.finish(ctx)
        return
    started = time.monotonic()
    plan = _plan(ctx)
    made = _make(ctx, plan)
    _publish(ctx, plan, made)
    _ready(ctx, plan, made.keyframes)
    UPLOAD_TO_READY.observe(max(0.0, (utcnow() - as_datetime(ctx.row["created_at"])).total_seconds()))
    log.info(
        "video %s ready in %.2fs (%s %s; %d more rendition(s) queued)",
        ctx.video_id,
        time.monotonic() - started,
        plan.first.folder,
        "copied" if plan.first.copy else "transcoded",
        len(plan.renditions) - 1,
    )


def _plan(ctx: StageContext) -> FirstPlan:
    """A fresh attempt: what an interrupted one published goes; the source, its probe,
    the renditions planned in the catalogue."""
    vid = ctx.video_id
    publishing.unpublish(ctx.storage, vid)
    caption_tracks.forget_embedded(ctx.db, ctx.storage, vid)  # made again below
    src = source.fetch(ctx)
    probe = source.probe_of(ctx, src)
    renditions = planning.plan_renditions(probe, ctx.settings.hls_ladder)
    dw, dh = probe.display_size
    with ctx.owned() as cur:
        tables.videos.set_media(cur, vid, probe.duration_s, dw, dh)
        tables.renditions.plan(cur, vid, [(r.height, r.frame_width, r.frame_height, r.copy) for r in renditions])
    return FirstPlan(
        src=src,
        probe=probe,
        renditions=renditions,
        first=planning.first_rendition(renditions),
        subtitles=source.subtitle_streams(ctx, probe, src),
        uploaded=tables.captions.uploaded_languages(ctx.db, vid),
        out=ctx.work / "hls",
    )


def _make(ctx: StageContext, plan: FirstPlan) -> FirstMade:
    """The first rendition, with the poster (and the tracks of any subtitle streams) made
    while it is: all are in place before `ready`, the master names the tracks from the
    start."""
    work, src, probe = ctx.work, plan.src, plan.probe
    with ThreadPoolExecutor(2, thread_name_prefix=f"poster-{ctx.video_id[:6]}") as pool:
        poster = pool.submit(
            encoding.make_poster, src, work / "images", probe, ctx.budget, work / "images.log", ctx.cancel
        )
        tracks = pool.submit(_embedded_tracks, ctx, plan)
        try:
            keyframes = _encode(ctx, plan)
        except BaseException:
            ctx.cancel.set()  # stop the poster's ffmpeg too; this attempt is over
            raise
        poster_path, embedded = poster.result(), tracks.result()
    stats = encoding.rendition_stats(
        plan.out / plan.first.folder,
        probe.has_audio,
        planning.output_fps(probe.frame_rate),
        ctx.budget,
        probe if plan.first.copy else None,
    )
    return FirstMade(keyframes=keyframes, poster=poster_path, embedded=embedded, stats=stats)


def _encode(ctx: StageContext, plan: FirstPlan) -> list[float] | None:
    """Make the first rendition: remuxed (its segment boundaries returned, for the others'
    keyframes) or transcoded (None: the others cut every SEGMENT_SECONDS too)."""
    first, log_path = plan.first, ctx.work / "ffmpeg.log"
    if first.copy:
        out = plan.out / first.folder
        encoding.remux_rendition(plan.src, out, plan.probe, ctx.budget, log_path, ctx.cancel, limit=ctx.allowed)
        return playlists.segment_boundaries(out / layout.MEDIA_PLAYLIST)
    encoding.transcode_renditions(
        plan.src, [first], plan.out, plan.probe, ctx.budget, log_path, cancel=ctx.cancel, limit=ctx.allowed
    )
    return None


def _embedded_tracks(ctx: StageContext, plan: FirstPlan) -> list:
    """The upload's subtitle streams as caption tracks; whatever goes wrong with them is
    logged, never a failure of the video (but a cancelled job stays cancelled)."""
    try:
        return caption_tracks.embedded_tracks(
            plan.src, plan.subtitles, ctx.work, budget=ctx.budget, cancel=ctx.cancel, skip=plan.uploaded
        )
    except Cancelled:
        raise
    except Exception:  # noqa: BLE001 - captions are extra: the video goes on without them
        log.exception("the subtitle streams of %s could not be made into caption tracks", plan.src.name)
        return []


def _publish(ctx: StageContext, plan: FirstPlan, made: FirstMade) -> None:
    """Everything was made before anything is published; the master goes last."""
    vid = ctx.video_id
    publishing.reserve(ctx, plan.first, plan.out)
    publishing.publish_rendition(ctx, plan.out, plan.first)
    ctx.storage.put_file(layout.poster(vid), str(made.poster))
    caption_tracks.publish_embedded(ctx.storage, vid, made.embedded, plan.probe.duration_s)
    with ctx.owned() as cur:
        tables.renditions.mark_ready(cur, vid, plan.first.height, made.stats)
        unused = caption_tracks.record_embedded(cur, vid, made.embedded)
    for key in unused:  # an upload of that language came meanwhile: it stands
        ctx.storage.delete(key)
    publishing.publish_master(ctx)


def _ready(ctx: StageContext, plan: FirstPlan, keyframes: list[float] | None) -> None:
    """`ready` (and its webhook event), with the thumbnails and the other renditions queued
    in the same transaction."""
    with ctx.owned() as cur:
        catalogue.mark_ready(cur, ctx.video_id)
        tables.jobs.enqueue(cur, ctx.video_id, tables.jobs.THUMBS)
        for rendition in plan.renditions:
            if rendition is not plan.first:
                payload = {"keyframes": keyframes}
                tables.jobs.enqueue(cur, ctx.video_id, tables.jobs.RENDITION, rendition.height, payload=payload)
        tables.jobs.finish(cur, ctx.job)
