"""Caption tracks in the store and the catalogue, for file-svc's caption routes and the
packager (subtitle streams embedded in an upload).

A track is two objects under `videos/<id>/hls/captions/`, named `<language>.<version>`
(vs_common.layout.new_caption_file_name): the WebVTT file, whose X-TIMESTAMP-MAP puts
its time 0 where the segments put the source's (media.playlists.TS_START_PTS), and its media
playlist (one segment: the whole file, as long as the video). The HLS read routes serve
both as they are: the WebVTT as text/vtt under the year-long cache of segments, which a
new version never meets since its name is new; the playlist `no-cache`.

Adding, replacing or removing a track: the new files are put first; then the row is
changed under the video's row lock; then the master is written by its one writer
(master.publish_master, which also leaves it alone while nothing is playable: the
first rendition's call names the tracks then); then the old files go, once the master no
longer names them. A failure on the way undoes what was done (the new files, the row
change), so nothing half-written stays; the answer is then 503 (or 404, the video gone).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

from vs_common import captions, layout, tables
from vs_common.db import Database

from .master import publish_master
from .media import encoding, playlists
from .media.budget import Budget
from .media.errors import Cancelled, PackagingError

log = logging.getLogger(__name__)

# ffmpeg converts these to WebVTT; image-based ones (bitmaps) would need OCR.
TEXT_CODECS = frozenset({"mov_text", "subrip", "srt", "ass", "ssa", "webvtt", "text"})
IMAGE_CODECS = frozenset({"hdmv_pgs_subtitle", "dvd_subtitle", "dvb_subtitle", "xsub"})


class VideoGone(LookupError):
    """No such video (or it was deleted meanwhile)."""


def _lock(cur, video_id: str) -> None:
    """The video's row lock (tables.videos.lock); VideoGone if there is no such video."""
    if tables.videos.lock(cur, video_id) is None:
        raise VideoGone(video_id)


def _files(video_id: str, file_name: str) -> list[str]:
    return [layout.caption(video_id, file_name, ".vtt"), layout.caption(video_id, file_name, ".m3u8")]


def _remove(storage, objects: list[str]) -> None:
    """Best effort: what cannot be removed now (the store down) is logged."""
    for key in objects:
        try:
            storage.delete(key)
        except Exception as exc:  # noqa: BLE001 - the store down: an orphan, said in the log
            log.warning("could not remove %s: %s", key, exc)


def video_duration(row: dict) -> float | None:
    """The video's duration: from packaging, else from the probe made at upload."""
    if row.get("duration_s"):
        return float(row["duration_s"])
    try:
        probe = json.loads(row.get("probe") or "null") or {}
        return float(probe.get("duration_s") or 0) or None
    except (TypeError, ValueError):
        return None


def put_files(storage, video_id: str, file_name: str, vtt: str, duration_s: float) -> list[str]:
    """The WebVTT (with its X-TIMESTAMP-MAP) and its media playlist, the WebVTT first; the
    keys written. Nothing stays if one of them fails."""
    vtt_key, playlist_key = _files(video_id, file_name)
    body = captions.with_timestamp_map(vtt, playlists.TS_START_PTS).encode()
    try:
        storage.put_bytes(vtt_key, body)
        storage.put_bytes(playlist_key, playlists.caption_playlist(file_name, duration_s).encode())
    except BaseException:
        _remove(storage, [vtt_key, playlist_key])
        raise
    return [vtt_key, playlist_key]


def _duration_for(row: dict, cues: list[captions.Cue]) -> float:
    return video_duration(row) or max((c.end_ms for c in cues), default=0) / 1000


def _publish_or_undo(db: Database, storage, video_id: str, before: list[dict], new_objects: list[str]) -> None:
    """Write the master; if that fails, put the caption rows back as they were and remove
    the new files (kept if the rows could not be put back: they name them)."""
    try:
        if not publish_master(db, storage, video_id):
            raise VideoGone(video_id)
    except BaseException:
        restored = False
        try:
            with db.transaction() as cur:
                _lock(cur, video_id)
                tables.captions.restore(cur, video_id, before)
            restored = True
        except VideoGone:
            restored = True  # deleted: its rows went with it
        except Exception as exc:  # noqa: BLE001 - the database down too: the next master write names the track
            log.warning("could not undo a caption change of %s: %s", video_id, exc)
        if restored:
            _remove(storage, new_objects)
        raise


