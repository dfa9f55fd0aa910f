"""The webhook tables: `webhooks` (the endpoints an admin registered: URL, events, signing
secret), `webhook_events` (the outbox: one row per event, its body as it is sent),
`webhook_deliveries` (one row per event and subscribed endpoint: `pending` until
`delivered` or `failed`, its attempts, when it is next due, its lease) and
`webhook_attempts` (the delivery log: every attempt, its HTTP status and outcome).

Events and their deliveries are written in the transaction of the change they report
(vs_common.events), so none is lost or sent for a change that was rolled back. The
packagers' delivery workers claim due deliveries as packaging jobs are claimed: an
optimistic `UPDATE ... WHERE` (no SKIP LOCKED), with a lease; the attempt is recorded
only by the worker that still holds it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from ..db import Cursor, Database, utcnow

PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"
_DUE = "status = 'pending' AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until < ?)"


# -- endpoints (auth-svc's admin API) ----------------------------------------------------


def create(db: Database, row: dict, most: int) -> bool:
    """A new endpoint (`row`: id, url, events as a list, secret, created_by, created_at);
    False, and nothing written, when `most` are registered already."""
    with db.transaction() as cur:
        # The count and the insert under the table's write lock (SQLite) or the count's
        # locks (MariaDB): two registrations at once cannot both pass the limit.
        held = cur.execute(f"SELECT id FROM webhooks{cur.db.for_update}").fetchall()
        if len(held) >= most:
            return False
        cur.execute(
            "INSERT INTO webhooks (id, url, events, secret, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (row["id"], row["url"], " ".join(row["events"]), row["secret"], row["created_by"], row["created_at"]),
        )
    return True


def _endpoint(row: dict) -> dict:
    return {**row, "events": row["events"].split()}


def endpoints(db: Database) -> list[dict]:
    """Every endpoint, oldest first, without its secret."""
    rows = db.query("SELECT id, url, events, created_by, created_at FROM webhooks ORDER BY created_at, id")
    return [_endpoint(r) for r in rows]


def endpoint(db: Database, webhook_id: str) -> dict | None:
    """One endpoint without its secret, or None."""
    row = db.query_one("SELECT id, url, events, created_by, created_at FROM webhooks WHERE id = ?", (webhook_id,))
    return _endpoint(row) if row else None


def delete(db: Database, webhook_id: str) -> bool:
    """Remove an endpoint; its deliveries and their log go with it. False if it was gone."""
    return db.execute("DELETE FROM webhooks WHERE id = ?", (webhook_id,)) > 0


def attempts_of(db: Database, webhook_id: str, limit: int) -> list[dict]:
    """The endpoint's delivery log, newest attempt first: the event's type and message id,
    the attempt's number, time, HTTP status, outcome and error."""
    return db.query(
        "SELECT e.type, e.message_id, a.attempt, a.at, a.status_code, a.outcome, a.error, d.status AS delivery "
        "FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id "
        "JOIN webhook_events e ON e.id = d.event_id WHERE d.webhook_id = ? ORDER BY a.at DESC, a.id DESC LIMIT ?",
        (webhook_id, limit),
    )


# -- the outbox (every writer of the catalogue, in its own transaction) -------------------


def subscribers(cur: Cursor, event_type: str) -> list[str]:
    """The endpoints subscribed to `event_type`. On MariaDB a locking read: the newest
    rows, kept until the transaction ends, so that an endpoint deleted meanwhile waits
    for it (its deliveries are then removed with it) instead of failing the change."""
    share = " LOCK IN SHARE MODE" if cur.db.dialect == "mariadb" else ""
    rows = cur.execute(f"SELECT id, events FROM webhooks ORDER BY id{share}").fetchall()
    return [r["id"] for r in rows if event_type in r["events"].split()]


