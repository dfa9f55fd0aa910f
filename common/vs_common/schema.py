"""The catalogue's schema as versioned migrations, for MariaDB and SQLite.

auth-svc, upload-webapp, streaming-svc and the packager call `migrate(db)` at start-up
(file-svc does not: it reads and writes rows of the schema they made): an empty database
or an older one is brought to the latest version. On MariaDB a named lock (GET_LOCK) keeps two services
starting at once from racing; on SQLite, BEGIN IMMEDIATE does. `database/` holds the
same schema as init SQL for the MariaDB image (`python -m vs_common.schema` prints it;
a test keeps the two in step).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

from .db import Database, utcnow

log = logging.getLogger(__name__)

_MARIADB_TABLE_OPTIONS = "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci"

# (version, description, {dialect: [statements]}). Append only; never edit a released one.
# A statement is SQL, or a function of the cursor for a data step.
MIGRATIONS: list[tuple[int, str, dict[str, list[str | Callable]]]] = [
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

_ID_MARIADB = "VARCHAR(32) CHARACTER SET ascii COLLATE ascii_nopad_bin NOT NULL"


def _renditions_from_json(cur) -> None:
    """Data step of migration 3: the `videos.renditions` JSON lists become rows."""
    now = utcnow()
    for row in cur.execute("SELECT id, renditions FROM videos").fetchall():
        try:
            listed = json.loads(row["renditions"] or "[]")
        except ValueError:
            listed = []
        for r in listed:
            if not isinstance(r, dict) or not isinstance(r.get("height"), int):
                continue
            status = r.get("status") if r.get("status") in ("pending", "ready", "failed") else "failed"
            cur.execute(
                "INSERT INTO renditions (video_id, label, width, height, copied, status, error, created_at, updated_at) "
                "VALUES (?, ?, 0, 0, 0, ?, ?, ?, ?)",
                (row["id"], r["height"], status, None if status != "failed" else "interrupted by an upgrade", now, now),
            )


MIGRATIONS.append(
    (
        3,
        "packaging stages as separate jobs; renditions as rows; the probe made at upload kept; delete tombstones",
        {
            "mariadb": [
                f"""CREATE TABLE renditions (
  video_id {_ID_MARIADB},
  label INT NOT NULL,
  width INT NOT NULL,
  height INT NOT NULL,
  copied TINYINT NOT NULL DEFAULT 0,
  status VARCHAR(16) NOT NULL,
  error TEXT NULL,
  bandwidth BIGINT NULL,
  average_bandwidth BIGINT NULL,
  codecs VARCHAR(100) NULL,
  frame_rate DOUBLE NULL,
  created_at DATETIME(6) NOT NULL,
  updated_at DATETIME(6) NOT NULL,
  PRIMARY KEY (video_id, label),
  CONSTRAINT fk_renditions_video FOREIGN KEY (video_id) REFERENCES videos (id) ON DELETE CASCADE
) {_MARIADB_TABLE_OPTIONS}""",
                _renditions_from_json,
                f"""CREATE TABLE packaging_jobs_v3 (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  video_id {_ID_MARIADB},
  stage VARCHAR(16) NOT NULL,
  label INT NOT NULL DEFAULT 0,
  priority INT NOT NULL,
  status VARCHAR(16) NOT NULL,
  attempts INT NOT NULL DEFAULT 0,
  claimed_by VARCHAR(100) NULL,
  lease_until DATETIME(6) NULL,
  last_error TEXT NULL,
  payload MEDIUMTEXT NULL,
  created_at DATETIME(6) NOT NULL,
  started_at DATETIME(6) NULL,
  finished_at DATETIME(6) NULL,
  updated_at DATETIME(6) NOT NULL,
  UNIQUE KEY uq_packaging_jobs_task (video_id, stage, label),
  KEY idx_packaging_jobs_queue (status, priority, created_at),
  CONSTRAINT fk_packaging_jobs_video FOREIGN KEY (video_id) REFERENCES videos (id) ON DELETE CASCADE
) {_MARIADB_TABLE_OPTIONS}""",
                "INSERT INTO packaging_jobs_v3 (video_id, stage, label, priority, status, attempts, claimed_by, "
                "lease_until, last_error, created_at, updated_at) SELECT video_id, 'first', 0, 0, status, attempts, "
                "claimed_by, lease_until, last_error, created_at, updated_at FROM packaging_jobs",
                "DROP TABLE packaging_jobs",
                "RENAME TABLE packaging_jobs_v3 TO packaging_jobs",
                "ALTER TABLE videos DROP COLUMN renditions",
                "ALTER TABLE videos ADD COLUMN probe TEXT NULL",
                f"""CREATE TABLE deleted_videos (
  video_id {_ID_MARIADB} PRIMARY KEY,
  deleted_at DATETIME(6) NOT NULL
) {_MARIADB_TABLE_OPTIONS}""",
            ],
            "sqlite": [
                """CREATE TABLE renditions (
  video_id TEXT NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
  label INTEGER NOT NULL,
  width INTEGER NOT NULL,
  height INTEGER NOT NULL,
  copied INTEGER NOT NULL DEFAULT 0,
  status TEXT NOT NULL,
  error TEXT NULL,
  bandwidth INTEGER NULL,
  average_bandwidth INTEGER NULL,
  codecs TEXT NULL,
  frame_rate REAL NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (video_id, label)
)""",
                _renditions_from_json,
                """CREATE TABLE packaging_jobs_v3 (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  video_id TEXT NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
  stage TEXT NOT NULL,
  label INTEGER NOT NULL DEFAULT 0,
  priority INTEGER NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  claimed_by TEXT NULL,
  lease_until TEXT NULL,
  last_error TEXT NULL,
  payload TEXT NULL,
  created_at TEXT NOT NULL,
  started_at TEXT NULL,
  finished_at TEXT NULL,
  updated_at TEXT NOT NULL,
  UNIQUE (video_id, stage, label)
)""",
                "INSERT INTO packaging_jobs_v3 (video_id, stage, label, priority, status, attempts, claimed_by, "
                "lease_until, last_error, created_at, updated_at) SELECT video_id, 'first', 0, 0, status, attempts, "
                "claimed_by, lease_until, last_error, created_at, updated_at FROM packaging_jobs",
                "DROP TABLE packaging_jobs",
                "ALTER TABLE packaging_jobs_v3 RENAME TO packaging_jobs",
                "CREATE INDEX idx_packaging_jobs_queue ON packaging_jobs (status, priority, created_at)",
                "ALTER TABLE videos DROP COLUMN renditions",
                "ALTER TABLE videos ADD COLUMN probe TEXT NULL",
                """CREATE TABLE deleted_videos (
  video_id TEXT NOT NULL PRIMARY KEY,
  deleted_at TEXT NOT NULL
)""",
            ],
        },
    )
)

MIGRATIONS.append(
    (
        4,
        "the bytes each rendition stores, for the output budget",
        {
            "mariadb": ["ALTER TABLE renditions ADD COLUMN bytes BIGINT NULL"],
            "sqlite": ["ALTER TABLE renditions ADD COLUMN bytes INTEGER NULL"],
        },
    )
)

MIGRATIONS.append(
    (
        5,
        "resumable (tus) uploads",
        {
            "mariadb": [
                f"""CREATE TABLE uploads (
  id {_ID_MARIADB} PRIMARY KEY,
  owner VARCHAR(190) NOT NULL,
  size_bytes BIGINT NOT NULL,
  received BIGINT NOT NULL DEFAULT 0,
  filename VARCHAR(255) NOT NULL,
  name VARCHAR(200) NULL,
  video_id VARCHAR(32) NULL,
  lock_token VARCHAR(64) NULL,
  lock_until DATETIME(6) NULL,
  created_at DATETIME(6) NOT NULL,
  updated_at DATETIME(6) NOT NULL,
  expires_at DATETIME(6) NOT NULL,
  KEY idx_uploads_owner (owner, video_id),
  KEY idx_uploads_expires (expires_at)
) {_MARIADB_TABLE_OPTIONS}""",
            ],
            "sqlite": [
                """CREATE TABLE uploads (
  id TEXT NOT NULL PRIMARY KEY,
  owner TEXT NOT NULL,
  size_bytes INTEGER NOT NULL,
  received INTEGER NOT NULL DEFAULT 0,
  filename TEXT NOT NULL,
  name TEXT NULL,
  video_id TEXT NULL,
  lock_token TEXT NULL,
  lock_until TEXT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  expires_at TEXT NOT NULL
)""",
                "CREATE INDEX idx_uploads_owner ON uploads (owner, video_id)",
                "CREATE INDEX idx_uploads_expires ON uploads (expires_at)",
            ],
        },
    )
)

MIGRATIONS.append(
    (
        6,
        "caption tracks (uploaded, or converted from an upload's subtitle streams)",
        {
            # One track per language (tags normalised by vs_common.captions). `file_name`
            # names the track's WebVTT and media playlist under videos/<id>/hls/captions/
            # (a new one for every version); NULL on a row that only notes subtitle
            # streams that could not be kept (image-based ones).
            "mariadb": [
                f"""CREATE TABLE captions (
  video_id {_ID_MARIADB},
  language VARCHAR(35) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  label VARCHAR(100) NOT NULL,
  is_default TINYINT NOT NULL DEFAULT 0,
  source VARCHAR(16) NOT NULL,
  file_name VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL,
  note TEXT NULL,
  created_at DATETIME(6) NOT NULL,
  updated_at DATETIME(6) NOT NULL,
  PRIMARY KEY (video_id, language),
  CONSTRAINT fk_captions_video FOREIGN KEY (video_id) REFERENCES videos (id) ON DELETE CASCADE
) {_MARIADB_TABLE_OPTIONS}""",
            ],
            "sqlite": [
                """CREATE TABLE captions (
  video_id TEXT NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
  language TEXT NOT NULL,
  label TEXT NOT NULL,
  is_default INTEGER NOT NULL DEFAULT 0,
  source TEXT NOT NULL,
  file_name TEXT NULL,
  note TEXT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (video_id, language)
)""",
            ],
        },
    )
)

# One name per concept: a rendition is named by its nominal height (the short side) and
# its pixels are frame_width x frame_height; the stage that makes one is `rendition`.
# Renamed one column per statement (MariaDB has RENAME COLUMN since 10.5.2, SQLite since
# 3.25), in an order in which no new name is one still in use: `height` becomes
# `frame_height` before `label` becomes `height`. Keys and indexes follow the columns.
_ONE_NAME_PER_CONCEPT = [
    "ALTER TABLE renditions RENAME COLUMN height TO frame_height",
    "ALTER TABLE renditions RENAME COLUMN width TO frame_width",
    "ALTER TABLE renditions RENAME COLUMN label TO height",
    "ALTER TABLE packaging_jobs RENAME COLUMN label TO height",
    "UPDATE packaging_jobs SET stage = 'rendition' WHERE stage = 'rung'",
]

MIGRATIONS.append(
    (
        7,
        "one name per concept: renditions.height (was label), frame_width/frame_height (were width/height), "
        "packaging_jobs.height (was label), the stage 'rendition' (was 'rung')",
        {"mariadb": _ONE_NAME_PER_CONCEPT, "sqlite": _ONE_NAME_PER_CONCEPT},
    )
)

# People and programs (auth-svc's, and the webhooks' outbox that every writer of the
# catalogue adds to). Secrets are stored only as HMAC-SHA256(SECRET_KEY, secret): tokens,
# invitation links, recovery codes; passwords as Argon2id hashes. `users.skeleton` is the
# name as compared for confusables (NFKC, case folded, Unicode's confusable prototypes):
# unique, so two people cannot hold names that look alike. A quota of NULL means none.
_ASCII = "CHARACTER SET ascii COLLATE ascii_bin"
_NAME_BIN = "CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
_PEOPLE_MARIADB = [
    f"""CREATE TABLE users (
  username VARCHAR(190) {_NAME_BIN} NOT NULL PRIMARY KEY,
  skeleton VARCHAR(400) {_NAME_BIN} NOT NULL,
  role VARCHAR(16) NOT NULL,
  password_hash VARCHAR(255) NULL,
  disabled TINYINT NOT NULL DEFAULT 0,
  quota_bytes BIGINT NULL,
  quota_videos INT NULL,
  totp_secret VARCHAR(64) NULL,
  totp_enabled TINYINT NOT NULL DEFAULT 0,
  totp_last_step BIGINT NULL,
  created_by VARCHAR(190) NULL,
  created_at DATETIME(6) NOT NULL,
  updated_at DATETIME(6) NOT NULL,
  password_changed_at DATETIME(6) NULL,
  UNIQUE KEY uq_users_skeleton (skeleton)
) {_MARIADB_TABLE_OPTIONS}""",
    f"""CREATE TABLE invitations (
  token_hash CHAR(64) {_ASCII} NOT NULL PRIMARY KEY,
  username VARCHAR(190) {_NAME_BIN} NOT NULL,
  purpose VARCHAR(16) NOT NULL,
  created_at DATETIME(6) NOT NULL,
  expires_at DATETIME(6) NOT NULL,
  used_at DATETIME(6) NULL,
  KEY idx_invitations_user (username)
) {_MARIADB_TABLE_OPTIONS}""",
    f"""CREATE TABLE recovery_codes (
  username VARCHAR(190) {_NAME_BIN} NOT NULL,
  code_hash CHAR(64) {_ASCII} NOT NULL,
  created_at DATETIME(6) NOT NULL,
  used_at DATETIME(6) NULL,
  PRIMARY KEY (username, code_hash)
) {_MARIADB_TABLE_OPTIONS}""",
    f"""CREATE TABLE api_tokens (
  id VARCHAR(32) {_ASCII} NOT NULL PRIMARY KEY,
  username VARCHAR(190) {_NAME_BIN} NOT NULL,
  name VARCHAR(100) NOT NULL,
  token_hash CHAR(64) {_ASCII} NOT NULL,
  scopes VARCHAR(64) NOT NULL,
  created_at DATETIME(6) NOT NULL,
  expires_at DATETIME(6) NULL,
  last_used_at DATETIME(6) NULL,
  revoked_at DATETIME(6) NULL,
  UNIQUE KEY uq_api_tokens_hash (token_hash),
  KEY idx_api_tokens_user (username)
) {_MARIADB_TABLE_OPTIONS}""",
    # Names compared byte for byte (NFC, as stored): with the tables' case- and
    # accent-insensitive collation `e1` matched `é1`'s videos, uploads and sessions.
    f"ALTER TABLE videos MODIFY owner VARCHAR(190) {_NAME_BIN} NOT NULL",
    f"ALTER TABLE uploads MODIFY owner VARCHAR(190) {_NAME_BIN} NOT NULL",
    f"ALTER TABLE auth_sessions MODIFY username VARCHAR(190) {_NAME_BIN} NOT NULL",
    f"ALTER TABLE auth_sessions ADD COLUMN id VARCHAR(32) {_ASCII} NULL",
    "ALTER TABLE auth_sessions ADD COLUMN user_agent VARCHAR(255) NULL",
    "ALTER TABLE auth_sessions ADD COLUMN address VARCHAR(64) NULL",
    "ALTER TABLE auth_sessions ADD COLUMN last_seen_at DATETIME(6) NULL",
    "CREATE UNIQUE INDEX uq_sessions_id ON auth_sessions (id)",
    "CREATE INDEX idx_sessions_user ON auth_sessions (username)",
    f"""CREATE TABLE webhooks (
  id VARCHAR(32) {_ASCII} NOT NULL PRIMARY KEY,
  url VARCHAR(2048) NOT NULL,
  events VARCHAR(200) NOT NULL,
  secret VARCHAR(100) NOT NULL,
  created_by VARCHAR(190) NOT NULL,
  created_at DATETIME(6) NOT NULL
) {_MARIADB_TABLE_OPTIONS}""",
    f"""CREATE TABLE webhook_events (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  message_id VARCHAR(40) {_ASCII} NOT NULL,
  type VARCHAR(40) NOT NULL,
  payload MEDIUMTEXT NOT NULL,
  created_at DATETIME(6) NOT NULL,
  UNIQUE KEY uq_webhook_events_message (message_id)
) {_MARIADB_TABLE_OPTIONS}""",
    f"""CREATE TABLE webhook_deliveries (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  webhook_id VARCHAR(32) {_ASCII} NOT NULL,
  event_id BIGINT NOT NULL,
  status VARCHAR(16) NOT NULL,
  attempts INT NOT NULL DEFAULT 0,
  next_attempt_at DATETIME(6) NOT NULL,
  claimed_by VARCHAR(100) NULL,
  lease_until DATETIME(6) NULL,
  last_error TEXT NULL,
  created_at DATETIME(6) NOT NULL,
  updated_at DATETIME(6) NOT NULL,
  KEY idx_webhook_deliveries_due (status, next_attempt_at),
  CONSTRAINT fk_webhook_deliveries_webhook FOREIGN KEY (webhook_id) REFERENCES webhooks (id) ON DELETE CASCADE,
  CONSTRAINT fk_webhook_deliveries_event FOREIGN KEY (event_id) REFERENCES webhook_events (id) ON DELETE CASCADE
) {_MARIADB_TABLE_OPTIONS}""",
    f"""CREATE TABLE webhook_attempts (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  delivery_id BIGINT NOT NULL,
  attempt INT NOT NULL,
  at DATETIME(6) NOT NULL,
  status_code INT NULL,
  outcome VARCHAR(16) NOT NULL,
  error TEXT NULL,
  KEY idx_webhook_attempts_delivery (delivery_id),
  CONSTRAINT fk_webhook_attempts_delivery FOREIGN KEY (delivery_id) REFERENCES webhook_deliveries (id)
    ON DELETE CASCADE
) {_MARIADB_TABLE_OPTIONS}""",
]
_PEOPLE_SQLITE = [
    """CREATE TABLE users (
  username TEXT NOT NULL PRIMARY KEY,
  skeleton TEXT NOT NULL UNIQUE,
  role TEXT NOT NULL,
  password_hash TEXT NULL,
  disabled INTEGER NOT NULL DEFAULT 0,
  quota_bytes INTEGER NULL,
  quota_videos INTEGER NULL,
  totp_secret TEXT NULL,
  totp_enabled INTEGER NOT NULL DEFAULT 0,
  totp_last_step INTEGER NULL,
  created_by TEXT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  password_changed_at TEXT NULL
)""",
    """CREATE TABLE invitations (
  token_hash TEXT NOT NULL PRIMARY KEY,
  username TEXT NOT NULL,
  purpose TEXT NOT NULL,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  used_at TEXT NULL
)""",
    "CREATE INDEX idx_invitations_user ON invitations (username)",
    """CREATE TABLE recovery_codes (
  username TEXT NOT NULL,
  code_hash TEXT NOT NULL,
  created_at TEXT NOT NULL,
  used_at TEXT NULL,
  PRIMARY KEY (username, code_hash)
)""",
    """CREATE TABLE api_tokens (
  id TEXT NOT NULL PRIMARY KEY,
  username TEXT NOT NULL,
  name TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  scopes TEXT NOT NULL,
  created_at TEXT NOT NULL,
  expires_at TEXT NULL,
  last_used_at TEXT NULL,
  revoked_at TEXT NULL
)""",
    "CREATE INDEX idx_api_tokens_user ON api_tokens (username)",
    "ALTER TABLE auth_sessions ADD COLUMN id TEXT NULL",
    "ALTER TABLE auth_sessions ADD COLUMN user_agent TEXT NULL",
    "ALTER TABLE auth_sessions ADD COLUMN address TEXT NULL",
    "ALTER TABLE auth_sessions ADD COLUMN last_seen_at TEXT NULL",
    "CREATE UNIQUE INDEX uq_sessions_id ON auth_sessions (id)",
    "CREATE INDEX idx_sessions_user ON auth_sessions (username)",
    """CREATE TABLE webhooks (
  id TEXT NOT NULL PRIMARY KEY,
  url TEXT NOT NULL,
  events TEXT NOT NULL,
  secret TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_at TEXT NOT NULL
)""",
    """CREATE TABLE webhook_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  message_id TEXT NOT NULL UNIQUE,
  type TEXT NOT NULL,
  payload TEXT NOT NULL,
  created_at TEXT NOT NULL
)""",
    """CREATE TABLE webhook_deliveries (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  webhook_id TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
  event_id INTEGER NOT NULL REFERENCES webhook_events (id) ON DELETE CASCADE,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TEXT NOT NULL,
  claimed_by TEXT NULL,
  lease_until TEXT NULL,
  last_error TEXT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
)""",
    "CREATE INDEX idx_webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at)",
    """CREATE TABLE webhook_attempts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  delivery_id INTEGER NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
  attempt INTEGER NOT NULL,
  at TEXT NOT NULL,
  status_code INTEGER NULL,
  outcome TEXT NOT NULL,
  error TEXT NULL
)""",
    "CREATE INDEX idx_webhook_attempts_delivery ON webhook_attempts (delivery_id)",
]

MIGRATIONS.append(
    (
        8,
        "people and programs: users, invitations, recovery codes, API tokens, sessions' details, webhooks",
        {"mariadb": _PEOPLE_MARIADB, "sqlite": _PEOPLE_SQLITE},
    )
)

# Who may watch a video, and the owner's links to it. `videos.visibility`: `private` (its
# owner and admins) or `internal` (every signed-in person: what every video was before, so
# the column's default; a new video gets DEFAULT_VISIBILITY, written by its insert);
# `uploads.visibility`: what a resumable upload asked for (NULL: the default). A share
# link (`shares`) is stored as HMAC-SHA256(SECRET_KEY, token) only, its password as an
# Argon2id hash (NULL: none); a revoked one keeps its row (`revoked_at`). `views`: views
# per video, link ('' for signed-in viewers) and day (UTC), for the totals and the last
# 30 days' chart; `view_nonces`: the view tickets already counted (a ticket counts once;
# its row goes some time after the ticket expires). `share_attempts`: wrong passwords (`share_id` the link's) and unknown
# tokens (`share_id` '') per client address, for the share links' throttle. Ids and
# names compared byte for byte, as migration 8's.
_SHARING_MARIADB = [
    f"ALTER TABLE videos ADD COLUMN visibility VARCHAR(16) {_ASCII} NOT NULL DEFAULT 'internal'",
    f"ALTER TABLE uploads ADD COLUMN visibility VARCHAR(16) {_ASCII} NULL",
    f"""CREATE TABLE shares (
  id VARCHAR(32) {_ASCII} NOT NULL PRIMARY KEY,
  video_id {_ID_MARIADB},
  token_hash CHAR(64) {_ASCII} NOT NULL,
  password_hash VARCHAR(255) NULL,
  expires_at DATETIME(6) NULL,
  allow_download TINYINT NOT NULL DEFAULT 0,
  created_by VARCHAR(190) {_NAME_BIN} NOT NULL,
  created_at DATETIME(6) NOT NULL,
  revoked_at DATETIME(6) NULL,
  views BIGINT NOT NULL DEFAULT 0,
  last_viewed_at DATETIME(6) NULL,
  UNIQUE KEY uq_shares_token (token_hash),
  KEY idx_shares_video (video_id, created_at),
  CONSTRAINT fk_shares_video FOREIGN KEY (video_id) REFERENCES videos (id) ON DELETE CASCADE
) {_MARIADB_TABLE_OPTIONS}""",
    f"""CREATE TABLE views (
  video_id {_ID_MARIADB},
  share_id VARCHAR(32) {_ASCII} NOT NULL DEFAULT '',
  day DATE NOT NULL,
  count BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (video_id, share_id, day),
  CONSTRAINT fk_views_video FOREIGN KEY (video_id) REFERENCES videos (id) ON DELETE CASCADE
) {_MARIADB_TABLE_OPTIONS}""",
    f"""CREATE TABLE view_nonces (
  nonce CHAR(32) {_ASCII} NOT NULL PRIMARY KEY,
  expires_at DATETIME(6) NOT NULL,
  KEY idx_view_nonces_expires (expires_at)
) {_MARIADB_TABLE_OPTIONS}""",
    f"""CREATE TABLE share_attempts (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  client VARCHAR(64) {_NAME_BIN} NOT NULL,
  share_id VARCHAR(32) {_ASCII} NOT NULL DEFAULT '',
  attempted_at DATETIME(6) NOT NULL,
  KEY idx_share_attempts_client (client, share_id, attempted_at),
  KEY idx_share_attempts_at (attempted_at)
) {_MARIADB_TABLE_OPTIONS}""",
]
_SHARING_SQLITE = [
    "ALTER TABLE videos ADD COLUMN visibility TEXT NOT NULL DEFAULT 'internal'",
    "ALTER TABLE uploads ADD COLUMN visibility TEXT NULL",
    """CREATE TABLE shares (
  id TEXT NOT NULL PRIMARY KEY,
  video_id TEXT NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
  token_hash TEXT NOT NULL UNIQUE,
  password_hash TEXT NULL,
  expires_at TEXT NULL,
  allow_download INTEGER NOT NULL DEFAULT 0,
  created_by TEXT NOT NULL,
  created_at TEXT NOT NULL,
  revoked_at TEXT NULL,
  views INTEGER NOT NULL DEFAULT 0,
  last_viewed_at TEXT NULL
)""",
    "CREATE INDEX idx_shares_video ON shares (video_id, created_at)",
    """CREATE TABLE views (
  video_id TEXT NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
  share_id TEXT NOT NULL DEFAULT '',
  day TEXT NOT NULL,
  count INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (video_id, share_id, day)
)""",
    """CREATE TABLE view_nonces (
  nonce TEXT NOT NULL PRIMARY KEY,
  expires_at TEXT NOT NULL
)""",
    "CREATE INDEX idx_view_nonces_expires ON view_nonces (expires_at)",
    """CREATE TABLE share_attempts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  client TEXT NOT NULL,
  share_id TEXT NOT NULL DEFAULT '',
  attempted_at TEXT NOT NULL
)""",
    "CREATE INDEX idx_share_attempts_client ON share_attempts (client, share_id, attempted_at)",
    "CREATE INDEX idx_share_attempts_at ON share_attempts (attempted_at)",
]

MIGRATIONS.append(
    (
        9,
        "sharing: videos' visibility (and an upload's), share links, views per day and counted view tickets, share link throttle",
        {"mariadb": _SHARING_MARIADB, "sqlite": _SHARING_SQLITE},
    )
)

# The video page's owner tools: a video's `description` (plain text, at most 5,000
# characters, checked by vs_common.names.clean_description) and `deleted_at`, the time it
# went to its owner's trash (NULL: not in it). A trashed video keeps its rows and objects
# (and counts in the quota) until it is restored or TRASH_HOURS pass (the packager's sweep
# then purges it); meanwhile every read for viewers leaves it out. The index serves the sweep.
_PAGES_MARIADB = [
    "ALTER TABLE videos ADD COLUMN description TEXT NULL",
    "ALTER TABLE videos ADD COLUMN deleted_at DATETIME(6) NULL",
    "CREATE INDEX idx_videos_deleted ON videos (deleted_at)",
]
_PAGES_SQLITE = [
    "ALTER TABLE videos ADD COLUMN description TEXT NULL",
    "ALTER TABLE videos ADD COLUMN deleted_at TEXT NULL",
    "CREATE INDEX idx_videos_deleted ON videos (deleted_at)",
]

MIGRATIONS.append(
    (
        10,
        "the video page: videos' description, and the trash (deleted_at)",
        {"mariadb": _PAGES_MARIADB, "sqlite": _PAGES_SQLITE},
    )
)

LATEST = MIGRATIONS[-1][0]

_VERSIONS_TABLE = {
    "mariadb": "CREATE TABLE IF NOT EXISTS schema_migrations (version INT NOT NULL PRIMARY KEY, "
    f"description VARCHAR(200) NOT NULL, applied_at DATETIME(6) NOT NULL) {_MARIADB_TABLE_OPTIONS}",
    "sqlite": "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER NOT NULL PRIMARY KEY, "
    "description TEXT NOT NULL, applied_at TEXT NOT NULL)",
}


def _apply_missing(cur, dialect: str) -> None:
    """Create the versions table, then apply every migration it does not list."""
    cur.execute(_VERSIONS_TABLE[dialect])
    done = {r["version"] for r in cur.execute("SELECT version FROM schema_migrations").fetchall()}
    for version, description, statements in MIGRATIONS:
        if version in done:
            continue
        log.info("applying schema migration %d: %s", version, description)
        for step in statements[dialect]:
            if callable(step):
                step(cur)  # a data step, in Python (portable where SQL is not)
            else:
                cur.execute(step)
        cur.execute(
            "INSERT INTO schema_migrations (version, description, applied_at) VALUES (?, ?, ?)",
            (version, description, utcnow()),
        )


def migrate(db: Database) -> int:
    """Apply the migrations this database lacks; return the schema version.

    Serialised between processes: on SQLite the whole run is one BEGIN IMMEDIATE
    transaction (the versions are read under the same write lock that applies them, and
    SQLite's DDL is transactional, so a failed migration leaves nothing half-done); on
    MariaDB, whose DDL commits implicitly, a named lock (GET_LOCK) is held around it.
    """
    if db.dialect == "sqlite":
        with db.transaction() as cur:
            _apply_missing(cur, "sqlite")
        return LATEST
    conn = db._conn()
    with conn.cursor() as c:
        c.execute("SELECT GET_LOCK('video_db_migrations', 60) AS got")
        if c.fetchone()["got"] != 1:
            raise RuntimeError("could not take the migration lock within 60 s")
    try:
        with db.transaction() as cur:
            _apply_missing(cur, "mariadb")
        return LATEST
    finally:
        with conn.cursor() as c:
            c.execute("DO RELEASE_LOCK('video_db_migrations')")


def _sql_string(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "''") + "'"


def init_sql() -> str:
    """The MariaDB init script for `database/` (the schema at its latest version)."""
    out = [
        "-- Generated by `python -m vs_common.schema`; do not edit by hand.",
        "-- The MariaDB image runs this on first start, in MYSQL_DATABASE (video_db).",
        "-- The application user comes from MYSQL_USER / MYSQL_PASSWORD (DB_USER / DB_PASS).",
        "",
        _VERSIONS_TABLE["mariadb"] + ";",
        "",
    ]
    for version, description, statements in MIGRATIONS:
        out.append(f"-- migration {version}: {description}")
        for sql in statements["mariadb"]:
            if callable(sql):
                continue  # a data step: an empty database has no data to move
            out.append(sql + ";")
            out.append("")
        out.append(
            "INSERT IGNORE INTO schema_migrations (version, description, applied_at) "
            f"VALUES ({version}, {_sql_string(description)}, UTC_TIMESTAMP(6));"
        )
        out.append("")
    return "\n".join(out)


if __name__ == "__main__":
    print(init_sql(), end="")