def store_track(
    db: Database, storage, video_id: str, language: str, *, vtt: str, label: str, is_default: bool, limit: int
) -> dict:
    """Add or replace the uploaded track of `language` (`vtt`: WebVTT as
    vs_common.captions wrote it; checked again here); the new catalogue row. VideoGone if
    there is no such video; CaptionError if the text is not such WebVTT."""
    language = captions.normalize_language(language)
    label = captions.check_label(label)
    vtt, cues = captions.to_webvtt(vtt.encode(), "track.vtt", limit)  # idempotent on what streaming-svc sent
    row = tables.videos.get(db, video_id)
    if row is None:
        raise VideoGone(video_id)
    file_name = layout.new_caption_file_name(language, "upload")
    new_objects = put_files(storage, video_id, file_name, vtt, _duration_for(row, cues))
    try:
        with db.transaction() as cur:
            _lock(cur, video_id)
            before = tables.captions.of(cur, video_id, published_only=False)
            old = tables.captions.put(
                cur, video_id, language, label=label, is_default=is_default, source="upload", file_name=file_name
            )
    except BaseException:
        _remove(storage, new_objects)
        raise
    _publish_or_undo(db, storage, video_id, before, new_objects)
    if old is not None and old["file_name"]:
        _remove(storage, _files(video_id, old["file_name"]))
    log.info("video %s: caption track %s %s (%d cues)", video_id, language, "replaced" if old else "added", len(cues))
    return {"language": language, "label": label, "is_default": is_default, "file_name": file_name}


def remove_track(db: Database, storage, video_id: str, language: str) -> bool:
    """Remove the track of `language`; False if the video has none. VideoGone if there is
    no such video."""
    with db.transaction() as cur:
        _lock(cur, video_id)
        before = tables.captions.of(cur, video_id, published_only=False)
        row = tables.captions.get(cur, video_id, language)
        if row is None or not row["file_name"]:
            return False
        tables.captions.delete(cur, video_id, language)
    _publish_or_undo(db, storage, video_id, before, [])
    _remove(storage, _files(video_id, row["file_name"]))
    log.info("video %s: caption track %s removed", video_id, language)
    return True


# -- subtitle streams embedded in an upload (the packager's first stage) -----------------


@dataclass
class Embedded:
    """A track made from the upload's subtitle streams; `vtt` None for a row that only
    notes streams that could not be kept."""

    language: str
    label: str
    vtt: str | None
    end_s: float
    note: str | None
    file_name: str | None = None


def embedded_tracks(
    src: Path, subtitles: list[dict], work: Path, *, budget: Budget, cancel=None, skip: frozenset = frozenset()
) -> list[Embedded]:
    """The upload's subtitle streams (the probe's `subtitles`) as tracks: text ones
    converted by ffmpeg and checked like uploads; the first of a language kept, others
    noted; image-based ones noted, never converted. A language in `skip` (an owner's
    upload) is left alone. Never fails but when cancelled: a stream that cannot be
    converted is a note, not a failure of the video."""
    chosen, notes = _choose(subtitles, skip)
    files = _extract(src, [n for n, _ in chosen.values()], work, budget, cancel)
    out: list[Embedded] = []
    for language, (n, stream) in chosen.items():
        what = f"subtitle stream {n + 1} ({stream.get('codec')}, {language})"
        try:
            vtt, cues = captions.to_webvtt(files[n].read_bytes(), "embedded.vtt")
        except (KeyError, OSError):
            notes.setdefault(language, []).append(f"{what} could not be converted")
            continue
        except captions.CaptionError as exc:
            notes.setdefault(language, []).append(f"{what} was not kept: {exc.message}")
            continue
        note = "; ".join(notes.pop(language, [])) or None
        label = captions.label_from_title(stream.get("title"), language)
        out.append(Embedded(language, label, vtt, max((c.end_ms for c in cues), default=0) / 1000, note))
    for language, said in notes.items():
        log.info("subtitle streams not kept (%s): %s", language, "; ".join(said))
        out.append(Embedded(language, captions.language_name(language), None, 0.0, "; ".join(said)[:2000]))
    return out


