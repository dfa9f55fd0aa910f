"""Receiving an upload: the raw body streamed into the temp folder, probed, stored.

The temp file is kept for the packager (it saves a download); everything else about a
failed upload is removed before the error is answered.
"""

from __future__ import annotations

import errno
import logging
import os
import shutil
from pathlib import Path

from vs_common import layout
from vs_common.wire import UPLOAD_CHUNK, new_video_id, valid_video_id

from .media.budget import Budget
from .media.errors import NotAVideo
from .media.probe import Probe, check_complete, probe_file

log = logging.getLogger(__name__)


class TooLarge(ValueError):
    """The body is larger than MAX_UPLOAD_BYTES."""


class IncompleteUpload(ValueError):
    """The client stopped sending before the body was complete."""


class TempFull(OSError):
    """The temp folder has no room left."""


def sources_dir(temp_dir: str) -> Path:
    """The folder of uploads to file-svc and of the packager's sources (made if missing)."""
    path = layout.sources_dir(temp_dir)
    path.mkdir(parents=True, exist_ok=True)
    return path


def temp_files_of(temp_dir: str, video_id: str) -> list[Path]:
    """Every file an upload of `video_id` has in the temp folder (received or in progress)."""
    return list(sources_dir(temp_dir).glob(layout.source_glob(video_id)))


def received_source(temp_dir: str, video_id: str) -> Path | None:
    """The upload as received, if it is still in the temp folder."""
    for candidate in temp_files_of(temp_dir, video_id):
        if not layout.is_part(candidate):
            return candidate
    return None


def source_in_temp(temp_dir: str, key: str) -> bool:
    """Whether the video of an object key (`videos/<id>/...`) still has its source in the
    temp folder: an upload or a packaging job is at work on it."""
    video_id = layout.video_id_of(key)
    return valid_video_id(video_id) and bool(temp_files_of(temp_dir, video_id))


def receive(
    stream, temp_dir: str, max_bytes: int, expected: int | None, video_id: str | None = None
) -> tuple[str, int]:
    """Write the body to `<temp>/sources/<id>.part` (vs_common.layout); returns (id, size).

    `video_id` is the caller's id for the upload (upload-webapp picks it, so that it
    can remove whatever is left if it loses track of the request); else a new one.
    The body is read and written in UPLOAD_CHUNK pieces (the sender's chunks): memory use does not grow with it.
    """
    video_id = video_id or new_video_id()
    sources_dir(temp_dir)
    part = layout.part_path(temp_dir, video_id)
    out = open(part, "xb", buffering=0)  # noqa: SIM115 - FileExistsError: that id is taken
    size = 0
    try:
        with out:
            while True:
                chunk = stream.read(UPLOAD_CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if size > max_bytes:
                    raise TooLarge(f"The file is larger than the limit of {max_bytes} bytes.")
                view = memoryview(chunk)
                while view:  # an unbuffered write may write less than asked
                    view = view[out.write(view) :]
        if expected is not None and size != expected:
            raise IncompleteUpload(f"The upload ended after {size} of {expected} bytes.")
        if size == 0:
            raise NotAVideo("The file is empty: it is not a playable video.")
    except OSError as exc:
        part.unlink(missing_ok=True)
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise TempFull("The server's temporary storage is full; try again later.") from exc
        raise IncompleteUpload(f"The upload was interrupted ({exc.__class__.__name__}).") from exc
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return video_id, size


def validate(temp_dir: str, video_id: str, budget: Budget) -> tuple[Probe, Path]:
    """Probe the received file (`receive`'s); rename it to its real extension. Removes it if bad."""
    part = layout.part_path(temp_dir, video_id)
    try:
        probe = probe_file(str(part), budget)
        check_complete(str(part), probe, budget)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    final = layout.source_path(temp_dir, video_id, probe.ext)
    os.replace(part, final)
    return probe, final


def adopt(video_id: str, src: Path, temp_dir: str, budget: Budget) -> tuple[Probe, Path]:
    """A file received elsewhere in the temp volume (a resumable upload): probe it where
    it is, then link it in as the upload of `video_id` for the packager (a hard link: the
    same file system; the owner removes its own name for it afterwards). Idempotent."""
    probe = probe_file(str(src), budget)
    check_complete(str(src), probe, budget)
    sources_dir(temp_dir)
    final = layout.source_path(temp_dir, video_id, probe.ext)
    if not final.exists():
        tmp = layout.source_path(temp_dir, video_id, ".link")
        tmp.unlink(missing_ok=True)
        try:
            os.link(src, tmp)
        except OSError:
            shutil.copyfile(src, tmp)
        os.replace(tmp, final)
    return probe, final


def original_key(video_id: str, probe: Probe) -> str:
    return layout.original(video_id, probe.ext)
