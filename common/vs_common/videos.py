"""The `videos` catalogue and its packaging jobs: the queries every service shares."""

from __future__ import annotations

import json
import secrets

from . import jobs, layout
from .db import Cursor, Database, as_datetime, utcnow
from .settings import Settings

# The renditions table names a rendition's nominal height (the short side: 360 for 640x360
# and for 360x640) `label` and its pixel size `width` x `height` (renamed by a later
# migration). Code reads them as `height`, `frame_width` and `frame_height`: mapped here,
# in every read of the table, and in the parameters of its writes.
_RENDITION_COLUMNS = (
    "video_id, label AS height, width AS frame_width, height AS frame_height, copied, status, error, bytes, "
    "bandwidth, average_bandwidth, codecs, frame_rate, created_at, updated_at"
)


def new_video_id() -> str:
    """A random URL-safe id (16 characters, 96 bits), never sequential."""
    return secrets.token_urlsafe(12)


def video_path_for(settings: Settings, video_id: str) -> str:
    """The storage URL of the master playlist, as the spec's `video_path` column."""
    key = layout.master(video_id)
    if settings.storage_backend == "s3":
        return f"s3://{settings.s3_bucket}/{key}"
    return f"local://{key}"


def _iso(value) -> str | None:
    dt = as_datetime(value)
    return None if dt is None else dt.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def to_json(row: dict, streaming_public_url: str) -> dict:
    """A row (with its `renditions` and `phase` attached by get_video/list_videos) as the
    VIDEO object of design.md."""
    base = streaming_public_url.rstrip("/")
    renditions = [
        {"height": r["height"], "status": r["status"], "error": r["error"] if r["status"] == "failed" else None}
        for r in row.get("renditions") or []
    ]
    return {
        "id": row["id"],
        "video_name": row["video_name"],
        "video_path": row["video_path"],
        "owner": row["owner"],
        "status": row["status"],
        "error": row["error"] if row["status"] == "failed" else None,
        "duration_s": row["duration_s"],
        "width": row["width"],
        "height": row["height"],
        "size_bytes": row["size_bytes"],
        "renditions": renditions,
        "captions": [caption_json(c, base, row["id"]) for c in row.get("captions") or []],
        "phase": row.get("phase") if row["status"] == "processing" else None,
        "created_at": _iso(row["created_at"]),
        "updated_at": _iso(row["updated_at"]),
        "poster_url": f"{base}/{layout.poster(row['id'])}",
        "watch_url": f"{base}/videos/{row['id']}",
        # The library's hover pictures, listed once they are published (never asked for before).
        "thumbnails": [f"{base}/{layout.thumb(row['id'], name)}" for name in layout.THUMBNAILS]
        if row.get("thumbnails")
        else [],
    }


def insert_video(
    db: Database,
    settings: Settings,
    *,
    video_id: str,
    name: str,
    owner: str,
    size_bytes: int,
    original_key: str,
    probe: dict | None = None,
) -> dict:
    """Insert the row and its first packaging job in one transaction; return the row.
    `probe` is file-svc's probe of the upload, kept so that packaging need not probe again."""
    now = utcnow()
    row = {
        "id": video_id,
        "video_name": name,
        "video_path": video_path_for(settings, video_id),
        "owner": owner,
        "status": "processing",
        "error": None,
        "duration_s": None,
        "width": None,
        "height": None,
        "size_bytes": size_bytes,
        "original_key": original_key,
        "probe": json.dumps(probe) if probe is not None else None,
        "created_at": now,
        "updated_at": now,
    }
    with db.transaction() as cur:
        cols = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        cur.execute(f"INSERT INTO videos ({cols}) VALUES ({marks})", list(row.values()))
        jobs.enqueue(cur, video_id, jobs.FIRST, now=now)
    return row


