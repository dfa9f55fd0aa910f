"""Views: a view is counted once per viewer session, when playback really starts (not
on page load), for signed-in viewers and link viewers alike.

- The page that renders the player embeds a **view ticket**: `<nonce>.<until, hex>.<MAC>`,
  the MAC HMAC-SHA256(SECRET_KEY) over the video id, the link's id ('' for a signed-in
  viewer), the nonce (128 random bits) and the expiry (TICKET_SECONDS). Each page load
  is a session, with a ticket of its own.
- static/views.js posts it once, on the video's first `playing` event, to
  `POST /api/videos/<id>/views` or `POST /s/<token>/views`. The server counts a ticket
  once whatever the player does: its nonce is kept (`view_nonces`, the primary key) in
  the same transaction as the +1 to today's (UTC) `views` row and, for a link, to the
  link's `views` and `last_viewed_at` (vs_common.tables.views.count).
- A ticket for another video or link, tampered with, or expired is refused (400); one
  counted already is 204 without counting (the player's retry is no error).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from datetime import UTC, date, datetime, timedelta

from vs_common import tables
from vs_common.app import app_db, app_settings
from vs_common.db import utcnow

TICKET_SECONDS = 4 * 3600  # a session: a page left open, then played, still counts
TICKET_SHAPE = re.compile(r"([0-9a-f]{32})\.([0-9a-f]{1,12})\.([0-9a-f]{32})")  # what ticket() writes
PURGE_AFTER = timedelta(hours=1)  # a counted nonce is kept this long after its ticket expired
CHART_DAYS = 30


class BadTicket(ValueError):
    """A ticket that counts nothing: the message says why."""


def _mac(video_id: str, share_id: str, nonce: str, until: int) -> str:
    key = app_settings().secret_key.encode()
    text = f"view ticket\n{video_id}\n{share_id}\n{nonce}\n{until}"
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()[:32]


def ticket(video_id: str, share_id: str = "") -> str:
    """A new session's ticket for the video (through the link `share_id`, '' signed in)."""
    nonce = secrets.token_hex(16)
    until = int(time.time()) + TICKET_SECONDS
    return f"{nonce}.{until:x}.{_mac(video_id, share_id, nonce, until)}"


def _checked(value, video_id: str, share_id: str) -> tuple[str, int]:
    """(nonce, expiry) of a live ticket of this video and link, else BadTicket. The
    shape is checked first: anything else (non-ASCII text included) is no ticket."""
    if not isinstance(value, str) or not TICKET_SHAPE.fullmatch(value):
        raise BadTicket('Send the page\'s view ticket as JSON: {"ticket": "..."}.')
    nonce, until_hex, mac = TICKET_SHAPE.fullmatch(value).groups()
    until = int(until_hex, 16)
    if not hmac.compare_digest(mac, _mac(video_id, share_id, nonce, until)):
        raise BadTicket("This view ticket is not one of this video's (or it was altered).")
    if until <= time.time():
        raise BadTicket("This view ticket has expired; reload the page to get a new one.")
    return nonce, until


def record(value, video_id: str, share_id: str = "") -> bool:
    """Count the view of this ticket (BadTicket if it is not a live one of this video
    and link): True if counted now, False if it was counted before."""
    nonce, until = _checked(value, video_id, share_id)
    now = utcnow()
    expires = datetime.fromtimestamp(until, UTC).replace(tzinfo=None)
    counted = tables.views.count(app_db(), nonce, expires, video_id, share_id, now.date(), now)
    tables.views.purge_nonces(app_db(), now - PURGE_AFTER)
    return counted


def stats(video_id: str, total: int, today: date | None = None) -> dict:
    """`{"views", "days": [{"date", "views"}]}`: the total, and each of the last
    CHART_DAYS days (UTC, oldest first, today last), zeros included."""
    today = today or utcnow().date()
    first = today - timedelta(days=CHART_DAYS - 1)
    counts = tables.views.per_day(app_db(), video_id, first)
    days = [(first + timedelta(days=n)).isoformat() for n in range(CHART_DAYS)]
    return {"views": total, "days": [{"date": d, "views": counts.get(d, 0)} for d in days]}
