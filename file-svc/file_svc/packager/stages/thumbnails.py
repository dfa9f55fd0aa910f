"""The thumbnails stage: five pictures spread over the video, for the library's hover
preview; background work (at the background nice level), queued once the video is ready."""

from __future__ import annotations

from vs_common import layout

from ...media import encoding
from .. import publishing, source
from ..context import StageContext


def run(ctx: StageContext) -> None:
    src = source.fetch(ctx)
    probe = source.probe_of(ctx, src)
    shots = encoding.make_thumbnails(
        src, ctx.work / "images", probe, ctx.budget, ctx.work / "images.log", ctx.cancel, nice=ctx.background_nice
    )
    ctx.renew()  # the video still exists: publish
    for thumb in shots:
        ctx.storage.put_file(layout.thumb(ctx.video_id, thumb.name), str(thumb))
    publishing.finish(ctx)
