"""What a stack holds, read from behind the services: its database's rows, its stored
objects (S3 bucket or storage folder) and its temp folder. The tests compare these
before and after a failure: nothing may be left half-written."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .stack import Stack


class StackState:
    """A stack's database, store and temp folder, read directly (never through its API)."""

    def __init__(self, stack: Stack):
        self.stack = stack

    def query(self, sql: str, params=()) -> list[dict]:
        """A query on the stack's database (MariaDB or SQLite): `?` placeholders.

        A MariaDB stack needs `stack.mariadb` (set by the fixtures)."""
        env = self.stack.env
        if env.get("DB_HOST"):
            from vs_common.db import pyformat  # the services' own `?` rewriting

            return self.stack.mariadb.query(pyformat(sql), params, database=env["DB_NAME"])
        with sqlite3.connect(env["DB_PATH"]) as conn:
            conn.row_factory = sqlite3.Row
            return [dict(r) for r in conn.execute(sql, params).fetchall()]

    def jobs(self, video_id: str) -> list[dict]:
        """The packaging jobs of a video (stage, height, status, attempts...), oldest first."""
        return self.query("SELECT * FROM packaging_jobs WHERE video_id = ? ORDER BY id", (video_id,))

    def objects(self, prefix: str = "videos/") -> list[str]:
        """The stored objects' keys under `prefix`, sorted: the stack's S3 bucket (needs
        `stack.s3`), or the files of its storage folder named as keys."""
        st = self.stack
        if st.env.get("STORAGE_BACKEND") == "s3":
            return sorted(st.s3.keys(prefix, bucket=st.env["S3_BUCKET"]))
        folder = st.storage_dir / prefix.rpartition("/")[0]  # the deepest folder the prefix names
        keys = (str(p.relative_to(st.storage_dir)) for p in folder.rglob("*") if p.is_file())
        return sorted(k for k in keys if k.startswith(prefix))

    def multipart_uploads(self) -> list[str]:
        """The keys of the S3 multipart uploads begun and never completed nor aborted."""
        st = self.stack
        if st.env.get("STORAGE_BACKEND") != "s3":
            return []
        return sorted(u["Key"] for u in st.s3.multipart_uploads(bucket=st.env["S3_BUCKET"]))

    def temp_files(self) -> list[str]:
        temp = self.stack.temp_dir
        if not temp.exists():
            return []
        return sorted(str(p.relative_to(temp)) for p in temp.rglob("*") if p.is_file())

    def snapshot(self) -> dict:
        """What a failure could leave behind, by name: video ids, the number of jobs,
        object keys, multipart uploads' keys, temp files."""
        return {
            "rows": sorted(r["id"] for r in self.query("SELECT id FROM videos")),
            "jobs": int(self.query("SELECT COUNT(*) AS n FROM packaging_jobs")[0]["n"]),
            "objects": self.objects(),
            "multipart": self.multipart_uploads(),
            "temp": self.temp_files(),
        }

    def counts(self) -> dict[str, int]:
        """The snapshot's numbers: rows, jobs, objects, multipart uploads, temp files."""
        snap = self.snapshot()
        return {
            "rows": len(snap["rows"]),
            "jobs": snap["jobs"],
            "objects": len(snap["objects"]),
            "multipart_uploads": len(snap["multipart"]),
            "temp_files": len(snap["temp"]),
        }
