"""The catalogue's schema as versioned migrations, for MariaDB and SQLite.

Every service calls `migrate(db)` at start-up: an empty database or an older one is
brought to the latest version. On MariaDB a named lock (GET_LOCK) keeps two services
starting at once from racing; on SQLite, BEGIN IMMEDIATE does. `database/` holds the
same schema as init SQL for the MariaDB image (`python -m vs_common.schema` prints it;
a test keeps the two in step).
"""

from __future__ import annotations

import logging

from .db import Database, utcnow

log = logging.getLogger(__name__)

_MARIADB_TABLE_OPTIONS = "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci"

# (version, description, {dialect: [statements]}). Append only; never edit a released one.
MIGRATIONS: list[tuple[int, str, dict[str, list[str]]]] = [
    (
        1,
        "videos, packaging_jobs, auth_sessions, login_attempts",
        {
            "mariadb": [
                f"""CREATE TABLE IF NOT EXISTS videos (
  id VARCHAR(32) NOT NULL PRIMARY KEY,
  video_name VARCHAR(200) NOT NULL,
  video_path VARCHAR(512) NOT NULL,
  owner VARCHAR(190) NOT NULL,
  status VARCHAR(16) NOT NULL,
  error TEXT NULL,
  duration_s DOUBLE NULL,
  width INT NULL,
  height INT NULL,
  size_bytes BIGINT NULL,
  renditions TEXT NOT NULL,
  original_key VARCHAR(255) NOT NULL,
  created_at DATETIME(6) NOT NULL,
  updated_at DATETIME(6) NOT NULL,
  KEY idx_videos_created (created_at),
  KEY idx_videos_owner_created (owner, created_at)
) {_MARIADB_TABLE_OPTIONS}""",
                f"""CREATE TABLE IF NOT EXISTS packaging_jobs (
  video_id VARCHAR(32) NOT NULL PRIMARY KEY,
  status VARCHAR(16) NOT NULL,
  attempts INT NOT NULL DEFAULT 0,
  claimed_by VARCHAR(64) NULL,
  lease_until DATETIME(6) NULL,
  last_error TEXT NULL,
  created_at DATETIME(6) NOT NULL,
  updated_at DATETIME(6) NOT NULL,
  KEY idx_jobs_status (status, lease_until),
  CONSTRAINT fk_jobs_video FOREIGN KEY (video_id) REFERENCES videos (id) ON DELETE CASCADE
) {_MARIADB_TABLE_OPTIONS}""",
                f"""CREATE TABLE IF NOT EXISTS auth_sessions (
  token_hash CHAR(64) NOT NULL PRIMARY KEY,
  username VARCHAR(190) NOT NULL,
  created_at DATETIME(6) NOT NULL,
  expires_at DATETIME(6) NOT NULL,
  revoked_at DATETIME(6) NULL,
  KEY idx_sessions_expires (expires_at)
) {_MARIADB_TABLE_OPTIONS}""",
                f"""CREATE TABLE IF NOT EXISTS login_attempts (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  client VARCHAR(64) NOT NULL,
  username VARCHAR(190) NOT NULL,
  attempted_at DATETIME(6) NOT NULL,
  KEY idx_attempts_client (client, attempted_at)
) {_MARIADB_TABLE_OPTIONS}""",
            ],
            "sqlite": [
                """CREATE TABLE IF NOT EXISTS videos (
  id TEXT NOT NULL PRIMARY KEY,
  video_name TEXT NOT NULL,
  video_path TEXT NOT NULL,
  owner TEXT NOT NULL,
  status TEXT NOT NULL,
  error TEXT NULL,
  duration_s REAL NULL,
  width INTEGER NULL,
  height INTEGER NULL,
  size_bytes INTEGER NULL,
  renditions TEXT NOT NULL,
  original_key TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
)""",
                "CREATE INDEX IF NOT EXISTS idx_videos_created ON videos (created_at)",
                "CREATE INDEX IF NOT EXISTS idx_videos_owner_created ON videos (owner, created_at)",
                """CREATE TABLE IF NOT EXISTS packaging_jobs (
  video_id TEXT NOT NULL PRIMARY KEY REFERENCES videos (id) ON DELETE CASCADE,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  claimed_by TEXT NULL,
  lease_until TEXT NULL,
  last_error TEXT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
)""",
                "CREATE INDEX IF NOT EXISTS idx_jobs_status ON packaging_jobs (status, lease_until)",
                """CREATE TABLE IF NOT EXISTS auth_sessions (
  token_hash TEXT NOT NULL PRIMARY KEY,
  username TEXT NOT NULL,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  revoked_at TEXT NULL
)""",
                "CREATE INDEX IF NOT EXISTS idx_sessions_expires ON auth_sessions (expires_at)",
                """CREATE TABLE IF NOT EXISTS login_attempts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  client TEXT NOT NULL,
  username TEXT NOT NULL,
  attempted_at TEXT NOT NULL
)""",
                "CREATE INDEX IF NOT EXISTS idx_attempts_client ON login_attempts (client, attempted_at)",
            ],
        },
    ),
]

