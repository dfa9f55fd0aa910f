"""OpenAPI document of auth-svc's HTTP API (served at /openapi.json)."""

from vs_common.openapi_parts import (
    ERROR,
    healthz_path,
    json_body,
    json_error,
    json_object,
    json_response,
    metrics_path,
    openapi_path,
)

from . import openapi_admin

_CREDENTIALS = {
    "type": "object",
    "properties": {
        "username": {"type": "string"},
        "password": {"type": "string"},
        "totp": {
            "type": "string",
            "description": "with a second factor: the authenticator app's current 6-digit code, or a recovery code",
        },
        "ticket": {
            "type": "string",
            "description": "instead of username and password: the ticket the second factor's form carries "
            "(HMAC-signed with SECRET_KEY, 5 minutes), with `totp`",
        },
        "redirect": {"type": "string"},
    },
}
_PAGE_OR_ERROR = {"text/html": {"schema": {"type": "string"}}, "application/json": {"schema": ERROR}}
_TIME = {"type": "string", "format": "date-time"}
_NULLABLE_TIME = {"type": "string", "format": "date-time", "nullable": True}
_SCOPES = {"type": "array", "items": {"type": "string", "enum": ["read", "upload", "manage"]}}
ME = json_object(
    [*openapi_admin.USER["required"], "totp"], {**openapi_admin.USER["properties"], "totp": {"type": "boolean"}}
)
SESSION = json_object(
    ["id", "created_at", "last_seen_at", "user_agent", "address", "current"],
    {
        "id": {"type": "string", "nullable": True, "description": "null for a session made before ids existed"},
        "created_at": _TIME,
        "last_seen_at": _NULLABLE_TIME,
        "user_agent": {"type": "string", "nullable": True},
        "address": {"type": "string", "nullable": True},
        "current": {"type": "boolean", "description": "the session of this request"},
    },
)
_TOKEN_PROPERTIES = {
    "id": {"type": "string"},
    "name": {"type": "string"},
    "scopes": _SCOPES,
    "created_at": _TIME,
    "expires_at": _NULLABLE_TIME,
    "last_used_at": _NULLABLE_TIME,
}
TOKEN = json_object(list(_TOKEN_PROPERTIES), _TOKEN_PROPERTIES)
NEW_TOKEN = json_object(
    [*_TOKEN_PROPERTIES, "token"],
    {**_TOKEN_PROPERTIES, "token": {"type": "string", "pattern": "^rh_", "description": "shown only here"}},
)
_SESSION_ONLY = "A browser session only (the cookie, or a session token as Bearer); an API token is refused (401)."
_UNAUTHORIZED = json_error("No valid session (or an API token, never accepted here)")
_CROSS_SITE = json_error("Cross-site request (cookie and a foreign Origin)")
_DB_DOWN = json_error("The database is down")
_CODE_BODY = json_body(json_object(["code"], {"code": {"type": "string", "maxLength": 64}}))


def _me(summary: str, responses: dict, body: dict | None = None, unsafe: bool = False) -> dict:
    """An operation of the /api/me family: a browser session only, JSON errors."""
    operation = {
        "summary": summary,
        "description": _SESSION_ONLY,
        "responses": {**responses, "401": _UNAUTHORIZED, "503": _DB_DOWN},
    }
    if unsafe:
        operation["responses"]["403"] = operation["responses"].get("403", _CROSS_SITE)
    if body is not None:
        operation["requestBody"] = body
    return operation


_BAD = json_error("A body that is not what this route takes; the message says what is wrong")
_NOT_HERE = json_error("Your account's password and second factor are kept where the server's operator "
                       "manages them (`managed_elsewhere`: AUTH_USERNAME or AUTH_USERS_FILE)")  # fmt: skip
