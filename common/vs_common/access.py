"""What each route needs, declared once beside it, and the refusal of what is not allowed.

Every view of the web apps (and of auth-svc) carries one declaration, checked for every
request by `vs_common.auth_client.install_auth` once the caller is known:

- `needs("read")`: watching (pages, the API's GETs, HLS, posters, thumbnails). Every
  role may; an API token needs its `read` scope.
- `needs("upload")`: `POST /api/upload` and every tus route. The uploader or admin role;
  a token's `upload` scope.
- `needs("manage")`: rename, delete, retry, captions. The uploader or admin role; a
  token's `manage` scope. Whose video it is stays checked where the video is loaded
  (`manageable` below): its owner, or any admin.
- `page(need)`: an HTML page that needs `need` (the library and the player `read`, the
  upload page `upload`) and a browser session: an API token (a program's) is refused
  with 401, whatever its scopes; a role without the need gets a 403 page saying why.
  Without a session, the login page.
- `public`: no session asked (health, static files, the OpenAPI document, metrics with
  their own token, the logout button, a share link's routes, whose token is the
  credential and which check it themselves).
- `session_only(admin=...)`: auth-svc's account and admin routes (its `person_required`
  guard sets it), which take a browser session and never an API token.

A browser session (`g.scopes` None) has every scope its role allows; an API token (a
tuple of scopes) has only those it was given, and never more than its owner's role.
The role is only ever the one auth-svc's verify answer gave: nothing the request says
of itself is read. A route without a declaration is refused (never open), and a test
reads every rule of every app for one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask

READ, UPLOAD, MANAGE = "read", "upload", "manage"
PUBLIC = "public"
SESSION, ADMIN = "session", "admin"  # auth-svc's account and admin routes
NEEDS = (PUBLIC, READ, UPLOAD, MANAGE, SESSION, ADMIN)

# What each role may do (a token of the role: at most this, and only its scopes).
ROLE_ALLOWS = {
    "admin": frozenset({READ, UPLOAD, MANAGE}),
    "uploader": frozenset({READ, UPLOAD, MANAGE}),
    "viewer": frozenset({READ}),
}
# What a refused need is called in a message ("Your role is viewer: uploading needs...").
DOING = {READ: "watching", UPLOAD: "uploading", MANAGE: "changing or deleting videos"}


@dataclass(frozen=True)
class Access:
    """A route's declaration: what it needs, and whether it is an HTML page."""

    need: str
    page: bool = False


def _declare(access: Access) -> Callable:
    if access.need not in NEEDS:
        raise ValueError(f"unknown access need {access.need!r}")

    def mark(view: Callable) -> Callable:
        view.access = access
        return view

    return mark


def needs(need: str) -> Callable:
    """Declare the view's need: `read`, `upload` or `manage` (module docstring)."""
    if need not in (READ, UPLOAD, MANAGE):
        raise ValueError(f"needs() takes read, upload or manage, not {need!r}")
    return _declare(Access(need))


def page(need: str) -> Callable:
    """Declare an HTML page that needs `need` (`read` or `upload`) and a browser session."""
    if need not in (READ, UPLOAD):
        raise ValueError(f"page() takes read or upload, not {need!r}")
    return _declare(Access(need, page=True))


public = _declare(Access(PUBLIC))


def session_only(admin: bool = False, is_page: bool = False) -> Callable:
    """auth-svc's declaration of a route for a browser session (an admin's if `admin`)."""
    return _declare(Access(ADMIN if admin else SESSION, is_page))


def declared(app: Flask, endpoint: str | None) -> Access | None:
    """The declaration of the view behind `endpoint`, or None. Flask's own static-file
    views (the app's and each blueprint's) are public: files, never data."""
    if endpoint is None:
        return None
    if endpoint == "static" or endpoint.endswith(".static"):
        return Access(PUBLIC)
    view = app.view_functions.get(endpoint)
    access = getattr(view, "access", None)
    return access if isinstance(access, Access) else None


def refusal(access: Access, role: str, scopes: tuple[str, ...] | None) -> str | None:
    """Why a caller of `role` holding `scopes` (None: a browser session) may not use a
    route declared `access`, or None when they may. The role is checked first: a token
    never has more than its owner."""
    need = access.need
    if need == PUBLIC:
        return None
    if need not in ROLE_ALLOWS.get(role, ()):
        return f"Your role is {role}: {DOING.get(need, need)} needs the uploader or admin role; ask an administrator."
    if scopes is not None and need not in scopes:
        return f"This API token lacks the {need} scope."
    return None


# Who may watch a video (VIDEO's `visibility`): its owner and admins, or every
# signed-in person. Another person's private video is 404 to them everywhere and never
# listed, so that its existence does not show; a share link is the owner's grant to
# anyone holding it, whatever the visibility.
PRIVATE, INTERNAL = "private", "internal"
VISIBILITIES = (PRIVATE, INTERNAL)


class BadVisibility(ValueError):
    """A visibility that is not one of VISIBILITIES (the message says so)."""


def parse_visibility(raw) -> str:
    """The visibility a request asks for (upload form, tus metadata, PATCH), or
    BadVisibility saying what is wrong: a word of VISIBILITIES, exactly."""
    if isinstance(raw, str) and raw in VISIBILITIES:
        return raw
    shown = repr(raw[:40]) if isinstance(raw, str) else type(raw).__name__
    raise BadVisibility(f"'visibility' must be private or internal, not {shown}.")


def may_watch(visibility: str, owner: str, user: str, role: str) -> bool:
    """Whether `user` (of `role`) may see a video: an internal one, or their own, or any
    as an admin (the route's `read` declaration has checked the role and the scope)."""
    return visibility != PRIVATE or user == owner or role == "admin"


def may_manage(owner: str, user: str, role: str) -> bool:
    """Whether `user` (of `role`) may change a video of `owner`'s: its owner or any admin
    (the route's `manage` declaration has already checked the role and the token)."""
    return user == owner or role == "admin"
