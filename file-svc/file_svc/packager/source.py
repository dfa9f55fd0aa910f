"""A job's source and what is known of it: the upload, still in the temp volume or
downloaded from the store; its probe (made at upload, kept in the row); its subtitle
streams."""

from __future__ import annotations

import json
import logging
import os
import subprocess
from pathlib import Path

from .. import ingest
from ..media.errors import ProbeFailed
from ..media.probe import Probe, list_subtitle_streams, probe_file
from .context import StageContext

log = logging.getLogger("file_svc.packager")


def fetch(ctx: StageContext) -> Path:
    """The upload: still in the temp folder, or downloaded from the store into the
    attempt's folder."""
    local = ingest.received_source(ctx.settings.temp_dir, ctx.video_id)
    if local is not None:
        return local
    key = ctx.row["original_key"]
    dest = ctx.work / f"source{os.path.splitext(key)[1]}"
    ctx.storage.download(key, str(dest))
    return dest


def drop(temp_dir: str, video_id: str) -> None:
    """Remove the video's upload from the temp folder (once none of its jobs needs it)."""
    src = ingest.received_source(temp_dir, video_id)
    if src is not None:
        src.unlink(missing_ok=True)


def probe_of(ctx: StageContext, src: Path) -> Probe:
    """file-svc's probe at upload, kept in the row; probed again only for older rows."""
    if ctx.row.get("probe"):
        return Probe.from_summary(json.loads(ctx.row["probe"]))
    return probe_file(str(src), ctx.budget)


def subtitle_streams(ctx: StageContext, probe: Probe, src: Path) -> list[dict]:
    """The source's subtitle streams: from the probe made at upload, else (a probe kept
    before it listed them) from ffprobe; none if that fails (never a failure of the video)."""
    if probe.subtitles is not None:
        return probe.subtitles
    try:
        return list_subtitle_streams(str(src), ctx.budget)
    except (ProbeFailed, OSError, ValueError, subprocess.TimeoutExpired) as exc:
        log.warning("the subtitle streams of %s could not be listed: %s", src.name, exc)
        return []