ACCOUNT_PATHS = {
    "/account": {
        "get": {
            "summary": "The account page: storage, password, sessions, second factor, API tokens",
            "description": _SESSION_ONLY,
            "responses": {
                "200": {"description": "HTML page", "content": {"text/html": {"schema": {"type": "string"}}}},
                "303": {"description": "No valid session: to /login?redirect=<this page>"},
                "401": _UNAUTHORIZED,
                "503": _DB_DOWN,
            },
        }
    },
    "/api/me": {"get": _me("Who you are: USER and whether a second factor is on", {"200": json_response("You", ME)})},
    "/api/me/password": {
        "post": _me(
            "Change your password; every other session of yours ends",
            {
                "204": {"description": "Changed"},
                "400": json_error("Missing fields, or a weak new password (`weak_password`, with the reason)"),
                "403": json_error("The current password is wrong (`wrong_password`), or a cross-site request"),
                "409": _NOT_HERE,
                "429": {
                    "description": "Too many failed attempts from this address (Retry-After)",
                    "content": {"application/json": {"schema": ERROR}},
                    "headers": {"Retry-After": {"schema": {"type": "integer"}}},
                },
            },
            json_body(
                json_object(
                    ["current_password", "new_password"],
                    {"current_password": {"type": "string"}, "new_password": {"type": "string"}},
                )
            ),
            unsafe=True,
        )
    },
    "/api/me/sessions": {
        "get": _me(
            "Your live sessions",
            {
                "200": json_response(
                    "Sessions", json_object(["sessions"], {"sessions": {"type": "array", "items": SESSION}})
                )
            },
        ),
        "delete": _me("End every session of yours but this one", {"204": {"description": "Ended"}}, unsafe=True),
    },
    "/api/me/sessions/{session_id}": {
        "delete": {
            **_me(
                "End one of your sessions (this one too: a logout)",
                {"204": {"description": "Ended"}, "404": json_error("You have no live session with this id")},
                unsafe=True,
            ),
            "parameters": [{"name": "session_id", "in": "path", "required": True, "schema": {"type": "string"}}],
        }
    },
    "/api/me/totp": {
        "post": _me(
            "Start setting up a second factor (TOTP): a new secret, its otpauth URL and QR code (SVG)",
            {
                "200": json_response(
                    "The secret to enrol; asked at login once confirmed",
                    json_object(
                        ["otpauth_url", "secret", "qr_svg"],
                        {"otpauth_url": {"type": "string"}, "secret": {"type": "string"}, "qr_svg": {"type": "string"}},
                    ),
                ),
                "409": json_error("Already on (`totp_enabled`), or `managed_elsewhere`"),
            },
            unsafe=True,
        ),
        "delete": _me(
            "Turn the second factor off (a current code or a recovery code)",
            {
                "204": {"description": "Off; the recovery codes are gone"},
                "400": _BAD,
                "403": json_error("Wrong or used code (`invalid_totp`), or a cross-site request"),
                "409": json_error("Not on (`totp_not_enabled`), or `managed_elsewhere`"),
                "429": {
                    "description": "Too many failed attempts from this address (Retry-After)",
                    "content": {"application/json": {"schema": ERROR}},
                    "headers": {"Retry-After": {"schema": {"type": "integer"}}},
                },
            },
            _CODE_BODY,
            unsafe=True,
        ),
    },
    "/api/me/totp/confirm": {
        "post": _me(
            "Turn the second factor on with a code of the new secret; the recovery codes, shown once",
            {
                "200": json_response(
                    "On",
                    json_object(["recovery_codes"], {"recovery_codes": {"type": "array", "items": {"type": "string"}}}),
                ),
                "400": _BAD,
                "403": json_error("Not the app's current code (`invalid_totp`), or a cross-site request"),
                "409": json_error("Nothing to confirm (`no_enrolment`), already on, or `managed_elsewhere`"),
            },
            _CODE_BODY,
            unsafe=True,
        )
    },
    "/api/me/tokens": {
        "get": _me(
            "Your API tokens that are not revoked (never their secret)",
            {"200": json_response("Tokens", json_object(["tokens"], {"tokens": {"type": "array", "items": TOKEN}}))},
        ),
        "post": _me(
            "Create an API token: its secret is in this answer only",
            {
                "201": json_response("Created", NEW_TOKEN),
                "400": _BAD,
                "409": json_error("Too many live tokens (`too_many_tokens`)"),
            },
            json_body(
                json_object(
                    ["name", "scopes"],
                    {
                        "name": {"type": "string", "maxLength": 100},
                        "scopes": {**_SCOPES, "minItems": 1},
                        "expires_at": {
                            "type": "string",
                            "nullable": True,
                            "description": "ISO 8601, in the future; a date alone: the end of that day (UTC)",
                        },
                    },
                )
            ),
            unsafe=True,
        ),
    },
    "/api/me/tokens/{token_id}": {
        "delete": {
            **_me(
                "Revoke one of your API tokens (refused everywhere within 2 s)",
                {"204": {"description": "Revoked"}, "404": json_error("You have no live token with this id")},
                unsafe=True,
            ),
            "parameters": [{"name": "token_id", "in": "path", "required": True, "schema": {"type": "string"}}],
        }
    },
}

