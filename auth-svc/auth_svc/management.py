"""What an admin does to people: list them, create one (with an invitation link), change
a role, a quota or the disabled flag, reset a password (a new link), delete one (their
videos deleted or given to someone else). The routes are admin.py's; each refusal here
is a Refusal carrying the answer.

- Only database users can be changed: the environment's admin and the users file's
  people are managed where they are defined (409 `managed_elsewhere`).
- The last enabled admin (the environment's admin counts, and is never disabled) cannot
  be demoted, disabled or deleted (409 `last_admin`). The check and the change are one
  transaction that holds every user row (tables.enabled_admins_for_update), so two
  admins demoting each other at once cannot both succeed.
- A reset is for a password that is lost or may be known to someone else, so it makes
  the old one useless at once: the password is cleared (the person cannot log in until
  they choose a new one through the link), every session and API token of theirs is
  revoked, and their older links end. Their second factor is kept: whoever gets the
  link still needs it.
- Disabling someone ends their sessions for good (enabling them again brings none back,
  a stolen one included); their API tokens are refused while they are disabled and work
  again once enabled (revoked only by a reset, or by their owner).
- Changes are seen at the person's next verification: auth-svc reads the users table on
  every one, and the web apps keep an answer at most 2 s.
"""

from __future__ import annotations

from vs_common import catalogue
from vs_common import tables as catalogue_tables
from vs_common.auth_client import ROLES
from vs_common.db import Database, as_datetime, utcnow
from vs_common.settings import Settings

from . import invitations, tables
from .people import Directory, Person, database_person, normalise
from .usernames import InvalidUsername, clean_username, skeleton

QUOTA_BYTES_MAX = 2**63 - 1
QUOTA_VIDEOS_MAX = 2**31 - 1
VIDEO_OWNERS = ("admin", "uploader")  # the roles that may own videos
DELETE_ROUNDS = 5  # passes over a deleted user's videos (an upload may land meanwhile)


