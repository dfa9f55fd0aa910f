"""OpenAPI document of auth-svc's HTTP API (served at /openapi.json)."""

ERROR = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {"error": {"type": "string"}, "message": {"type": "string"}},
}

OPENAPI = {
    "openapi": "3.0.3",
    "info": {"title": "auth-svc", "version": "1.0.0", "description": "Login, logout and session verification."},
    "paths": {
        "/login": {
            "get": {
                "summary": "Login page",
                "parameters": [{"name": "redirect", "in": "query", "schema": {"type": "string"}}],
                "responses": {"200": {"description": "HTML login form", "content": {"text/html": {}}}},
            }
        },
        "/api/login": {
            "post": {
                "summary": "Log in",
                "requestBody": {
                    "content": {
                        "application/x-www-form-urlencoded": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "username": {"type": "string"},
                                    "password": {"type": "string"},
                                    "redirect": {"type": "string"},
                                },
                            }
                        }
                    }
                },
                "responses": {
                    "200": {
                        "description": "JSON session (Accept: application/json)",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["token", "user", "expires_at"],
                                    "properties": {
                                        "token": {"type": "string"},
                                        "user": {"type": "string"},
                                        "expires_at": {"type": "string"},
                                    },
                                }
                            }
                        },
                    },
                    "303": {"description": "Logged in; redirect to `redirect`"},
                    "401": {"description": "Wrong credentials", "content": {"application/json": {"schema": ERROR}}},
                    "429": {"description": "Throttled", "content": {"application/json": {"schema": ERROR}}},
                },
            }
        },
        "/api/logout": {"post": {"summary": "Log out", "responses": {"303": {"description": "To /login"}}}},
        "/api/verify": {
            "get": {
                "summary": "Verify a session token (cookie auth_token or Bearer)",
                "responses": {
                    "200": {
                        "description": "Valid",
                        "content": {
                            "application/json": {
                                "schema": {"type": "object", "required": ["user"], "properties": {"user": {"type": "string"}}}
                            }
                        },
                    },
                    "401": {"description": "Invalid", "content": {"application/json": {"schema": ERROR}}},
                },
            }
        },
        "/healthz": {"get": {"summary": "Health", "responses": {"200": {"description": "ok"}, "503": {"description": "down"}}}},
    },
}