def add_event(cur: Cursor, message_id: str, event_type: str, payload: str, webhook_ids: list[str]) -> None:
    """The event (its body as it will be sent) and a pending delivery to each endpoint."""
    now = utcnow()
    cur.execute(
        "INSERT INTO webhook_events (message_id, type, payload, created_at) VALUES (?, ?, ?, ?)",
        (message_id, event_type, payload, now),
    )
    event_id = cur.execute("SELECT id FROM webhook_events WHERE message_id = ?", (message_id,)).fetchone()["id"]
    for webhook_id in webhook_ids:
        cur.execute(
            "INSERT INTO webhook_deliveries (webhook_id, event_id, status, attempts, next_attempt_at, created_at, "
            "updated_at) VALUES (?, ?, 'pending', 0, ?, ?, ?)",
            (webhook_id, event_id, now, now, now),
        )


# -- delivery (the packagers' workers) -----------------------------------------------------


def due(db: Database, limit: int) -> list[int]:
    """Deliveries that may be attempted now (pending, due, not leased), oldest due first."""
    now = utcnow()
    rows = db.query(
        f"SELECT id FROM webhook_deliveries WHERE {_DUE} ORDER BY next_attempt_at, id LIMIT ?", (now, now, limit)
    )
    return [r["id"] for r in rows]


def claim(db: Database, delivery_id: int, token: str, lease_seconds: int) -> dict | None:
    """Take a due delivery for one attempt (counted now, so that one whose workers keep
    dying still runs out of attempts): what to send, where and with which secret; None
    if another worker was quicker or it is no longer due."""
    now = utcnow()
    with db.transaction() as cur:
        changed = cur.execute(
            "UPDATE webhook_deliveries SET claimed_by = ?, lease_until = ?, attempts = attempts + 1, updated_at = ? "
            f"WHERE id = ? AND {_DUE}",
            (token, now + timedelta(seconds=lease_seconds), now, delivery_id, now, now),
        ).rowcount
        if changed != 1:
            return None
        return cur.execute(
            "SELECT d.id, d.webhook_id, d.attempts, e.message_id, e.type, e.payload, w.url, w.secret "
            "FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id "
            "JOIN webhooks w ON w.id = d.webhook_id WHERE d.id = ?",
            (delivery_id,),
        ).fetchone()


def record(
    db: Database, delivery: dict, token: str, attempt: dict, status: str, next_attempt_at: datetime | None
) -> bool:
    """Log an attempt (`attempt`: at, status_code, outcome, error) and set the delivery's
    state (`status`; `next_attempt_at` when pending). The state only while the lease is
    ours: a worker that lost it logs what it did and leaves the state to the new holder.
    The delivery's row is updated before the log's is inserted, in the order a cascading
    delete of its endpoint takes them."""
    now = utcnow()
    with db.transaction() as cur:
        ours = cur.execute(
            "UPDATE webhook_deliveries SET status = ?, next_attempt_at = COALESCE(?, next_attempt_at), "
            "lease_until = NULL, last_error = ?, updated_at = ? WHERE id = ? AND claimed_by = ? AND status = 'pending'",
            (status, next_attempt_at, attempt["error"], now, delivery["id"], token),
        ).rowcount
        cur.execute(
            "INSERT INTO webhook_attempts (delivery_id, attempt, at, status_code, outcome, error) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (
                delivery["id"],
                delivery["attempts"],
                attempt["at"],
                attempt["status_code"],
                attempt["outcome"],
                attempt["error"],
            ),
        )
    return ours == 1


def prune(db: Database, before: datetime, batch: int = 500) -> int:
    """Events older than `before` none of whose deliveries is still pending go, with their
    deliveries and log; how many went. In batches, so that no transaction holds long."""
    gone = 0
    while True:
        with db.transaction() as cur:
            ids = [
                r["id"]
                for r in cur.execute(
                    "SELECT id FROM webhook_events WHERE created_at < ? AND id NOT IN "
                    "(SELECT event_id FROM webhook_deliveries WHERE status = 'pending') ORDER BY id LIMIT ?",
                    (before, batch),
                ).fetchall()
            ]
            if ids:
                cur.execute(f"DELETE FROM webhook_events WHERE id IN ({', '.join('?' for _ in ids)})", ids)
        gone += len(ids)
        if len(ids) < batch:
            return gone
