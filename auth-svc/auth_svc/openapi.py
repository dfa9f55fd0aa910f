"""OpenAPI document of auth-svc's HTTP API (served at /openapi.json)."""

from vs_common.openapi_parts import ERROR, healthz_path, json_object, json_response, metrics_path, openapi_path

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
        "/": {"get": {"summary": "To the login page", "responses": {"303": {"description": "To /login"}}}},
        "/healthz": healthz_path(),
        "/metrics": metrics_path(),
        "/openapi.json": openapi_path(),
    },
}
