"""The share links' API on the live services: `POST /api/videos/<id>/shares` makes a link
(201 SHARE with its URLs, the token at least 128 bits and stored only as its HMAC, the
password as Argon2id), `GET` lists the links not revoked (no URLs), `DELETE` revokes one.
Bad requests are refused in words and store nothing; an API token's scopes apply;
cross-site requests carrying the session cookie are refused (the Origin rule). Who may
call which route, for private and internal videos: test_visibility.py's table."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import requests

from harness import bearer

from .sharekit import link_token, make_share, shares_url, token_hash


def _iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _count(st, video_id: str) -> int:
    return int(st.query("SELECT COUNT(*) AS n FROM shares WHERE video_id = ?", (video_id,))[0]["n"])


def test_a_link_is_shown_once_and_kept_as_hashes(crowd):
    st, owner, video_id = crowd.st, crowd.token["owner"], crowd.internal
    resp = requests.post(shares_url(st, video_id), headers=bearer(owner), timeout=30)  # no body: every default
    assert resp.status_code == 201, resp.text
    share = resp.json()
    assert set(share) == {
        "id",
        "url",
        "embed_url",
        "expires_at",
        "has_password",
        "allow_download",
        "views",
        "last_viewed_at",
        "created_at",
    }
    token = link_token(share)
    assert share["url"] == f"{st.url('streaming')}/s/{token}" and share["embed_url"] == share["url"] + "/embed"
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token)  # secrets.token_urlsafe(32): 256 bits
    assert (share["expires_at"], share["has_password"], share["allow_download"]) == (None, False, False)
    assert (share["views"], share["last_viewed_at"]) == (0, None)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", share["created_at"])
    (row,) = st.query("SELECT * FROM shares WHERE id = ?", (share["id"],))
    assert row["token_hash"] == token_hash(token) and row["password_hash"] is None
    assert (row["created_by"], row["revoked_at"]) == ("uma", None)
    assert token not in repr(st.query("SELECT * FROM shares"))  # only its HMAC is kept
    # The list has it, without its URLs (they cannot be made again from the hash).
    listed = requests.get(shares_url(st, video_id), headers=bearer(owner), timeout=10).json()["shares"]
    mine = next(s for s in listed if s["id"] == share["id"])
    assert mine == {**share, "url": None, "embed_url": None}


def test_expiry_password_and_download_are_kept(crowd):
    st, owner, video_id = crowd.st, crowd.token["owner"], crowd.internal
    later = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=250000)
    share = make_share(
        st, owner, video_id, expires_at=later.astimezone(UTC).isoformat(), password="open sesame", allow_download=True
    )
    assert (share["expires_at"], share["has_password"], share["allow_download"]) == (_iso(later), True, True)
    (row,) = st.query("SELECT password_hash, expires_at FROM shares WHERE id = ?", (share["id"],))
    assert row["password_hash"].startswith("$argon2id$") and "open sesame" not in row["password_hash"]
    # An offset is an instant: +02:00 is stored as UTC.
    offset = make_share(st, owner, video_id, expires_at="2099-06-01T12:00:00+02:00", password="")
    assert (offset["expires_at"], offset["has_password"]) == ("2099-06-01T10:00:00.000Z", False)


def test_tokens_are_all_different(crowd):
    st, owner = crowd.st, crowd.token["owner"]
    shares = [make_share(st, owner, crowd.private) for _ in range(12)]
    assert len({link_token(s) for s in shares}) == len({s["id"] for s in shares}) == 12


@pytest.mark.parametrize(
    "body,message",
    [
        ({"expires_at": "2020-01-01T00:00:00Z"}, "'expires_at' is in the past"),
        ({"expires_at": "tomorrow"}, "'expires_at' is not an ISO 8601 date and time ('tomorrow')"),
        ({"expires_at": "2099-01-01T00:00:00"}, "'expires_at' needs a time zone"),
        ({"expires_at": 4102444800}, "'expires_at' must be an ISO 8601 date and time"),
        ({"password": "abc"}, "'password' must have 4 to 128 characters; it has 3"),
        ({"password": "x" * 129}, "'password' must have 4 to 128 characters; it has 129"),
        ({"password": 12345}, "'password' must be text"),
        ({"password": "line\nbreak"}, "'password' may not hold control characters"),
        ({"allow_download": "yes"}, "'allow_download' must be true or false"),
        ({"allow_download": 1}, "'allow_download' must be true or false"),
        ({"expiry": "2099-01-01T00:00:00Z"}, "Unknown fields: expiry"),
        (["expires_at"], "Send a JSON object"),
        ("not json", "Send a JSON object"),
    ],
)
def test_a_bad_request_is_refused_in_words_and_stores_nothing(crowd, body, message):
    st, owner, video_id = crowd.st, crowd.token["owner"], crowd.internal
    before = _count(st, video_id)
    if body == "not json":
        resp = requests.post(shares_url(st, video_id), data="expires_at=soon", headers=bearer(owner), timeout=10)
    else:
        resp = requests.post(shares_url(st, video_id), json=body, headers=bearer(owner), timeout=10)
    assert resp.status_code == 400, resp.text
    assert resp.json()["error"] == "bad_share" and message in resp.json()["message"], resp.json()
    assert _count(st, video_id) == before


def test_revoking_a_link(crowd):
    st, owner = crowd.st, crowd.token["owner"]
    share = make_share(st, owner, crowd.internal)
    elsewhere = make_share(st, owner, crowd.private)
    url = shares_url(st, crowd.internal)
    # Another video's link is not this video's to revoke.
    wrong = requests.delete(f"{url}/{elsewhere['id']}", headers=bearer(owner), timeout=10)
    assert wrong.status_code == 404 and wrong.json()["error"] == "not_found"
    for odd in ("é" * 16, "x" * 300, share["id"].upper(), share["id"] + " "):
        refused = requests.delete(f"{url}/{odd}", headers=bearer(owner), timeout=10)
        assert refused.status_code == 404 and refused.json()["error"] == "not_found", (odd, refused.text)
    assert requests.delete(f"{url}/{share['id']}", headers=bearer(owner), timeout=10).status_code == 204
    again = requests.delete(f"{url}/{share['id']}", headers=bearer(owner), timeout=10)
    assert again.status_code == 404 and "no such share link" in again.json()["message"]
    listed = {s["id"] for s in requests.get(url, headers=bearer(owner), timeout=10).json()["shares"]}
    assert share["id"] not in listed
    (row,) = st.query("SELECT revoked_at FROM shares WHERE id = ?", (share["id"],))
    assert row["revoked_at"] is not None
    (kept,) = st.query("SELECT revoked_at FROM shares WHERE id = ?", (elsewhere["id"],))
    assert kept["revoked_at"] is None
    # An admin revokes any video's links.
    assert (
        requests.delete(
            f"{shares_url(st, crowd.private)}/{elsewhere['id']}", headers=crowd.headers("admin"), timeout=10
        ).status_code
        == 204
    )


def test_an_api_tokens_scopes_apply(crowd):
    st = crowd.st
    url = shares_url(st, crowd.internal)
    read_only = crowd.headers("t_read")
    refused = requests.post(url, json={}, headers=read_only, timeout=10)
    assert refused.status_code == 403 and "lacks the manage scope" in refused.json()["message"]
    listing = requests.get(url, headers=read_only, timeout=10)  # a video's links are managed, not watched
    assert listing.status_code == 403 and "lacks the manage scope" in listing.json()["message"]
    other = requests.post(url, json={}, headers=crowd.headers("t_other"), timeout=10)
    assert other.status_code == 403 and "owner or an administrator" in other.json()["message"]


@pytest.mark.parametrize("origin", ["https://evil.example", "null"])
def test_cross_site_requests_with_the_cookie_are_refused(crowd, origin):
    """The session cookie and a foreign Origin (or `null`: only the share pages' own
    password form may post so): refused, nothing made or revoked."""
    st, owner = crowd.st, crowd.token["owner"]
    share = make_share(st, owner, crowd.internal)
    before = _count(st, crowd.internal)
    cookies, headers = {"auth_token": owner}, {"Origin": origin}
    url = shares_url(st, crowd.internal)
    made = requests.post(url, json={}, cookies=cookies, headers=headers, timeout=10)
    revoked = requests.delete(f"{url}/{share['id']}", cookies=cookies, headers=headers, timeout=10)
    for resp in (made, revoked):
        assert resp.status_code == 403 and resp.json()["error"] == "cross_site_request", resp.text
    assert _count(st, crowd.internal) == before
    assert st.query("SELECT revoked_at FROM shares WHERE id = ?", (share["id"],)) == [{"revoked_at": None}]
    # The same from the app's own origin works.
    own = requests.post(url, json={}, cookies=cookies, headers={"Origin": st.url("streaming")}, timeout=10)
    assert own.status_code == 201