def _choose(subtitles: list[dict], skip: frozenset) -> tuple[dict[str, tuple[int, dict]], dict[str, list[str]]]:
    """The stream to convert for each language ({language: (ordinal, stream)}), and the
    notes on the others ({language: [what was not kept, and why]})."""
    chosen: dict[str, tuple[int, dict]] = {}
    notes: dict[str, list[str]] = {}
    for n, stream in enumerate(subtitles):
        codec = str(stream.get("codec") or "unknown")
        try:
            language = captions.normalize_language(stream.get("language") or "und")
        except captions.CaptionError:
            language = "und"
        what = f"subtitle stream {n + 1} ({codec}, {language})"
        if language in skip:
            log.info("%s: not kept, the owner uploaded a track of that language", what)
        elif codec in IMAGE_CODECS:
            notes.setdefault(language, []).append(f"{what} is image-based: not converted to text")
        elif codec not in TEXT_CODECS:
            notes.setdefault(language, []).append(f"{what} is of a kind that is not converted")
        elif language in chosen:
            notes.setdefault(language, []).append(f"{what} is a second {language} track: not kept (the first is)")
        else:
            chosen[language] = (n, stream)
    return chosen, notes


def _extract(src: Path, streams: list[int], work: Path, budget: Budget, cancel) -> dict[int, Path]:
    """The streams as WebVTT files: in one ffmpeg run, else (one of them is broken) each in
    a run of its own, so that a bad stream costs only itself."""
    if not streams:
        return {}
    log_path = work / "captions.log"
    try:
        return encoding.extract_subtitles(src, streams, work / "captions", budget, log_path, cancel)
    except Cancelled:
        raise
    except (PackagingError, OSError) as exc:
        log.warning("subtitle streams of %s could not be converted together: %s", src.name, exc)
    files: dict[int, Path] = {}
    for n in streams if len(streams) > 1 else ():
        try:
            files.update(encoding.extract_subtitles(src, [n], work / f"captions{n}", budget, log_path, cancel))
        except Cancelled:
            raise
        except (PackagingError, OSError) as exc:
            log.warning("subtitle stream %d of %s could not be converted: %s", n + 1, src.name, exc)
    return files


def publish_embedded(storage, video_id: str, tracks: list[Embedded], duration_s: float | None) -> None:
    """Put the files of the tracks that have text (each gets its `file_name`)."""
    for t in tracks:
        if t.vtt is not None:
            t.file_name = layout.new_caption_file_name(t.language, "embedded")
            put_files(storage, video_id, t.file_name, t.vtt, duration_s or t.end_s)


def record_embedded(cur, video_id: str, tracks: list[Embedded]) -> list[str]:
    """The tracks' rows (under the video's row lock), unless an upload of the language came
    meanwhile (it stands); the keys of the files no row names, for the caller to remove."""
    unused = []
    for t in tracks:
        existing = tables.captions.get(cur, video_id, t.language)
        if existing is not None and existing["source"] == "upload":
            unused += _files(video_id, t.file_name) if t.file_name else []
            continue
        tables.captions.put(
            cur,
            video_id,
            t.language,
            label=t.label,
            is_default=False,  # a stream's "default" flag is set by most muxers: captions stay off
            source="embedded",
            file_name=t.file_name,
            note=t.note,
        )
    return unused


def forget_embedded(db: Database, storage, video_id: str) -> None:
    """Before a fresh first-stage attempt: the tracks an earlier attempt made from the
    upload's streams (rows, then their files and any it put but never recorded)."""
    with db.transaction() as cur:
        if tables.videos.lock(cur, video_id) is None:
            return
        tables.captions.delete_embedded(cur, video_id)
    prefix = layout.captions_prefix(video_id)
    for key in storage.list_keys(prefix):
        name = key[len(prefix) :]
        if name.count(".") == 2 and name.split(".")[1].startswith("e"):
            storage.delete(key)
