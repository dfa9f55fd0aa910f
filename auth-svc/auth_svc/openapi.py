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

_CREDENTIALS = {
    "type": "object",
    "properties": {"username": {"type": "string"}, "password": {"type": "string"}, "redirect": {"type": "string"}},
}
_PAGE_OR_ERROR = {"text/html": {"schema": {"type": "string"}}, "application/json": {"schema": ERROR}}

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
                        "description": "Wrong credentials: the login page again with the message (HTML), "
                        "or JSON when asked for",
                        "content": _PAGE_OR_ERROR,
                    },
                    "429": {
                        "description": "Too many failures from this address (Retry-After): HTML or JSON",
                        "content": _PAGE_OR_ERROR,
                        "headers": {"Retry-After": {"schema": {"type": "integer"}}},
                    },
                    "403": {
                        "description": "Cross-site request (cookie and a foreign Origin)",
                        "content": {"application/json": {"schema": ERROR}},
                    },
                    "503": {"description": "The database is down", "content": {"application/json": {"schema": ERROR}}},
                },
            }
        },
        "/api/logout": {
            "post": {
                "summary": "Log out: revoke the session, clear the cookie",
                "responses": {
                    "303": {"description": "To /login"},
                    "403": {"description": "Cross-site request", "content": {"application/json": {"schema": ERROR}}},
                    "503": {"description": "The database is down", "content": {"application/json": {"schema": ERROR}}},
                },
            }
        },
        "/api/verify": {
            "get": {
                "summary": "Verify a session token (cookie auth_token or Bearer)",
                "responses": {
                    "200": {
                        "description": "Valid",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["user"],
                                    "properties": {"user": {"type": "string"}},
                                }
                            }
                        },
                    },
                    "401": {"description": "Invalid", "content": {"application/json": {"schema": ERROR}}},
                    "503": {"description": "The database is down", "content": {"application/json": {"schema": ERROR}}},
                },
            }
        },
        "/": {"get": {"summary": "To the login page", "responses": {"303": {"description": "To /login"}}}},
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
