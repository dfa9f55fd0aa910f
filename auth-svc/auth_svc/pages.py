"""What auth-svc's pages share: the header's links (the web apps, the account page, and
the admin page for admins) and a page that says one thing (403, 404, 410, 429...)."""

from __future__ import annotations

from flask import render_template

from vs_common.app import app_settings

from .people import Person


def page_context(person: Person | None, current: str = "") -> dict:
    """The header of a page of auth-svc (base.html): who is signed in, the links, the
    logout form (auth-svc's own logout: the page is on its origin)."""
    settings = app_settings()
    links = [
        ("Upload", settings.upload_public_url + "/", False),
        ("Library", settings.streaming_public_url + "/", False),
    ]
    if person is not None:
        links.append(("Account", "/account", current == "account"))
        if person.role == "admin":
            links.append(("Admin", "/admin/users", current == "admin"))
    return {
        "user": person.username if person else None,
        "logout_url": "/api/logout",
        "nav_upload_url": settings.upload_public_url + "/",
        "nav_links": links,
    }


def message_page(status: int, title: str, message: str, *, person: Person | None = None, link=None, headers=None):
    """A page that says `message` under `title`, answered with `status`; `link`: an
    optional (label, href) to go on with."""
    html = render_template("message.html", title=title, message=message, link=link, **page_context(person))
    return html, status, headers or {}