def _attach(db: Database, rows: list[dict]) -> list[dict]:
    """Each row with its renditions (smallest first), its caption tracks and, while
    processing, its phase."""
    if not rows:
        return rows
    ids = [r["id"] for r in rows]
    marks = ", ".join("?" for _ in ids)
    by_video: dict[str, list[dict]] = {}
    for r in db.query(f"SELECT {_RENDITION_COLUMNS} FROM renditions WHERE video_id IN ({marks}) ORDER BY label", ids):
        by_video.setdefault(r["video_id"], []).append(r)
    tracks: dict[str, list[dict]] = {}
    for c in db.query(
        f"SELECT * FROM captions WHERE video_id IN ({marks}) AND file_name IS NOT NULL ORDER BY language", ids
    ):
        tracks.setdefault(c["video_id"], []).append(c)
    phase = jobs.phases(db, [r["id"] for r in rows if r["status"] == "processing"])
    thumbed = jobs.thumbnails_made(db, [r["id"] for r in rows if r["status"] == "ready"])
    for row in rows:
        row["renditions"] = by_video.get(row["id"], [])
        row["captions"] = tracks.get(row["id"], [])
        row["phase"] = phase.get(row["id"])
        row["thumbnails"] = row["id"] in thumbed
    return rows


def video_row(db: Database, video_id: str) -> dict | None:
    """The bare row of a video (what packaging reads), or None."""
    return db.query_one("SELECT * FROM videos WHERE id = ?", (video_id,))


def video_exists(db: Database, video_id: str) -> bool:
    return db.query_one("SELECT id FROM videos WHERE id = ?", (video_id,)) is not None


def deleted_before(db: Database, before) -> list[str]:
    """Videos deleted before `before` (tombstones the sweep still clears objects of)."""
    return [r["video_id"] for r in db.query("SELECT video_id FROM deleted_videos WHERE deleted_at < ?", (before,))]


def get_video(db: Database, video_id: str) -> dict | None:
    """The row of a video, with its renditions and phase, or None."""
    row = video_row(db, video_id)
    return _attach(db, [row])[0] if row else None


def list_videos(
    db: Database, *, q: str = "", owner: str | None = None, limit: int = 24, offset: int = 0
) -> tuple[list[dict], int]:
    """Newest first; `q` matches names case-insensitively as a literal substring."""
    where, params = [], []
    if q:
        escaped = q.lower().replace("!", "!!").replace("%", "!%").replace("_", "!_")
        where.append("LOWER(video_name) LIKE ? ESCAPE '!'")
        params.append(f"%{escaped}%")
    if owner is not None:
        where.append("owner = ?")
        params.append(owner)
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    with db.transaction() as cur:
        total = cur.execute(f"SELECT COUNT(*) AS n FROM videos {clause}", params).fetchone()["n"]
        rows = cur.execute(
            f"SELECT * FROM videos {clause} ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?",
            [*params, limit, offset],
        ).fetchall()
    return _attach(db, rows), int(total)


def rename_video(db: Database, video_id: str, name: str) -> None:
    db.execute("UPDATE videos SET video_name = ?, updated_at = ? WHERE id = ?", (name, utcnow(), video_id))


def delete_video_row(db: Database, video_id: str) -> bool:
    """Remove the row (its jobs, renditions and captions go with it) and leave a tombstone, so that
    objects a racing packager wrote after the caller's first removal are removed too
    (by the caller's second pass, else by the packager's sweep). False if it was gone."""
    with db.transaction() as cur:
        if cur.execute(f"SELECT id FROM videos WHERE id = ?{db.for_update}", (video_id,)).fetchone() is None:
            return False
        cur.execute("DELETE FROM packaging_jobs WHERE video_id = ?", (video_id,))
        cur.execute("DELETE FROM renditions WHERE video_id = ?", (video_id,))
        cur.execute("DELETE FROM captions WHERE video_id = ?", (video_id,))
        gone = cur.execute("DELETE FROM videos WHERE id = ?", (video_id,)).rowcount
        if gone:
            cur.execute("DELETE FROM deleted_videos WHERE video_id = ?", (video_id,))
            cur.execute("INSERT INTO deleted_videos (video_id, deleted_at) VALUES (?, ?)", (video_id, utcnow()))
    return bool(gone)


