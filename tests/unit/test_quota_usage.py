"""`vs_common.tables.videos.usage` and `vs_common.quotas.usage`: what counts against a person's quota, on SQLite."""

from __future__ import annotations

from datetime import timedelta

import pytest

pytestmark = pytest.mark.fast


def test_usage_counts_originals_renditions_and_unfinished_uploads(tmp_path):
    from vs_common import quotas
    from vs_common.catalogue import insert_video
    from vs_common.db import Database, utcnow
    from vs_common.schema import migrate
    from vs_common.settings import Settings
    from vs_common.tables import videos

    settings = Settings(db_path=str(tmp_path / "usage.sqlite3"), storage_dir=str(tmp_path))
    db = Database(settings)
    migrate(db)
    now = utcnow()
    for vid, owner, size in (("v1", "carol", 1000), ("v2", "carol", 500), ("v3", "dave", 7)):
        insert_video(db, settings, video_id=vid, name=vid, owner=owner, size_bytes=size, original_key="k")
    for vid, height, nbytes in (("v1", 360, 200), ("v1", 720, 300), ("v2", 360, None), ("v3", 360, 99)):
        db.execute(
            "INSERT INTO renditions (video_id, height, frame_width, frame_height, status, bytes, created_at, "
            "updated_at) VALUES (?, ?, 1, ?, 'ready', ?, ?, ?)",
            (vid, height, height, nbytes, now, now),
        )
    for uid, owner, size, video, expires in (
        ("u1", "carol", 40, None, now + timedelta(hours=1)),  # unfinished: counted
        ("u2", "carol", 50, "v1", now + timedelta(hours=1)),  # a video now: counted as the video
        ("u3", "carol", 60, None, now - timedelta(hours=1)),  # expired: not counted
    ):
        db.execute(
            "INSERT INTO uploads (id, owner, size_bytes, filename, video_id, created_at, updated_at, expires_at) "
            "VALUES (?, ?, ?, 'f.mp4', ?, ?, ?, ?)",
            (uid, owner, size, video, now, now, expires),
        )
    assert videos.usage(db, "carol") == (1000 + 500 + 200 + 300, 2)  # the catalogue's rows alone
    assert quotas.usage(db, "carol", now) == quotas.Usage(1000 + 500 + 200 + 300 + 40, 2 + 1)
    assert videos.usage(db, "dave") == (7 + 99, 1)
    assert videos.usage(db, "nobody") == (0, 0)
