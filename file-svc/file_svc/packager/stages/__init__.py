"""The packager's stages, one module each: a stage is a function of one StageContext
that makes its files, publishes them and finishes its job (publishing.finish), or
raises (attempt.py says what each error comes to).

- `first`: the first playable rendition, the poster, the embedded caption tracks, the
  master, `ready`; then it queues the others;
- `rendition`: one more rendition, encoded alone;
- `thumbnails`: the library's hover pictures.

A new stage (a transcription of the audio into a caption track, say) is a module here,
a name in vs_common.tables.jobs (with its priority) and a line in STAGES; the stage that queues
it says when it runs (`first._ready` queues the background ones); what it runs through
ffmpeg goes in media/, what it publishes through `publishing` (or caption_tracks).
"""

from __future__ import annotations

from collections.abc import Callable

from vs_common import tables

from ..context import StageContext
from . import first, rendition, thumbnails

STAGES: dict[str, Callable[[StageContext], None]] = {
    tables.jobs.FIRST: first.run,
    tables.jobs.RENDITION: rendition.run,
    tables.jobs.THUMBS: thumbnails.run,
}