class Refusal(Exception):
    """An admin's request refused: the HTTP status, the error code and the message."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(status, code, message)
        self.status, self.code, self.message = status, code, message


def _iso(value) -> str | None:
    dt = as_datetime(value)
    return None if dt is None else dt.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def user_json(person: Person, row: dict | None, usage: tuple[int, int]) -> dict:
    """The USER object of design.md (plus `invited`: a database user who has not chosen
    a password yet)."""
    return {
        "username": person.username,
        "role": person.role,
        "disabled": person.disabled,
        "source": person.source,
        "created_at": _iso(row["created_at"]) if row else None,
        "quota_bytes": person.quota_bytes,
        "quota_videos": person.quota_videos,
        "bytes_used": usage[0],
        "videos_used": usage[1],
        "invited": bool(row) and row["password_hash"] is None,
    }


class Management:
    """The admin's operations on the people of `directory`."""

    def __init__(self, settings: Settings, db: Database, directory: Directory):
        self.settings = settings
        self.db = db
        self.directory = directory

    # -- reading ----------------------------------------------------------------------
    def _outside_names(self) -> list[tuple[str, str]]:
        """(name, source) of the people defined outside the database."""
        found = [(self.directory.env_name, "env")] if self.directory.env_name else []
        return found + [(n, "file") for n in sorted(self.directory.file_names()) if n != self.directory.env_name]

    def list_users(self) -> list[dict]:
        """Every person: the environment's admin, the file's people, then the database's
        (rows shadowed by a name of the first two are not theirs: skipped)."""
        usage = catalogue_tables.videos.usage_by_owner(self.db)
        outside = self._outside_names()
        people = [user_json(self.directory.person(n), None, usage.get(n, (0, 0))) for n, _ in outside]
        shadowed = {n for n, _ in outside}
        for row in tables.users(self.db):
            if row["username"] not in shadowed:
                people.append(user_json(database_person(row), row, usage.get(row["username"], (0, 0))))
        return people

    def user(self, username: str) -> dict:
        person = self.directory.person(username)
        if person is None:
            raise Refusal(404, "not_found", f"There is no user {username!r}.")
        row = tables.user(self.db, person.username) if person.source == "database" else None
        return user_json(person, row, catalogue_tables.videos.usage(self.db, person.username))

    def _database_person(self, username: str) -> Person:
        """The database user of that name; else 404, or 409 for one defined elsewhere."""
        person = self.directory.person(username)
        if person is None:
            raise Refusal(404, "not_found", f"There is no user {username!r}.")
        if person.source == "env":
            raise Refusal(
                409,
                "managed_elsewhere",
                f"{person.username} is the administrator of AUTH_USERNAME and AUTH_PASSWORD in auth-svc's "
                "environment: change them there.",
            )
        if person.source == "file":
            raise Refusal(
                409,
                "managed_elsewhere",
                f"{person.username} is a line of AUTH_USERS_FILE: change or remove it in that file.",
            )
        return person

    # -- creating ---------------------------------------------------------------------
    def _taken_by(self, name: str) -> str | None:
        """The existing name `name` looks like (the same skeleton), or None."""
        wanted = skeleton(name)
        for other, _ in self._outside_names():
            if skeleton(other) == wanted:
                return other
        row = tables.user_by_skeleton(self.db, wanted)
        return row["username"] if row else None

    def create(self, body: object, created_by: str) -> tuple[dict, str]:
        """A new database user and their invitation link: (USER, invite_url)."""
        if not isinstance(body, dict):
            raise Refusal(400, "bad_request", 'Send JSON {"username", "role", "quota_bytes"?, "quota_videos"?}.')
        _no_other_fields(body, {"username", "role", "quota_bytes", "quota_videos"})
        try:
            name = clean_username(body.get("username"))
        except InvalidUsername as exc:
            raise Refusal(400, "invalid_username", str(exc)) from None
        role = _role(body.get("role"))
        default_bytes, default_videos = self.directory.default_quotas()
        quota_bytes = _quota(body, "quota_bytes", QUOTA_BYTES_MAX, default_bytes)
        quota_videos = _quota(body, "quota_videos", QUOTA_VIDEOS_MAX, default_videos)
        taken = self._taken_by(name)
        if taken is not None:
            raise _taken(name, taken)
        now = utcnow()
        row = {
            "username": name,
            "skeleton": skeleton(name),
            "role": role,
            "password_hash": None,
            "disabled": 0,
            "quota_bytes": quota_bytes,
            "quota_videos": quota_videos,
            "created_by": created_by,
            "created_at": now,
            "updated_at": now,
        }
        token, link = invitations.new_link(self.settings, name, "invite", now)
        if not tables.add_user(self.db, row, link, purge_before=now - invitations.KEEP_DEAD_LINKS):
            raise _taken(name, self._taken_by(name) or name)  # a concurrent creation won
        return self.user(name), invitations.link_url(self.settings, token)

    # -- changing ---------------------------------------------------------------------
    def _env_admins(self) -> int:
        return 1 if self.directory.env_name else 0

    def change(self, username: str, body: object) -> dict:
        """Role, disabled, quotas of a database user: the USER after the change."""
        if not isinstance(body, dict) or not body:
            raise Refusal(
                400, "bad_request", 'Send JSON with any of {"role", "disabled", "quota_bytes", "quota_videos"}.'
            )
        _no_other_fields(body, {"role", "disabled", "quota_bytes", "quota_videos"})
        changes: dict = {}
        if "role" in body:
            changes["role"] = _role(body["role"])
        if "disabled" in body:
            if not isinstance(body["disabled"], bool):
                raise Refusal(400, "bad_request", "'disabled' must be true or false.")
            changes["disabled"] = 1 if body["disabled"] else 0
        if "quota_bytes" in body:
            changes["quota_bytes"] = _quota(body, "quota_bytes", QUOTA_BYTES_MAX, None)
        if "quota_videos" in body:
            changes["quota_videos"] = _quota(body, "quota_videos", QUOTA_VIDEOS_MAX, None)
        person = self._database_person(username)
        now = utcnow()
        with self.db.transaction() as cur:
            admins = tables.enabled_admins_for_update(cur)
            row = tables.locked_user(cur, person.username)
            if row is None:
                raise Refusal(404, "not_found", f"There is no user {username!r}.")
            loses_admin = changes.get("role", row["role"]) != "admin" or changes.get("disabled", row["disabled"])
            if person.username in admins and loses_admin and len(admins) + self._env_admins() <= 1:
                raise Refusal(
                    409,
                    "last_admin",
                    f"{person.username} is the last administrator: make someone else an administrator first.",
                )
            tables.update_user(cur, person.username, changes, now)
            if changes.get("disabled") and not row["disabled"]:
                # Their sessions end for good: enabling them again never brings back a
                # session (perhaps a stolen one); API tokens only pause while disabled.
                tables.revoke_sessions(cur, person.username, now)
        return self.user(person.username)

    def reset(self, username: str) -> str:
        """A new link for a database user; their password, sessions and tokens end now
        (module docstring). Returns the link's URL."""
        person = self._database_person(username)
        now = utcnow()
        token, link = invitations.new_link(self.settings, person.username, "reset", now)
        with self.db.transaction() as cur:
            if tables.locked_user(cur, person.username) is None:
                raise Refusal(404, "not_found", f"There is no user {username!r}.")
            tables.update_user(cur, person.username, {"password_hash": None}, now)
            tables.revoke_sessions_and_tokens(cur, person.username, now)
            invitations.add_link(cur, link, now)
        return invitations.link_url(self.settings, token)

    # -- deleting ---------------------------------------------------------------------
    def delete(self, username: str, videos: str | None) -> None:
        """Delete a database user; their videos deleted (`videos` = "delete") or given
        to the user named `videos`. A user deleted earlier whose videos are still there
        (a delete interrupted half-way) can be deleted again: the videos are dealt with."""
        if not videos:
            raise Refusal(
                400,
                "bad_parameter",
                "Say what becomes of their videos: ?videos=delete, or ?videos=<username> to give them to someone.",
            )
        name = normalise(username)
        person = self.directory.person(name)
        if person is not None:
            name = self._database_person(name).username
        elif not catalogue_tables.videos.ids_of_owner(self.db, name):
            raise Refusal(404, "not_found", f"There is no user {username!r}.")
        heir = None if videos == "delete" else self._heir(videos, name)
        now = utcnow()
        with self.db.transaction() as cur:
            admins = tables.enabled_admins_for_update(cur)
            if name in admins and len(admins) + self._env_admins() <= 1:
                raise Refusal(
                    409, "last_admin", f"{name} is the last administrator: make someone else an administrator first."
                )
            tables.delete_user(cur, name)
            catalogue_tables.uploads.expire_owner(cur, name, now)
            if heir is not None:
                catalogue_tables.videos.give_away(cur, name, heir, now)
        if heir is None:
            self._delete_videos(name)

    def _heir(self, videos: str, name: str) -> str:
        heir = self.directory.person(videos)
        if heir is None:
            raise Refusal(400, "bad_parameter", f"There is no user {videos!r} to give the videos to.")
        if heir.username == name:
            raise Refusal(400, "bad_parameter", "The videos cannot be given to the user being deleted.")
        if heir.role not in VIDEO_OWNERS:
            raise Refusal(
                400,
                "bad_parameter",
                f"{heir.username} is a {heir.role} and cannot own videos: choose an uploader or an administrator.",
            )
        return heir.username

    def _delete_videos(self, owner: str) -> None:
        """Every video of `owner` deleted as streaming-svc's delete does (rows, then a
        tombstone: the packager's sweep removes the objects). Again while some are left:
        an upload that was finishing when the user went may add one."""
        for _ in range(DELETE_ROUNDS):
            ids = catalogue_tables.videos.ids_of_owner(self.db, owner)
            if not ids:
                return
            for video_id in ids:
                catalogue.delete_video(self.db, video_id)


def _no_other_fields(body: dict, allowed: set[str]) -> None:
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise Refusal(400, "bad_request", f"Unknown fields: {', '.join(map(str, unknown))[:200]}.")


def _role(value: object) -> str:
    if value not in ROLES:
        raise Refusal(400, "bad_request", f"'role' must be one of {', '.join(ROLES)}.")
    return str(value)


def _quota(body: dict, field: str, maximum: int, default: int | None) -> int | None:
    """The quota in `body` (null: none), or `default` when the field is absent."""
    if field not in body:
        return default
    value = body[field]
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= maximum:
        raise Refusal(400, "bad_request", f"'{field}' must be null (no limit) or a whole number from 0 to {maximum}.")
    return value


def _taken(name: str, existing: str) -> Refusal:
    if existing == name:
        return Refusal(409, "username_taken", f"The username {name!r} is taken.")
    return Refusal(409, "username_taken", f"The username {name!r} looks too much like the existing user {existing!r}.")