OPENAPI = {
    "openapi": "3.0.3",
    "info": {"title": "auth-svc", "version": "1.0.0", "description": "Login, logout and session verification."},
    "paths": {
        "/login": {
            "get": {
                "summary": "Login page",
                "parameters": [{"name": "redirect", "in": "query", "schema": {"type": "string"}}],
                "responses": {
                    "200": {"description": "HTML login form", "content": {"text/html": {"schema": {"type": "string"}}}}
                },
            }
        },
        "/api/login": {
            "post": {
                "summary": "Log in",
                "parameters": [{"name": "redirect", "in": "query", "schema": {"type": "string"}}],
                "requestBody": {
                    "content": {
                        "application/x-www-form-urlencoded": {"schema": _CREDENTIALS},
                        "application/json": {"schema": _CREDENTIALS},
                    }
                },
                "responses": {
                    "200": json_response(
                        "JSON session (Accept: application/json)",
                        json_object(
                            ["token", "user", "expires_at"],
                            {"token": {"type": "string"}, "user": {"type": "string"}, "expires_at": {"type": "string"}},
                        ),
                    ),
                    "303": {"description": "Logged in; redirect to `redirect`"},
                    "401": {
                        "description": "Wrong credentials (`invalid_credentials`), a second factor needed "
                        "(`totp_required`: HTML, the code's form with a ticket), a wrong or used code "
                        "(`invalid_totp`), a bad or expired ticket (`invalid_ticket`): the login page "
                        "(HTML), or JSON when asked for",
                        "content": _PAGE_OR_ERROR,
                    },
                    "429": {
                        "description": "Too many failures from this address (Retry-After): HTML or JSON",
                        "content": _PAGE_OR_ERROR,
                        "headers": {"Retry-After": {"schema": {"type": "integer"}}},
                    },
                    "403": {
                        "description": "Cross-site request (cookie and a foreign Origin), or a disabled "
                        "account (`account_disabled`: HTML or JSON)",
                        "content": _PAGE_OR_ERROR,
                    },
                    "503": {"description": "The database is down", "content": {"application/json": {"schema": ERROR}}},
                },
            }
        },
        "/api/logout": {
            "post": {
                "summary": "Log out: revoke the session (or, for an API token sent as Bearer, that token), "
                "clear the cookie",
                "responses": {
                    "303": {"description": "To /login"},
                    "403": {"description": "Cross-site request", "content": {"application/json": {"schema": ERROR}}},
                    "503": {"description": "The database is down", "content": {"application/json": {"schema": ERROR}}},
                },
            }
        },
        "/api/verify": {
            "get": {
                "summary": "Verify a session token or an API token (cookie auth_token or Bearer)",
                "responses": {
                    "200": {
                        "description": "Valid: who, their role, the token's scopes (null for a session), their quotas",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["user", "role", "scopes", "quota_bytes", "quota_videos"],
                                    "properties": {
                                        "user": {"type": "string"},
                                        "role": {"type": "string", "enum": ["admin", "uploader", "viewer"]},
                                        "scopes": {
                                            "type": "array",
                                            "nullable": True,
                                            "items": {"type": "string", "enum": ["read", "upload", "manage"]},
                                            "description": "null for a browser session; an API token's scopes",
                                        },
                                        "quota_bytes": {"type": "integer", "nullable": True, "minimum": 0},
                                        "quota_videos": {"type": "integer", "nullable": True, "minimum": 0},
                                    },
                                }
                            }
                        },
                    },
                    "401": {"description": "Invalid", "content": {"application/json": {"schema": ERROR}}},
                    "503": {"description": "The database is down", "content": {"application/json": {"schema": ERROR}}},
                },
            }
        },
        **openapi_admin.PATHS,
        "/": {"get": {"summary": "To the login page", "responses": {"303": {"description": "To /login"}}}},
        **ACCOUNT_PATHS,
        "/healthz": healthz_path(),
        "/metrics": metrics_path(),
        "/openapi.json": openapi_path(),
    },
}

