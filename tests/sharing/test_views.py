"""Views on the live services (MariaDB, S3, gunicorn): a view is counted once per viewer
session (a page load's view ticket), when the player posts it, never on page load; for
signed-in viewers and link viewers alike (a link's views count on the link and its
video); the owner's stats (30 days, zeros included) and chart; tampered, foreign and
expired tickets refused (400) with nothing counted; the same ticket posted 8 times at
once on MariaDB counts once."""

from __future__ import annotations

import hashlib
import hmac
import re
import threading
import time
from datetime import UTC, datetime, timedelta

import requests

from harness import bearer

from .sharekit import SECRET_KEY, add_video_row, address, link_token, make_share, shares_url

TICKET = re.compile(r'<script src="[^"]*views\.js[^"]*" defer data-url="([^"]+)" data-ticket="([^"]+)"')


def _page_ticket(resp: requests.Response) -> tuple[str, str]:
    """The (url, ticket) a player page gives views.js."""
    assert resp.status_code == 200, resp.text[:300]
    match = TICKET.search(resp.text)
    assert match, "no view ticket on the page"
    return match.group(1).replace("&amp;", "&"), match.group(2)


def _signed_in_ticket(crowd, video_id: str, who: str = "owner") -> tuple[str, str]:
    resp = requests.get(f"{crowd.st.url('streaming')}/videos/{video_id}", headers=crowd.headers(who), timeout=20)
    return _page_ticket(resp)


def _link_ticket(crowd, share: dict, who: str) -> tuple[str, str]:
    resp = requests.get(share["url"], headers={"X-Forwarded-For": who}, timeout=20)
    return _page_ticket(resp)


def _post(crowd, path: str, body, who: str | None = None, origin: str | None = None) -> requests.Response:
    headers = {**(crowd.headers(who) if who else {}), **({"Origin": origin} if origin else {})}
    kw = {"json": body} if not isinstance(body, bytes) else {"data": body}
    return requests.post(crowd.st.url("streaming") + path, headers=headers, timeout=20, **kw)


def _stats(crowd, video_id: str, who: str = "owner") -> dict:
    resp = requests.get(
        f"{crowd.st.url('streaming')}/api/videos/{video_id}/stats", headers=crowd.headers(who), timeout=20
    )
    assert resp.status_code == 200, resp.text
    return resp.json()


def _today() -> str:
    return datetime.now(UTC).date().isoformat()


def test_a_signed_in_viewers_ticket_counts_once_and_a_page_load_counts_nothing(crowd):
    video = add_video_row(crowd.st, "uma", "internal", name="Counted")
    url, ticket = _signed_in_ticket(crowd, video, who="viewer")
    assert url == f"/api/videos/{video}/views"
    _signed_in_ticket(crowd, video, who="other")  # a second page load, never played
    assert _stats(crowd, video)["views"] == 0  # loading the page counts nothing
    for _ in range(3):  # the player's retries, a second tab of the same page: one session
        resp = _post(crowd, url, {"ticket": ticket}, who="viewer")
        assert resp.status_code == 204, resp.text
    stats = _stats(crowd, video)
    assert stats["views"] == 1 and stats["days"][-1] == {"date": _today(), "views": 1}
    assert crowd.st.video(crowd.token["owner"], video)["views"] == 1
    rows = crowd.st.query("SELECT share_id, count FROM views WHERE video_id = ?", (video,))
    assert rows == [{"share_id": "", "count": 1}]
    _, second = _signed_in_ticket(crowd, video, who="viewer")  # a reload: a new session
    assert _post(crowd, url, {"ticket": second}, who="viewer").status_code == 204
    assert _stats(crowd, video)["views"] == 2


def test_a_link_viewers_view_counts_on_the_link_and_the_video(crowd):
    video = add_video_row(crowd.st, "uma", "private", name="Linked")
    share = make_share(crowd.st, crowd.token["owner"], video)
    who = address()
    url, ticket = _link_ticket(crowd, share, who)
    assert url == f"/s/{link_token(share)}/views"
    listed = requests.get(shares_url(crowd.st, video), headers=crowd.headers("owner"), timeout=20).json()["shares"]
    assert (listed[0]["views"], listed[0]["last_viewed_at"]) == (0, None)  # the page alone counts nothing
    for _ in range(2):  # posted from the no-referrer page: Origin null, no cookie
        resp = _post(crowd, url, {"ticket": ticket}, origin="null")
        assert resp.status_code == 204, resp.text
    listed = requests.get(shares_url(crowd.st, video), headers=crowd.headers("owner"), timeout=20).json()["shares"]
    assert listed[0]["views"] == 1 and listed[0]["last_viewed_at"].startswith(_today())
    assert _stats(crowd, video)["views"] == 1 == crowd.st.video(crowd.token["owner"], video)["views"]
    rows = crowd.st.query("SELECT share_id, count FROM views WHERE video_id = ?", (video,))
    assert rows == [{"share_id": share["id"], "count": 1}]
    # A foreign site's post is refused like any cross-site write; nothing counted.
    _, other = _link_ticket(crowd, share, who)
    assert _post(crowd, url, {"ticket": other}, origin="https://evil.example").status_code == 403
    assert _stats(crowd, video)["views"] == 1