def forget_deleted(db: Database, video_id: str) -> None:
    """Every object of a deleted video is gone: drop its tombstone."""
    db.execute("DELETE FROM deleted_videos WHERE video_id = ?", (video_id,))


def retry_video(db: Database, video_id: str) -> bool:
    """Re-queue what failed: a failed video's whole packaging, or a ready video's failed
    renditions (and thumbnails) alone. False if nothing of it has failed (any more)."""
    now = utcnow()
    with db.transaction() as cur:
        row = cur.execute(f"SELECT status FROM videos WHERE id = ?{db.for_update}", (video_id,)).fetchone()
        if row is None:
            return False
        if row["status"] == "failed":
            cur.execute(
                "UPDATE videos SET status = 'processing', error = NULL, updated_at = ? WHERE id = ?", (now, video_id)
            )
            cur.execute("DELETE FROM packaging_jobs WHERE video_id = ?", (video_id,))
            cur.execute("DELETE FROM renditions WHERE video_id = ?", (video_id,))
            jobs.enqueue(cur, video_id, jobs.FIRST, now=now)
            return True
        if row["status"] != "ready":
            return False
        failed = cur.execute(
            "SELECT label AS height FROM renditions WHERE video_id = ? AND status = 'failed'", (video_id,)
        ).fetchall()
        thumbs = cur.execute(
            "SELECT id FROM packaging_jobs WHERE video_id = ? AND stage = ? AND status = 'failed'",
            (video_id, jobs.THUMBS),
        ).fetchall()
        if not failed and not thumbs:
            return False
        for r in failed:
            cur.execute(
                "UPDATE renditions SET status = 'pending', error = NULL, updated_at = ? WHERE video_id = ? AND label = ?",
                (now, video_id, r["height"]),
            )
            jobs.enqueue(cur, video_id, jobs.RENDITION, r["height"], now=now)
        if thumbs:
            jobs.enqueue(cur, video_id, jobs.THUMBS, now=now)
        cur.execute("UPDATE videos SET updated_at = ? WHERE id = ?", (now, video_id))
    return True


# -- renditions (written by the packager) ---------------------------------------------


def set_media(cur: Cursor, video_id: str, duration_s: float | None, width: int, height: int) -> None:
    """What the probe found: the duration and the displayed size."""
    cur.execute(
        "UPDATE videos SET duration_s = ?, width = ?, height = ?, updated_at = ? WHERE id = ?",
        (duration_s, width, height, utcnow(), video_id),
    )


def mark_ready(cur: Cursor, video_id: str) -> None:
    cur.execute("UPDATE videos SET status = 'ready', error = NULL, updated_at = ? WHERE id = ?", (utcnow(), video_id))


def mark_failed(cur: Cursor, video_id: str, reason: str) -> None:
    """A video whose packaging failed for good: `failed` with the reason, no renditions."""
    cur.execute(
        "UPDATE videos SET status = 'failed', error = ?, updated_at = ? WHERE id = ? AND status = 'processing'",
        (reason[:1000], utcnow(), video_id),
    )
    cur.execute("DELETE FROM renditions WHERE video_id = ?", (video_id,))  # none was published


def set_playlist_attributes(cur: Cursor, video_id: str, r: dict) -> None:
    """A rendition's master-playlist attributes (`r`: its height, frame_width,
    frame_height, bandwidth, average_bandwidth, codecs and frame_rate)."""
    cur.execute(
        "UPDATE renditions SET width = ?, height = ?, bandwidth = ?, average_bandwidth = ?, codecs = ?, "
        "frame_rate = ? WHERE video_id = ? AND label = ?",
        (
            r["frame_width"],
            r["frame_height"],
            r["bandwidth"],
            r["average_bandwidth"],
            r["codecs"],
            r["frame_rate"],
            video_id,
            r["height"],
        ),
    )


