"""The webhook delivery worker: a thread of every packager, started with its lanes, that
claims due deliveries from the outbox (tables.webhooks) and sends them. It never delays
packaging: its own threads (SENDERS at once), no ffmpeg, nothing the lanes wait for.

A delivery is claimed with a lease (an optimistic UPDATE, so that any number of
packagers share the work and none sends what another holds), signed as the Standard
Webhooks specification says (its `standardwebhooks` library: `webhook-id` the event's
message id, `webhook-timestamp` the attempt's time, `webhook-signature` v1 HMAC-SHA256
of `id.timestamp.body`) and POSTed under vs_common.outbound's rules (the addresses
checked at every attempt and redirect, TIMEOUT_SECONDS). A 2xx answer delivers it;
anything else is retried after each of WEBHOOK_RETRY_SECONDS' waits in turn, then the
delivery is `failed`. Every attempt is logged (webhook_attempts): its number, time,
HTTP status, outcome and error (never the URL's path or query, nor the secret).

A packager that dies mid-attempt leaves the lease to run out (LEASE_SECONDS): the
delivery is then attempted again, by any packager. Delivery is at least once; a
receiver drops a repeat by its `webhook-id`.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from standardwebhooks import Webhook

from vs_common import outbound, tables
from vs_common.db import utcnow
from vs_common.observe import WEBHOOK_ATTEMPTS

from .context import Services

log = logging.getLogger("file_svc.packager.webhooks")
TIMEOUT_SECONDS = 10  # one request, connection to answer (each redirect is another)
LEASE_SECONDS = 120  # more than an attempt can take: 4 requests (3 redirects) and their DNS
POLL_SECONDS = 1.0  # how often an idle worker looks for due deliveries
SENDERS = 4  # attempts at once per packager: one slow endpoint does not hold the others
KEEP_DAYS = 7  # events whose deliveries are all over are pruned after this (sweeps.py)
USER_AGENT = "Reelhouse-Webhooks/1"


def signed_headers(message_id: str, secret: str, body: str, now: int) -> dict[str, str]:
    """The Standard Webhooks headers of one attempt at `now` (seconds since the epoch)."""
    signature = Webhook(secret).sign(message_id, datetime.fromtimestamp(now, UTC), body)
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "webhook-id": message_id,
        "webhook-timestamp": str(now),
        "webhook-signature": signature,
    }


def next_state(attempts: int, delivered: bool, waits: tuple[int, ...]) -> tuple[str, datetime | None]:
    """After attempt number `attempts`: delivered, pending again after its wait, or failed
    once every wait of the schedule was used."""
    if delivered:
        return tables.webhooks.DELIVERED, None
    if attempts <= len(waits):
        return tables.webhooks.PENDING, utcnow() + timedelta(seconds=waits[attempts - 1])
    return tables.webhooks.FAILED, None


def attempt(delivery: dict, allow_private: bool) -> dict:
    """Send a claimed delivery once: the attempt's log row (at, status_code, outcome, error)."""
    at = utcnow()
    body = delivery["payload"]
    status, error = None, None
    try:
        headers = signed_headers(delivery["message_id"], delivery["secret"], body, int(time.time()))
        status = outbound.post(
            delivery["url"], body.encode(), headers, allow_private=allow_private, timeout=TIMEOUT_SECONDS
        )
        outcome = "delivered" if 200 <= status < 300 else "http_error"
        error = None if outcome == "delivered" else f"answered HTTP {status}"
    except outbound.Refused as exc:
        outcome, error = "refused", f"refused: {exc}"
    except outbound.Unreachable as exc:
        outcome, error = "unreachable", str(exc)
    except Exception as exc:  # noqa: BLE001 - a bug of ours is a failed attempt too, retried on schedule
        log.exception("webhook %s: unexpected error", delivery["message_id"])
        outcome, error = "error", f"internal error: {exc.__class__.__name__}"
    WEBHOOK_ATTEMPTS.labels(outcome).inc()
    return {"at": at, "status_code": status, "outcome": outcome, "error": error[:1000] if error else None}


class Deliverer:
    """The worker of one packager: `run()` is its thread, until the packager stops."""

    def __init__(self, services: Services, worker_id: str):
        self.services = services
        self.worker = f"{worker_id}-webhooks"
        self.slots = threading.BoundedSemaphore(SENDERS)
        self.pool = ThreadPoolExecutor(SENDERS, thread_name_prefix="webhook")

    def run(self) -> None:
        """Claim a due delivery whenever a sender is free, and hand it to one."""
        stop = self.services.stop
        while not stop.is_set():
            if not self.slots.acquire(timeout=POLL_SECONDS):
                continue
            try:
                claimed = self._claim()
            except Exception as exc:  # noqa: BLE001 - the database is away: look again shortly
                log.warning("webhook deliveries not claimed: %s", exc)
                claimed = None
            if claimed is None:
                self.slots.release()
                stop.wait(POLL_SECONDS)
                continue
            self.pool.submit(self._send, *claimed)
        self.pool.shutdown(wait=False, cancel_futures=True)

    def _claim(self) -> tuple[dict, str] | None:
        """The oldest due delivery no other worker took first, and our lease's token."""
        db = self.services.db
        for delivery_id in tables.webhooks.due(db, SENDERS * 2):
            token = f"{self.worker}-{uuid.uuid4().hex[:8]}"
            delivery = tables.webhooks.claim(db, delivery_id, token, LEASE_SECONDS)
            if delivery is not None:
                return delivery, token
        return None

    def _send(self, delivery: dict, token: str) -> None:
        try:
            settings = self.services.settings
            waits = settings.webhook_retry_seconds
            if delivery["attempts"] > len(waits) + 1:
                # Claimed more often than it may be tried: its packagers died mid-attempt
                # every time. Given up, not sent again.
                done = {
                    "at": utcnow(),
                    "status_code": None,
                    "outcome": "error",
                    "error": "interrupted on every attempt",
                }
            else:
                done = attempt(delivery, settings.webhook_allow_private)
            status, next_at = next_state(delivery["attempts"], done["outcome"] == "delivered", waits)
            ours = tables.webhooks.record(self.services.db, delivery, token, done, status, next_at)
            log.info(
                "webhook %s %s to endpoint %s, attempt %d: %s%s%s",
                delivery["type"],
                delivery["message_id"],
                delivery["webhook_id"],
                delivery["attempts"],
                done["outcome"],
                f" ({done['error']})" if done["error"] else "",
                "" if ours else "; its lease had run out, the state is left to the worker that holds it",
            )
        except Exception:  # noqa: BLE001 - the lease runs out and the delivery is attempted again
            log.exception("webhook delivery %s: its attempt could not be recorded", delivery["id"])
        finally:
            self.slots.release()


def start(services: Services, worker_id: str) -> threading.Thread:
    """The delivery worker's thread, started; it ends when the packager stops."""
    thread = threading.Thread(target=Deliverer(services, worker_id).run, name="webhooks", daemon=True)
    thread.start()
    return thread
