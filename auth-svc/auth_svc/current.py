"""The person behind a request to auth-svc's own pages and APIs (account, admin): a
browser session only (the cookie, or a session token as Bearer), never an API token, so
that a program's token cannot manage people, tokens or second factors.

`person_required(admin=..., page=...)` guards a view: no session, an expired or revoked
one, or a disabled person: a page 303s to the login page, an API answers 401 JSON; an API
token: 401 saying to log in; not an admin where one is needed: 403 `forbidden` (a page:
the 403 page saying so). It sets `g.person` (people.Person) and `g.session_token`, and
declares the view's access (vs_common.access.session_only) for the test that reads every
route's declaration.
"""

from __future__ import annotations

import functools
from urllib.parse import quote

from flask import current_app, g, redirect, request

from vs_common import access
from vs_common.app import app_db, app_settings
from vs_common.auth_client import token_from_request
from vs_common.errors import error_response

from . import api_tokens, sessions
from .pages import message_page


def _login_redirect():
    target = app_settings().auth_public_url.rstrip("/") + request.full_path.rstrip("?")
    return redirect(f"/login?redirect={quote(target, safe='')}", code=303)


def person_required(admin: bool = False, page: bool = False):
    """Guard a view of auth-svc's account or admin routes (module docstring)."""

    def wrap(view):
        @functools.wraps(view)
        def guarded(*args, **kwargs):
            token = token_from_request()
            if api_tokens.is_api_token(token):
                return error_response(
                    401, "unauthorized", "API tokens cannot manage accounts: log in with a password instead."
                )
            user = sessions.session_user(app_db(), app_settings().secret_key, token) if token else None
            person = current_app.extensions["people"].person(user) if user else None
            if person is None or person.disabled:
                if page:
                    return _login_redirect()
                code = "account_disabled" if person is not None else "unauthorized"
                return error_response(401, code, "Log in first: no valid session.")
            if admin and person.role != "admin":
                if page:
                    return message_page(
                        403,
                        "Administrators only",
                        f"This page is for administrators; your role is {person.role}.",
                        person=person,
                    )
                return error_response(
                    403, "forbidden", "Only an administrator may do this; your role is " + person.role + "."
                )
            g.person, g.session_token = person, token
            return view(*args, **kwargs)

        return access.session_only(admin=admin, is_page=page)(guarded)

    return wrap