def uploaded_caption_languages(db: Database, video_id: str) -> frozenset[str]:
    """The languages the owner gave tracks for (they stand over embedded ones)."""
    rows = db.query("SELECT language FROM captions WHERE video_id = ? AND source = 'upload'", (video_id,))
    return frozenset(r["language"] for r in rows)


def plan_renditions(cur: Cursor, video_id: str, renditions: list[tuple[int, int, int, bool]]) -> None:
    """The renditions a video will have, all pending: (height, frame_width, frame_height, copied)."""
    now = utcnow()
    # Delete only when there is something to delete: on MariaDB a DELETE that finds no row
    # still locks the index gap it looked in, and two first stages doing that for two new
    # videos, then inserting into that gap, deadlock (seen with two packagers). A plain
    # read takes no lock; the video's row lock (jobs.owned) keeps its renditions ours.
    if cur.execute("SELECT 1 FROM renditions WHERE video_id = ? LIMIT 1", (video_id,)).fetchone() is not None:
        cur.execute("DELETE FROM renditions WHERE video_id = ?", (video_id,))
    for height, frame_width, frame_height, copied in renditions:
        cur.execute(
            "INSERT INTO renditions (video_id, label, width, height, copied, status, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, 'pending', ?, ?)",
            (video_id, height, frame_width, frame_height, int(copied), now, now),
        )


def rendition_ready(cur: Cursor, video_id: str, height: int, stats: dict) -> None:
    """A rendition is published: its playlist attributes (bandwidth, average_bandwidth,
    codecs, frame_rate) go with it, for the master playlist's writer."""
    cur.execute(
        "UPDATE renditions SET status = 'ready', error = NULL, bandwidth = ?, average_bandwidth = ?, codecs = ?, "
        "frame_rate = ?, updated_at = ? WHERE video_id = ? AND label = ?",
        (
            stats["bandwidth"],
            stats["average_bandwidth"],
            stats["codecs"],
            stats["frame_rate"],
            utcnow(),
            video_id,
            height,
        ),
    )
    cur.execute("UPDATE videos SET updated_at = ? WHERE id = ?", (utcnow(), video_id))


def reserve_output(cur: Cursor, video_id: str, height: int, nbytes: int, allowed: int) -> bool:
    """Count a rendition's `nbytes` against the video's output budget (`allowed` bytes in
    all); False, and nothing counted, if they do not fit. Run under the video's row lock,
    so that two renditions finishing at once cannot both take the last of it."""
    if output_used(cur, video_id, height) + nbytes > allowed:
        return False
    cur.execute("UPDATE renditions SET bytes = ? WHERE video_id = ? AND label = ?", (nbytes, video_id, height))
    return True


def output_used(cur: Cursor, video_id: str, height: int) -> int:
    """Bytes the video's other renditions store (or have reserved)."""
    row = cur.execute(
        "SELECT COALESCE(SUM(bytes), 0) AS n FROM renditions WHERE video_id = ? AND label <> ? AND bytes IS NOT NULL",
        (video_id, height),
    ).fetchone()
    return int(row["n"])


def rendition_failed(cur: Cursor, video_id: str, height: int, reason: str) -> None:
    cur.execute(
        "UPDATE renditions SET status = 'failed', error = ?, bytes = NULL, updated_at = ? "
        "WHERE video_id = ? AND label = ?",
        (reason[:1000], utcnow(), video_id, height),
    )
    cur.execute("UPDATE videos SET updated_at = ? WHERE id = ?", (utcnow(), video_id))


def rendition_row(db: Database, video_id: str, height: int) -> dict | None:
    return db.query_one(
        f"SELECT {_RENDITION_COLUMNS} FROM renditions WHERE video_id = ? AND label = ?", (video_id, height)
    )


