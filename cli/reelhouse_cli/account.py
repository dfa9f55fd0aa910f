"""`reelhouse login` and `reelhouse logout`, and which token an upload uses.

login: the username and password (REELHOUSE_USERNAME and REELHOUSE_PASSWORD, else asked
on the terminal), and the second factor's code when the account has one
(REELHOUSE_TOTP, else asked); with that session it makes an API token (scopes read and
upload, named after this computer), stores it (token_file.py), and logs the session out.
The password is never stored.

An upload's token: REELHOUSE_TOKEN if set (sent to the URLs given), else the stored one,
which goes only to the three origins it was made for (a flag or variable naming another
is refused, the token unsent), else none (the caller falls back to the password).

logout: revokes the stored token at its auth-svc (POST /api/logout with it) and removes
the file; if auth-svc cannot be reached the file stays, so that it can be tried again.
"""

from __future__ import annotations

import getpass
import os
import re
import socket
import sys

import requests

from . import token_file
from .report import Failed, shown
from .token_file import StoredToken
from .tus import message, origin

API_TOKEN = re.compile(r"rh_[A-Za-z0-9_-]{43}")
HEADER_SAFE = re.compile(r"[!-~]{1,4096}")  # visible ASCII: anything else cannot be a header's value
TOKEN_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
SCOPES = ["read", "upload"]
TIMEOUT = 30


class SecondFactorNeeded(Failed):
    """The password is right; the account asks for its second factor's code too."""


