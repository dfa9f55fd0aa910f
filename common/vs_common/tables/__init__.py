"""The catalogue's SQL, a module per table: every statement on a table is in its module
and nowhere else (tests/unit/test_sql_home.py names any other place that has SQL).

- `videos`: a video's row (its name, owner, status, probe, media size) and its row lock;
- `renditions`: a video's renditions, planned, published or failed;
- `captions`: its caption tracks' rows;
- `jobs`: the packaging queue (`packaging_jobs`);
- `deleted_videos`: tombstones of deleted videos, for the sweep's last pass;
- `uploads`: resumable (tus) uploads, upload-webapp's;
- `webhooks`: the webhook endpoints, the events' outbox, their deliveries and log;
- `shares`: a video's share links (their tokens and passwords as hashes);
- `share_attempts`: the share links' throttle (wrong passwords, unknown tokens);
- `views`: views per video, link and day.

A module runs SQL on its own table only; what another table must do with it is a call
to that table's module (a rendition published touches its video's `updated_at` through
`videos.touch`). What spans tables (a video read with its renditions and tracks, made
with its first job, deleted with a tombstone, retried) is `vs_common.catalogue`, which
holds no SQL. The schema is `vs_common.schema`; auth-svc's own tables (auth_sessions,
login_attempts) are in auth_svc/tables.py. Callers write `tables.<table>.<function>`.
"""

from . import captions, deleted_videos, jobs, renditions, share_attempts, shares, uploads, videos, views, webhooks

__all__ = [
    "captions",
    "deleted_videos",
    "jobs",
    "renditions",
    "share_attempts",
    "shares",
    "uploads",
    "videos",
    "views",
    "webhooks",
]