def ready_renditions(cur: Cursor, video_id: str) -> list[dict]:
    """The published renditions of a video, best first (the master playlist's order)."""
    return cur.execute(
        f"SELECT {_RENDITION_COLUMNS} FROM renditions WHERE video_id = ? AND status = 'ready' ORDER BY label DESC",
        (video_id,),
    ).fetchall()


# -- caption tracks (written by file-svc: its caption routes and the packager) ----------


def caption_json(row: dict, base: str, video_id: str) -> dict:
    """A track as VIDEO's `captions` list has it: `url` is its WebVTT file on streaming-svc."""
    return {
        "language": row["language"],
        "label": row["label"],
        "default": bool(row["is_default"]),
        "url": f"{base.rstrip('/')}/{layout.caption(video_id, row['file_name'])}",
    }


def new_caption_file_name(language: str, source: str) -> str:
    """A name never used before for a track's files (`en.u1f2e3d4c`): a replaced track
    is fetched anew, whatever a browser cached of the old one."""
    return f"{language}.{'e' if source == 'embedded' else 'u'}{secrets.token_hex(4)}"


def captions_of(cur: Cursor, video_id: str, published_only: bool = True) -> list[dict]:
    """A video's caption rows by language; only those with files unless asked."""
    where = " AND file_name IS NOT NULL" if published_only else ""
    return cur.execute(f"SELECT * FROM captions WHERE video_id = ?{where} ORDER BY language", (video_id,)).fetchall()


def caption_row(cur: Cursor, video_id: str, language: str) -> dict | None:
    return cur.execute("SELECT * FROM captions WHERE video_id = ? AND language = ?", (video_id, language)).fetchone()


def put_caption(
    cur: Cursor,
    video_id: str,
    language: str,
    *,
    label: str,
    is_default: bool,
    source: str,
    file_name: str | None,
    note: str | None = None,
) -> dict | None:
    """Add the track of `language`, or replace it; a default track makes the others not
    default. Run under the video's row lock. Returns the row it replaced, or None."""
    now = utcnow()
    old = caption_row(cur, video_id, language)
    if is_default:
        cur.execute(
            "UPDATE captions SET is_default = 0, updated_at = ? WHERE video_id = ? AND language <> ? AND is_default = 1",
            (now, video_id, language),
        )
    if old is None:
        cur.execute(
            "INSERT INTO captions (video_id, language, label, is_default, source, file_name, note, created_at, "
            "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (video_id, language, label, int(is_default), source, file_name, note, now, now),
        )
    else:
        cur.execute(
            "UPDATE captions SET label = ?, is_default = ?, source = ?, file_name = ?, note = ?, updated_at = ? "
            "WHERE video_id = ? AND language = ?",
            (label, int(is_default), source, file_name, note, now, video_id, language),
        )
    cur.execute("UPDATE videos SET updated_at = ? WHERE id = ?", (now, video_id))
    return old


def delete_caption(cur: Cursor, video_id: str, language: str) -> dict | None:
    """Remove the track of `language` (run under the video's row lock); the removed row, or None."""
    old = caption_row(cur, video_id, language)
    if old is not None:
        cur.execute("DELETE FROM captions WHERE video_id = ? AND language = ?", (video_id, language))
        cur.execute("UPDATE videos SET updated_at = ? WHERE id = ?", (utcnow(), video_id))
    return old


def restore_captions(cur: Cursor, video_id: str, rows: list[dict]) -> None:
    """Put the caption rows of a video back as they were (`rows`: all of them, as
    captions_of(published_only=False) read them), undoing a change whose master could
    not be published."""
    cur.execute("DELETE FROM captions WHERE video_id = ?", (video_id,))
    for r in rows:
        cur.execute(
            "INSERT INTO captions (video_id, language, label, is_default, source, file_name, note, created_at, "
            "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                video_id,
                r["language"],
                r["label"],
                r["is_default"],
                r["source"],
                r["file_name"],
                r["note"],
                r["created_at"],
                r["updated_at"],
            ),
        )