def _call(method: str, url: str, token: str | None = None, **kwargs) -> requests.Response:
    """One request to auth-svc; redirects not followed (they would take the credentials along)."""
    headers = {"Accept": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    try:
        return requests.request(method, url, headers=headers, allow_redirects=False, timeout=TIMEOUT, **kwargs)
    except requests.RequestException as exc:
        raise Failed(
            f"cannot reach the login service at {url.rsplit('/api/', 1)[0]}: {exc.__class__.__name__}"
        ) from None


def password_login(auth_url: str, username: str, password: str, totp: str = "") -> str:
    """A session token from auth-svc's JSON login; SecondFactorNeeded when a code is
    needed and none (or no right one) was given."""
    fields = {"username": username, "password": password, **({"totp": totp} if totp else {})}
    resp = _call("POST", f"{auth_url}/api/login", data=fields)
    if resp.status_code == 401 and _error(resp) == "totp_required":
        raise SecondFactorNeeded("this account asks for a second factor's code")
    if resp.status_code != 200:
        raise Failed(f"login refused: {message(resp)}")
    token = _json(resp).get("token")
    if not isinstance(token, str) or not HEADER_SAFE.fullmatch(token):
        raise Failed(f"the login service at {auth_url} answered no token: is --auth-url auth-svc?")
    return token


def _json(resp: requests.Response) -> dict:
    try:
        body = resp.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _error(resp: requests.Response) -> str | None:
    return _json(resp).get("error")


def has_terminal() -> bool:
    """Whether there is someone to ask: a standard input that is a terminal (it may be
    closed altogether, sys.stdin None, under a service manager or `<&-`)."""
    return sys.stdin is not None and not sys.stdin.closed and sys.stdin.isatty()


def _ask(variable: str, prompt: str, secret: bool) -> str:
    """A variable's value, else the person's answer on the terminal; without a terminal,
    Failed saying which variable to set."""
    value = os.environ.get(variable)
    if value:
        return value
    if not has_terminal():
        raise Failed(f"no terminal to ask on: set {variable}")
    try:
        return getpass.getpass(prompt) if secret else input(prompt)
    except EOFError:
        raise Failed(f"nothing given: set {variable}") from None


def _session(auth_url: str) -> tuple[str, str]:
    """(username, session token), asking for what the environment does not give."""
    username = _ask("REELHOUSE_USERNAME", "Username: ", secret=False)
    password = _ask("REELHOUSE_PASSWORD", "Password: ", secret=True)
    try:  # a REELHOUSE_TOTP given is sent at once (auth-svc ignores it for an account without one)
        return username, password_login(auth_url, username, password, os.environ.get("REELHOUSE_TOTP", ""))
    except SecondFactorNeeded:
        pass
    code = _ask("REELHOUSE_TOTP", "Code from your authenticator app (or a recovery code): ", secret=False)
    return username, password_login(auth_url, username, password, code.strip())


def _new_token(auth_url: str, session: str) -> tuple[str, str]:
    """(token, id) of a new API token made with the session."""
    name = f"reelhouse CLI on {socket.gethostname() or 'this computer'}"[:100]
    resp = _call("POST", f"{auth_url}/api/me/tokens", session, json={"name": name, "scopes": SCOPES})
    if resp.status_code != 201:
        raise Failed(f"cannot make an API token: {message(resp)}")
    body = _json(resp)
    token, token_id = body.get("token"), body.get("id")
    if not (isinstance(token, str) and API_TOKEN.fullmatch(token)) or not (
        isinstance(token_id, str) and TOKEN_ID.fullmatch(token_id)
    ):
        raise Failed(f"the login service at {auth_url} answered no API token: is --auth-url auth-svc?")
    return token, token_id


def login_command(args) -> int:
    """`reelhouse login`: a token stored for later runs; the session used to make it ends."""
    username, session = _session(args.auth_url)
    try:
        token, token_id = _new_token(args.auth_url, session)
    finally:
        _call("POST", f"{args.auth_url}/api/logout", session)  # the session was only for this
    try:
        old = token_file.read(exposed_ok=True)
    except Failed:
        old = None  # damaged: replaced below
    try:
        where = token_file.write(
            StoredToken(token, token_id, username, args.auth_url, args.upload_url, args.streaming_url)
        )
    except Failed:
        _call("POST", f"{args.auth_url}/api/logout", token)  # not kept: not left valid either
        raise
    if old is not None and old.token != token:
        _revoke_quietly(old)
    print(
        shown(f"Logged in as {username} at {args.auth_url}; the token is kept in {where} (reelhouse logout ends it).")
    )
    return 0


def _revoke_quietly(old: StoredToken) -> None:
    """The token a new login replaces is revoked at its own auth-svc, if it can be reached."""
    try:
        _call("POST", f"{old.auth_url}/api/logout", old.token)
    except Failed:
        print(shown(f"reelhouse: the previous token could not be revoked at {old.auth_url}"), file=sys.stderr)


def logout_command(_args) -> int:
    """`reelhouse logout`: the stored token revoked at its auth-svc, then removed."""
    stored = token_file.read(exposed_ok=True)
    if stored is None:
        print(shown(f"Not logged in: no token in {token_file.path()}."))
        return 0
    try:
        resp = _call("POST", f"{stored.auth_url}/api/logout", stored.token)
    except Failed as exc:
        raise Failed(f"{exc}; the token is kept in {token_file.path()}: run reelhouse logout again") from None
    if resp.status_code not in (200, 204, 303):
        raise Failed(f"the token was not revoked ({message(resp)}); it is kept in {token_file.path()}")
    token_file.remove()
    print(shown(f"Logged out: the token of {stored.username} is revoked and removed."))
    return 0


def upload_token(args, stored: StoredToken | None) -> tuple[str, str] | None:
    """(token, username) for an upload: REELHOUSE_TOKEN, else the `stored` token (on the
    origins it was made for only); None when there is neither."""
    env_token = os.environ.get("REELHOUSE_TOKEN")
    if env_token:
        if not HEADER_SAFE.fullmatch(env_token):
            raise Failed("REELHOUSE_TOKEN is not a token (visible ASCII characters only)")
        return env_token, _owner(args.auth_url, env_token)
    if stored is None:
        return None
    for name in ("auth_url", "upload_url", "streaming_url"):
        given, made_for = getattr(args, name), getattr(stored, name)
        try:
            made_for = origin(made_for)
        except ValueError:
            raise Failed(f"the token file {token_file.path()} is damaged: run reelhouse login again") from None
        if origin(given) != made_for:
            flag = "--" + name.replace("_", "-")
            raise Failed(
                f"the stored token was made for {made_for}, not {origin(given)} ({flag}): it is not sent "
                "there; run reelhouse login with these URLs, or set REELHOUSE_TOKEN"
            )
    return stored.token, _owner(args.auth_url, stored.token, stored=True)


def _owner(auth_url: str, token: str, stored: bool = False) -> str:
    """Whose the token is, by auth-svc's word (also: it still works)."""
    resp = _call("GET", f"{auth_url}/api/verify", token)
    user = _json(resp).get("user") if resp.status_code == 200 else None
    if not isinstance(user, str) or not user:
        where = "the stored token" if stored else "REELHOUSE_TOKEN"
        if _error(resp) == "account_disabled":
            raise Failed(f"{where} is not accepted ({message(resp)}): ask an administrator to enable the account")
        raise Failed(f"{where} is not accepted ({message(resp)}): revoked or expired? run reelhouse login")
    return user