MIGRATIONS.append(
    (
        2,
        "video ids compared byte for byte (ascii_nopad_bin), not case-insensitively",
        {
            "mariadb": [
                "ALTER TABLE packaging_jobs DROP FOREIGN KEY fk_jobs_video",
                "ALTER TABLE videos MODIFY id VARCHAR(32) CHARACTER SET ascii COLLATE ascii_nopad_bin NOT NULL",
                "ALTER TABLE packaging_jobs MODIFY video_id VARCHAR(32) CHARACTER SET ascii COLLATE ascii_nopad_bin NOT NULL",
                "ALTER TABLE packaging_jobs ADD CONSTRAINT fk_jobs_video FOREIGN KEY (video_id) "
                "REFERENCES videos (id) ON DELETE CASCADE",
            ],
            "sqlite": [],  # SQLite compares TEXT byte for byte already
        },
    )
)

LATEST = MIGRATIONS[-1][0]

_VERSIONS_TABLE = {
    "mariadb": "CREATE TABLE IF NOT EXISTS schema_migrations (version INT NOT NULL PRIMARY KEY, "
    f"description VARCHAR(200) NOT NULL, applied_at DATETIME(6) NOT NULL) {_MARIADB_TABLE_OPTIONS}",
    "sqlite": "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER NOT NULL PRIMARY KEY, "
    "description TEXT NOT NULL, applied_at TEXT NOT NULL)",
}


def migrate(db: Database) -> int:
    """Apply the migrations this database lacks; return the schema version."""
    conn = db._conn()
    if db.dialect == "mariadb":
        with conn.cursor() as c:
            c.execute("SELECT GET_LOCK('video_db_migrations', 60) AS got")
            if c.fetchone()["got"] != 1:
                raise RuntimeError("could not take the migration lock within 60 s")
    try:
        with db.transaction() as cur:
            cur.execute(_VERSIONS_TABLE[db.dialect])
        with db.transaction() as cur:
            done = {r["version"] for r in cur.execute("SELECT version FROM schema_migrations").fetchall()}
        for version, description, statements in MIGRATIONS:
            if version in done:
                continue
            log.info("applying schema migration %d: %s", version, description)
            # MariaDB commits DDL implicitly; each statement is idempotent (IF NOT EXISTS).
            with db.transaction() as cur:
                for sql in statements[db.dialect]:
                    cur.execute(sql)
                cur.execute(
                    "INSERT INTO schema_migrations (version, description, applied_at) VALUES (?, ?, ?)",
                    (version, description, utcnow()),
                )
        return LATEST
    finally:
        if db.dialect == "mariadb":
            with conn.cursor() as c:
                c.execute("DO RELEASE_LOCK('video_db_migrations')")


def init_sql() -> str:
    """The MariaDB init script for `database/` (the schema at its latest version)."""
    out = [
        "-- Generated by `python -m vs_common.schema`; do not edit by hand.",
        "-- The MariaDB image runs this on first start, in MYSQL_DATABASE (video_db).",
        "-- The application user comes from MYSQL_USER / MYSQL_PASSWORD (DB_USER / DB_PASS).",
        "",
        _VERSIONS_TABLE["mariadb"].replace("IF NOT EXISTS ", "IF NOT EXISTS ") + ";",
        "",
    ]
    for version, description, statements in MIGRATIONS:
        out.append(f"-- migration {version}: {description}")
        for sql in statements["mariadb"]:
            out.append(sql + ";")
            out.append("")
        out.append(
            "INSERT IGNORE INTO schema_migrations (version, description, applied_at) "
            f"VALUES ({version}, '{description}', UTC_TIMESTAMP(6));"
        )
        out.append("")
    return "\n".join(out)


if __name__ == "__main__":
    print(init_sql(), end="")