def test_a_password_links_view_needs_its_grant(crowd):
    video = add_video_row(crowd.st, "uma", "internal", name="Locked")
    share = make_share(crowd.st, crowd.token["owner"], video, password="open sesame")
    who = address()
    page = requests.post(
        share["url"], data={"password": "open sesame"}, headers={"X-Forwarded-For": who, "Origin": "null"}, timeout=30
    )
    url, ticket = _page_ticket(page)
    assert "?grant=" in url
    bare = url.split("?", 1)[0]
    resp = _post(crowd, bare, {"ticket": ticket}, origin="null")
    assert (resp.status_code, resp.json()["error"]) == (403, "password_required")
    assert _post(crowd, bare + "?grant=ffffffff." + "0" * 32, {"ticket": ticket}).status_code == 403
    assert _stats(crowd, video)["views"] == 0
    assert _post(crowd, url, {"ticket": ticket}, origin="null").status_code == 204
    assert _stats(crowd, video)["views"] == 1


def test_a_private_videos_views_and_stats_are_absent_to_others(crowd):
    video = add_video_row(crowd.st, "uma", "private", name="Mine")
    url, ticket = _signed_in_ticket(crowd, video)
    absent = _post(crowd, "/api/videos/nosuchvideo00000000000/views", {"ticket": ticket}, who="other")
    for who in ("other", "viewer", "t_other"):
        resp = _post(crowd, url, {"ticket": ticket}, who=who)
        assert (resp.status_code, resp.text) == (404, absent.text), who
        stats = requests.get(
            f"{crowd.st.url('streaming')}/api/videos/{video}/stats", headers=crowd.headers(who), timeout=20
        )
        assert stats.status_code == (403 if who == "viewer" else 404), who  # a viewer role may see no stats
    assert _post(crowd, url, {"ticket": ticket}).status_code == 401  # nobody
    assert _stats(crowd, video, "admin")["views"] == 0
    internal = add_video_row(crowd.st, "uma", "internal")
    for who, status in (("other", 403), ("viewer", 403), ("t_other", 403), ("t_read", 403), ("admin", 200)):
        got = requests.get(
            f"{crowd.st.url('streaming')}/api/videos/{internal}/stats", headers=crowd.headers(who), timeout=20
        )
        assert got.status_code == status, who


def test_stats_hold_the_last_30_days_zeros_included(crowd):
    video = add_video_row(crowd.st, "uma", "internal", name="Busy")
    today = datetime.now(UTC).date()
    for days_ago, share_id, count in ((0, "", 2), (0, "somelink", 3), (29, "", 4), (30, "", 100), (5, "x", 1)):
        crowd.st.query(
            "INSERT INTO views (video_id, share_id, day, count) VALUES (?, ?, ?, ?)",
            (video, share_id, (today - timedelta(days=days_ago)).isoformat(), count),
        )
    stats = _stats(crowd, video)
    assert set(stats) == {"views", "days"} and stats["views"] == 110  # the total counts every day
    assert [d["date"] for d in stats["days"]] == [(today - timedelta(days=n)).isoformat() for n in range(29, -1, -1)]
    by_day = {d["date"]: d["views"] for d in stats["days"]}
    assert by_day[today.isoformat()] == 5 and by_day[(today - timedelta(days=29)).isoformat()] == 4
    assert by_day[(today - timedelta(days=5)).isoformat()] == 1 and sum(by_day.values()) == 10
    # The chart on the owner's page: 30 bars, a title, a description, the total.
    page = requests.get(f"{crowd.st.url('streaming')}/videos/{video}", headers=crowd.headers("owner"), timeout=20).text
    assert page.count('class="views-day"') == 30 and 'data-views="5"' in page
    assert 'id="views-chart-title"' in page and "<desc" in page and '<strong id="views-total">110</strong>' in page
    other = requests.get(f"{crowd.st.url('streaming')}/videos/{video}", headers=crowd.headers("other"), timeout=20)
    assert other.status_code == 200 and "views-chart" not in other.text  # the owner's and admins' only


