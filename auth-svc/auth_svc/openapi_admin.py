"""OpenAPI paths of the admin's routes and the invitation links (admin.py,
invite_routes.py); openapi.py puts them in auth-svc's document."""

from vs_common.openapi_parts import ERROR, json_body, json_error, json_object, json_response

_HTML = {"text/html": {"schema": {"type": "string"}}}
_HTML_OR_ERROR = {**_HTML, "application/json": {"schema": ERROR}}
_QUOTA_BYTES = {"type": "integer", "nullable": True, "minimum": 0, "description": "bytes; null: no limit"}
_QUOTA_VIDEOS = {"type": "integer", "nullable": True, "minimum": 0, "description": "videos; null: no limit"}
_ROLE = {"type": "string", "enum": ["admin", "uploader", "viewer"]}

USER = json_object(
    [
        "username",
        "role",
        "disabled",
        "source",
        "created_at",
        "quota_bytes",
        "quota_videos",
        "bytes_used",
        "videos_used",
        "invited",
    ],
    {
        "username": {"type": "string"},
        "role": _ROLE,
        "disabled": {"type": "boolean"},
        "source": {"type": "string", "enum": ["env", "file", "database"]},
        "created_at": {"type": "string", "nullable": True, "description": "null for env and file users"},
        "quota_bytes": _QUOTA_BYTES,
        "quota_videos": _QUOTA_VIDEOS,
        "bytes_used": {"type": "integer", "description": "originals plus renditions' stored bytes"},
        "videos_used": {"type": "integer"},
        "invited": {"type": "boolean", "description": "a database user who has not chosen a password yet"},
    },
)
_INVITE_URL = {"type": "string", "description": "AUTH_PUBLIC_URL/invite/<token>: works once, INVITE_TTL_HOURS"}
_USERNAME = {"name": "username", "in": "path", "required": True, "schema": {"type": "string"}}
_TOKEN = {"name": "token", "in": "path", "required": True, "schema": {"type": "string"}}


def _admin_responses(ok: dict, *, bad: bool = False, missing: bool = False, conflict: str = "") -> dict:
    """The answers of an admin route: `ok` and the refusals every one has (and 400, 404,
    409 where it can say them)."""
    responses = {
        **ok,
        "401": json_error("No session, or an API token (these routes need a browser session)"),
        "403": json_error("Not an administrator, or a cross-site request"),
        "503": json_error("The database is down"),
    }
    if bad:
        responses["400"] = json_error("Invalid input (the message says which)")
    if missing:
        responses["404"] = json_error("No such user")
    if conflict:
        responses["409"] = json_error(conflict)
    return responses


PATHS = {
    "/admin/users": {
        "get": {
            "summary": "The admin's page of people (administrators only)",
            "responses": {
                "200": {"description": "The page", "content": _HTML},
                "303": {"description": "No valid session: to the login page (Location)"},
                "401": json_error("An API token: log in instead"),
                "403": {"description": "Not an administrator (an HTML page)", "content": _HTML},
                "503": json_error("The database is down"),
            },
        }
    },
    "/api/users": {
        "get": {
            "summary": "Every user: the environment's admin, the users file's, the database's",
            "responses": _admin_responses(
                {"200": json_response("The users", json_object(["users"], {"users": {"type": "array", "items": USER}}))}
            ),
        },
        "post": {
            "summary": "Create a user; answers their one-time invitation link",
            "requestBody": json_body(
                json_object(
                    ["username", "role"],
                    {
                        "username": {"type": "string"},
                        "role": _ROLE,
                        "quota_bytes": _QUOTA_BYTES,
                        "quota_videos": _QUOTA_VIDEOS,
                    },
                )
            ),
            "responses": _admin_responses(
                {
                    "201": json_response(
                        "Created", json_object(["user", "invite_url"], {"user": USER, "invite_url": _INVITE_URL})
                    )
                },
                bad=True,
                conflict="username_taken: the name, or one that looks like it, exists",
            ),
        },
    },
    "/api/users/{username}": {
        "patch": {
            "summary": "Change a database user's role, disabled flag or quotas",
            "parameters": [_USERNAME],
            "requestBody": json_body(
                {
                    "type": "object",
                    "properties": {
                        "role": _ROLE,
                        "disabled": {"type": "boolean"},
                        "quota_bytes": _QUOTA_BYTES,
                        "quota_videos": _QUOTA_VIDEOS,
                    },
                }
            ),
            "responses": _admin_responses(
                {"200": json_response("The user after the change", USER)},
                bad=True,
                missing=True,
                conflict="managed_elsewhere (an env or file user), or last_admin",
            ),
        },
        "delete": {
            "summary": "Delete a database user; their videos deleted or given to another user",
            "parameters": [
                _USERNAME,
                {
                    "name": "videos",
                    "in": "query",
                    "required": True,
                    "schema": {"type": "string"},
                    "description": "`delete`, or the username (an uploader or admin) who gets the videos",
                },
            ],
            "responses": _admin_responses(
                {"204": {"description": "Deleted"}},
                bad=True,
                missing=True,
                conflict="managed_elsewhere (an env or file user), or last_admin",
            ),
        },
    },
    "/api/users/{username}/reset": {
        "post": {
            "summary": "A new password link; the old password, sessions and API tokens stop working now",
            "parameters": [_USERNAME],
            "responses": _admin_responses(
                {"200": json_response("The new link", json_object(["invite_url"], {"invite_url": _INVITE_URL}))},
                missing=True,
                conflict="managed_elsewhere (an env or file user)",
            ),
        }
    },
    "/invite/{token}": {
        "get": {
            "summary": "An invitation or reset link: the page to choose a password",
            "security": [],
            "parameters": [_TOKEN],
            "responses": {
                "200": {"description": "The form", "content": _HTML},
                "404": {"description": "Not a link (counted against the address)", "content": _HTML_OR_ERROR},
                "410": {"description": "Used or expired", "content": _HTML},
                "429": {
                    "description": "Too many unknown links from this address (Retry-After)",
                    "content": _HTML,
                    "headers": {"Retry-After": {"schema": {"type": "integer"}}},
                },
                "503": json_error("The database is down"),
            },
        }
    },
    "/api/invite/{token}": {
        "post": {
            "summary": "Choose the password of a link (JSON: 204; the page's form: an HTML page)",
            "security": [],
            "parameters": [_TOKEN],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": json_object(["password"], {"password": {"type": "string"}})},
                    "application/x-www-form-urlencoded": {
                        "schema": json_object(
                            ["password"], {"password": {"type": "string"}, "confirm": {"type": "string"}}
                        )
                    },
                },
            },
            "responses": {
                "200": {"description": "Password set (the form's answer: the way to the login)", "content": _HTML},
                "204": {"description": "Password set"},
                "400": {
                    "description": "weak_password (the reason: zxcvbn's warning and suggestions), or a bad body",
                    "content": _HTML_OR_ERROR,
                },
                "403": json_error("Cross-site request"),
                "404": {"description": "Not a link (counted against the address)", "content": _HTML_OR_ERROR},
                "410": {"description": "invitation_used or invitation_expired", "content": _HTML_OR_ERROR},
                "429": {
                    "description": "Too many unknown links from this address (Retry-After)",
                    "content": _HTML_OR_ERROR,
                    "headers": {"Retry-After": {"schema": {"type": "integer"}}},
                },
                "503": json_error("The database is down"),
            },
        }
    },
}
