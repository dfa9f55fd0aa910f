"""The link viewer's column of the route table (test_visibility holds the house's routes
for admin, owner, other uploader, viewer, nobody and tokens): every /s/ route of a live,
a revoked and an expired link, for a private and an internal video, asked by each of
those callers (a link answers the same whoever holds it: it reads no session), and the
house's routes asked by someone who holds only a link (nothing: a link is not an account)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests

from vs_common.db import utcnow

from .sharekit import WHO, address, make_share, shares_url

# (path under the link, live, live without download, revoked, expired)
LINK_ROUTES = [
    ("", 200, 200, 404, 410),
    ("/embed", 200, 200, 404, 410),
    ("/hls/master.m3u8", 200, 200, 404, 410),
    ("/hls/{media}", 200, 200, 404, 410),
    ("/hls/{segment}", 200, 200, 404, 410),
    ("/hls/{captions}", 200, 200, 404, 410),
    ("/hls/{vtt}", 200, 200, 404, 410),
    ("/poster.jpg", 200, 200, 404, 410),
    ("/original", 200, 403, 404, 410),
]
# The house's routes, for someone holding only a link (no cookie, no token): nobody's answers.
HOUSE_ROUTES = [
    ("/videos/{v}", 303),
    ("/api/videos/{v}", 401),
    ("/videos/{v}/hls/master.m3u8", 401),
    ("/videos/{v}/hls/{segment}", 401),
    ("/videos/{v}/poster.jpg", 401),
    ("/api/videos/{v}/shares", 401),
]


@pytest.fixture(scope="module")
def links(crowd) -> dict[str, dict[str, str]]:
    """Per visibility: the URLs of a live link allowing downloads, a live one that does
    not, a revoked one and an expired one."""
    st, owner = crowd.st, crowd.token["owner"]
    made = {}
    for visibility, video_id in (("private", crowd.private), ("internal", crowd.internal)):
        live = make_share(st, owner, video_id, allow_download=True)
        plain = make_share(st, owner, video_id)
        revoked = make_share(st, owner, video_id)
        gone = requests.delete(
            f"{shares_url(st, video_id)}/{revoked['id']}", headers=crowd.headers("owner"), timeout=10
        )
        assert gone.status_code == 204
        expired = make_share(st, owner, video_id, expires_at="2099-01-01T00:00:00Z")
        st.query("UPDATE shares SET expires_at = ? WHERE id = ?", (utcnow() - timedelta(seconds=1), expired["id"]))
        made[visibility] = {
            "live": live["url"],
            "plain": plain["url"],
            "revoked": revoked["url"],
            "expired": expired["url"],
        }
    return made


@pytest.mark.parametrize("visibility", ["private", "internal"])
@pytest.mark.parametrize("path,live,plain,revoked,expired", LINK_ROUTES, ids=[r[0] or "/" for r in LINK_ROUTES])
def test_every_link_route_for_every_caller(crowd, links, visibility, path, live, plain, revoked, expired):
    video_id = crowd.private if visibility == "private" else crowd.internal
    files = crowd.files[video_id]
    expected = {"live": live, "plain": plain, "revoked": revoked, "expired": expired}
    who_from = address()  # its own address: no throttle of another test's
    wrong = []
    for kind, status in expected.items():
        url = links[visibility][kind] + path.format(**files)
        for who in WHO:
            resp = requests.get(
                url,
                headers={**crowd.headers(who), "X-Forwarded-For": who_from},
                timeout=20,
                allow_redirects=False,
            )
            if resp.status_code != status:
                wrong.append(f"{kind} link, {who}: {resp.status_code} (expected {status}) {resp.text[:120]}")
    assert not wrong, f"/s/<token>{path} ({visibility}):\n" + "\n".join(wrong)
    # Revoked and expired links taught nothing and cost nothing: not counted as guesses.
    assert crowd.st.query("SELECT COUNT(*) AS n FROM share_attempts WHERE client = ?", (who_from,)) == [{"n": 0}]


@pytest.mark.parametrize("visibility", ["private", "internal"])
@pytest.mark.parametrize("path,status", HOUSE_ROUTES, ids=[r[0] for r in HOUSE_ROUTES])
def test_a_link_holder_reads_nothing_of_the_house(crowd, links, visibility, path, status):
    video_id = crowd.private if visibility == "private" else crowd.internal
    share_url = links[visibility]["live"]
    # What a link's page might leave behind in a browser (its grant cookie is scoped to
    # /s/<token> and a link without password sets none): nothing the house takes.
    url = crowd.st.url("streaming") + path.format(v=video_id, **crowd.files[video_id])
    resp = requests.get(url, headers={"Referer": share_url}, timeout=20, allow_redirects=False)
    assert resp.status_code == status, resp.text[:200]