def _ticket_for(video_id: str, share_id: str, nonce: str, until: int) -> str:
    """A ticket as streaming-svc signs it (SECRET_KEY of the harness): to forge expired ones."""
    text = f"view ticket\n{video_id}\n{share_id}\n{nonce}\n{until}"
    return f"{nonce}.{until:x}." + hmac.new(SECRET_KEY.encode(), text.encode(), hashlib.sha256).hexdigest()[:32]


def test_tampered_foreign_and_expired_tickets_are_400_and_count_nothing(crowd):
    st = crowd.st
    video = add_video_row(st, "uma", "internal", name="Target")
    elsewhere = add_video_row(st, "uma", "internal", name="Elsewhere")
    share = make_share(st, crowd.token["owner"], video)
    url, ticket = _signed_in_ticket(crowd, video)
    link_url, link_ticket = _link_ticket(crowd, share, address())
    _, foreign = _signed_in_ticket(crowd, elsewhere)
    nonce, until, mac = ticket.split(".")
    flipped = mac[:-1] + ("0" if mac[-1] != "0" else "1")
    later = f"{int(until, 16) + 3600:x}"
    bad = [
        (url, {"ticket": f"{nonce}.{until}.{flipped}"}),
        (url, {"ticket": f"{nonce}.{later}.{mac}"}),  # a longer life
        (url, {"ticket": f"{'0' * 32}.{until}.{mac}"}),  # another nonce
        (url, {"ticket": foreign}),  # another video's
        (url, {"ticket": link_ticket}),  # a link's, posted as a signed-in view
        (link_url, {"ticket": ticket}),  # a signed-in one, posted through the link
        (url, {"ticket": _ticket_for(video, "", "a" * 32, int(time.time()) - 5)}),  # expired
        (url, {"ticket": ticket.upper()}),
        (url, {"ticket": "é" * 20}),
        (url, {"ticket": 12}),
        (url, {}),
        (url, ["x"]),
        (url, b"not json"),
    ]
    for path, body in bad:
        resp = _post(
            crowd,
            path,
            body,
            who=None if path.startswith("/s/") else "owner",
            origin="null" if path.startswith("/s/") else None,
        )
        assert resp.status_code == 400 and resp.json()["error"] == "bad_ticket", (path, body, resp.text)
        assert resp.json()["message"]
    expired = _post(crowd, url, {"ticket": _ticket_for(video, "", "b" * 32, int(time.time()) - 5)}, who="owner")
    assert "expired" in expired.json()["message"]
    assert _stats(crowd, video)["views"] == 0 and _stats(crowd, elsewhere)["views"] == 0
    assert st.query("SELECT COUNT(*) AS n FROM view_nonces WHERE nonce IN (?, ?)", ("a" * 32, "0" * 32))[0]["n"] == 0
    # The genuine ones still count, once.
    assert _post(crowd, url, {"ticket": ticket}, who="owner").status_code == 204
    assert _post(crowd, link_url, {"ticket": link_ticket}, origin="null").status_code == 204
    assert _stats(crowd, video)["views"] == 2


def test_the_same_ticket_posted_8_times_at_once_counts_once_on_mariadb(crowd):
    st = crowd.st
    assert st.query("SELECT VERSION() AS v")[0]["v"].lower().find("mariadb") >= 0
    video = add_video_row(st, "uma", "internal", name="Raced")
    share = make_share(st, crowd.token["owner"], video)
    url, ticket = _signed_in_ticket(crowd, video)
    link_url, link_ticket = _link_ticket(crowd, share, address())
    distinct = [_signed_in_ticket(crowd, video)[1] for _ in range(8)]
    token = crowd.token["viewer"]

    def race(jobs: list[tuple[str, str, dict]]) -> list[int]:
        barrier = threading.Barrier(len(jobs))
        statuses: list[int] = []

        def one(path: str, ticket_: str, headers: dict) -> None:
            barrier.wait()
            statuses.append(
                requests.post(
                    st.url("streaming") + path, json={"ticket": ticket_}, headers=headers, timeout=30
                ).status_code
            )

        threads = [threading.Thread(target=one, args=job) for job in jobs]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return statuses

    assert race([(url, ticket, bearer(token))] * 8) == [204] * 8
    assert race([(link_url, link_ticket, {"Origin": "null"})] * 8) == [204] * 8
    assert _stats(crowd, video)["views"] == 2
    listed = requests.get(shares_url(st, video), headers=crowd.headers("owner"), timeout=20).json()["shares"]
    assert listed[0]["views"] == 1
    # Eight sessions at once, each its own ticket: eight views (racing upserts of one day's row).
    assert race([(url, t, bearer(token)) for t in distinct]) == [204] * 8
    assert _stats(crowd, video)["views"] == 10