# -- webhooks (auth_svc/webhooks.py): an admin's browser session only ----------------------
_EVENTS = {
    "type": "array",
    "items": {"type": "string", "enum": ["video.ready", "video.failed", "video.deleted", "upload.completed"]},
}
_ENDPOINT_PROPS = {
    "id": {"type": "string"},
    "url": {"type": "string"},
    "events": _EVENTS,
    "created_by": {"type": "string"},
    "created_at": {"type": "string"},
}
_ENDPOINT = json_object(["id", "url", "events", "created_by", "created_at"], _ENDPOINT_PROPS)
_ADMIN_ONLY = {
    "401": json_error("No session, or an API token (never accepted here), or a disabled account"),
    "403": json_error("Not an administrator, or a cross-site request"),
    "503": json_error("The database is down"),
}
_ATTEMPT = json_object(
    ["event", "message_id", "attempt", "status", "outcome", "at", "error", "state"],
    {
        "event": {"type": "string"},
        "message_id": {"type": "string", "description": "the event's webhook-id"},
        "attempt": {"type": "integer"},
        "status": {"type": "integer", "nullable": True, "description": "the HTTP status answered; null if none"},
        "outcome": {"type": "string", "enum": ["delivered", "http_error", "unreachable", "refused", "error"]},
        "at": {"type": "string"},
        "error": {"type": "string", "nullable": True},
        "state": {"type": "string", "enum": ["pending", "delivered", "failed"], "description": "the delivery's"},
    },
)
OPENAPI["paths"].update(
    {
        "/api/webhooks": {
            "get": {
                "summary": "The webhook endpoints (admins)",
                "responses": {
                    "200": json_response(
                        "Every endpoint, never its secret",
                        json_object(["webhooks"], {"webhooks": {"type": "array", "items": _ENDPOINT}}),
                    ),
                    **_ADMIN_ONLY,
                },
            },
            "post": {
                "summary": "Register an endpoint (admins); its signing secret is answered this once",
                "requestBody": json_body(
                    json_object(["url", "events"], {"url": {"type": "string"}, "events": _EVENTS})
                ),
                "responses": {
                    "201": json_response(
                        "Registered",
                        json_object(
                            ["id", "url", "events", "secret", "created_by", "created_at"],
                            {**_ENDPOINT_PROPS, "secret": {"type": "string", "description": "whsec_..."}},
                        ),
                    ),
                    "400": json_error(
                        "Not JSON (bad_request), unknown events (invalid_events), or a URL that cannot receive "
                        "webhooks (bad_url: the scheme, no host, or an address refused)"
                    ),
                    "409": json_error("Too many endpoints (too_many_webhooks)"),
                    **_ADMIN_ONLY,
                },
            },
        },
        "/api/webhooks/{webhook_id}": {
            "delete": {
                "summary": "Delete an endpoint (admins); its delivery log goes with it",
                "parameters": [{"name": "webhook_id", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {
                    "204": {"description": "Deleted"},
                    "404": json_error("No such endpoint"),
                    **_ADMIN_ONLY,
                },
            }
        },
        "/api/webhooks/{webhook_id}/deliveries": {
            "get": {
                "summary": "An endpoint's delivery log, newest attempt first (admins)",
                "parameters": [{"name": "webhook_id", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {
                    "200": json_response(
                        "Its attempts",
                        json_object(["deliveries"], {"deliveries": {"type": "array", "items": _ATTEMPT}}),
                    ),
                    "404": json_error("No such endpoint"),
                    **_ADMIN_ONLY,
                },
            }
        },
        "/admin/webhooks": {
            "get": {
                "summary": "The admins' webhooks page",
                "responses": {
                    "200": {"description": "HTML page", "content": {"text/html": {"schema": {"type": "string"}}}},
                    "303": {"description": "No session: to the login page"},
                    "403": json_error("Not an administrator"),
                    "503": json_error("The database is down"),
                },
            }
        },
    }
)
