"""Schema pieces shared by the services' OpenAPI documents."""

from .wire import COOKIE_NAME

ERROR = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {"error": {"type": "string"}, "message": {"type": "string"}},
}

CAPTION = {
    "type": "object",
    "required": ["language", "label", "default", "url"],
    "properties": {
        "language": {"type": "string", "description": "BCP 47 tag, normalised (`en`, `pt-BR`, `und`)"},
        "label": {"type": "string", "minLength": 1, "maxLength": 100},
        "default": {"type": "boolean", "description": "shown unless the viewer turns it off; one track at most"},
        "url": {"type": "string", "description": "the WebVTT file, absolute, on streaming-svc"},
    },
}

VIDEO = {
    "type": "object",
    "required": [
        "id",
        "video_name",
        "video_path",
        "owner",
        "visibility",
        "description",
        "views",
        "status",
        "error",
        "duration_s",
        "width",
        "height",
        "size_bytes",
        "renditions",
        "captions",
        "phase",
        "created_at",
        "updated_at",
        "deleted_at",
        "poster_url",
        "watch_url",
        "thumbnails",
    ],
    "properties": {
        "id": {"type": "string"},
        "video_name": {"type": "string"},
        "video_path": {"type": "string"},
        "owner": {"type": "string"},
        "visibility": {
            "type": "string",
            "enum": ["private", "internal"],
            "description": "private: its owner and admins only (404 to anyone else); internal: every signed-in user",
        },
        "description": {"type": "string", "maxLength": 5000, "description": "plain text, the owner's; empty: none"},
        "views": {"type": "integer", "minimum": 0, "description": "views of all time, signed-in and through links"},
        "status": {"type": "string", "enum": ["processing", "ready", "failed"]},
        "error": {"type": "string", "nullable": True},
        "duration_s": {"type": "number", "nullable": True},
        "width": {"type": "integer", "nullable": True},
        "height": {"type": "integer", "nullable": True},
        "size_bytes": {"type": "integer", "nullable": True},
        "renditions": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["height", "status", "error"],
                "properties": {
                    "height": {"type": "integer", "description": "the short side (360 for 640x360 and 360x640)"},
                    "status": {"type": "string", "enum": ["pending", "ready", "failed"]},
                    "error": {"type": "string", "nullable": True, "description": "why it failed; null otherwise"},
                },
            },
        },
        "captions": {"type": "array", "items": CAPTION},
        "phase": {
            "type": "string",
            "nullable": True,
            "enum": ["waiting", "packaging", None],
            "description": "while processing: waiting for a packager, or being packaged; null otherwise",
        },
        "created_at": {"type": "string"},
        "updated_at": {"type": "string"},
        "deleted_at": {
            "type": "string",
            "nullable": True,
            "description": "when it went to its owner's trash (then it is 404 to everyone); null otherwise",
        },
        "poster_url": {"type": "string"},
        "watch_url": {"type": "string"},
        "thumbnails": {
            "type": "array",
            "items": {"type": "string"},
            "description": "the library's hover pictures (absolute URLs); empty until they are made",
        },
    },
}


def bearer_security() -> dict:
    return {
        "bearer": {"type": "http", "scheme": "bearer"},
        "cookie": {"type": "apiKey", "in": "cookie", "name": COOKIE_NAME},
    }


REFUSED = (
    "Refused: forbidden (the role or the API token's scopes do not allow it; the message says which), "
    "or account_disabled"
)


def _with_refusals(paths: dict) -> dict:
    """Every operation that takes a session may be refused by its declaration
    (vs_common.access): its 403 says so (beside what it already said, e.g. cross-site)."""
    for ops in paths.values():
        for method, op in ops.items():
            if op.get("security") == []:
                continue
            known = op["responses"].get("403")
            if known is None:
                op["responses"]["403"] = {"description": REFUSED} if method == "head" else json_error(REFUSED)
            else:
                op["responses"]["403"] = {**known, "description": f"{known['description']}; or {REFUSED}"}
    return paths


def web_app_document(title: str, description: str, page: str, paths: dict) -> dict:
    """The OpenAPI document of a web app, whose session comes as a Bearer token or the
    cookie (or an API token, on the API): its own `paths`, and those every web app has
    (the page `/`, described as `page`, /logout, /healthz, /metrics, /openapi.json)."""
    return {
        "openapi": "3.0.3",
        "info": {"title": title, "version": "1.0.0", "description": description},
        "components": {"securitySchemes": bearer_security()},
        "security": [{"bearer": []}, {"cookie": []}],
        "paths": {
            **_with_refusals({**paths, "/": html_page(page)}),
            "/logout": logout_path(),
            "/healthz": healthz_path(),
            "/metrics": metrics_path(),
            "/openapi.json": openapi_path(),
        },
    }


def json_object(required: list[str], properties: dict) -> dict:
    """The schema of a JSON object."""
    return {"type": "object", "required": required, "properties": properties}


def multipart_body(required: list[str], properties: dict) -> dict:
    """A required multipart/form-data request body with these fields."""
    return {"required": True, "content": {"multipart/form-data": {"schema": json_object(required, properties)}}}


def json_body(schema: dict) -> dict:
    """A required JSON request body."""
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def json_response(description: str, schema: dict) -> dict:
    """A JSON response."""
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def json_error(description: str) -> dict:
    """A response documented as the JSON error shape."""
    return json_response(description, ERROR)


HEALTH = {
    "type": "object",
    "required": ["status", "checks"],
    "properties": {
        "status": {"type": "string", "enum": ["ok", "unavailable"]},
        "checks": {"type": "object", "additionalProperties": {"type": "string"}},
    },
}


def healthz_path() -> dict:
    """`GET /healthz`: public on every service."""
    return {
        "get": {
            "summary": "Health: 200 when every check passes, else 503 naming the failing one",
            "security": [],
            "responses": {
                "200": {"description": "ok", "content": {"application/json": {"schema": HEALTH}}},
                "503": {"description": "a dependency is down", "content": {"application/json": {"schema": HEALTH}}},
            },
        }
    }


def metrics_path() -> dict:
    """`GET /metrics`: Prometheus text format, to `Authorization: Bearer $METRICS_TOKEN` only."""
    return {
        "get": {
            "summary": "Prometheus metrics (Authorization: Bearer <METRICS_TOKEN>, a token of its own)",
            "security": [],
            "responses": {
                "200": {
                    "description": "Prometheus text format",
                    "content": {"text/plain": {"schema": {"type": "string"}}},
                },
                "401": json_error("Not the metrics token"),
                "404": json_error("Metrics are off: METRICS_TOKEN is not set"),
            },
        }
    }


def openapi_path(public: bool = True) -> dict:
    """`GET /openapi.json`: this document (public, except on file-svc)."""
    op = {
        "summary": "This OpenAPI document",
        "responses": {
            "200": {
                "description": "OpenAPI 3 document",
                "content": {"application/json": {"schema": {"type": "object"}}},
            }
        },
    }
    if public:
        op["security"] = []
    else:
        op["responses"]["401"] = json_error("No internal token")
    return {"get": op}


def html_page(summary: str, *, parameters: list | None = None, not_found: bool = False) -> dict:
    """A page of a web app: HTML, or 303 to the login page without a valid session; an
    API token is refused (401), as is a role the page is not for (403): an HTML page
    that says why, or JSON when JSON is asked for."""
    either = {"text/html": {"schema": {"type": "string"}}, "application/json": {"schema": ERROR}}
    responses = {
        "200": {"description": "The page", "content": {"text/html": {"schema": {"type": "string"}}}},
        "303": {"description": "No valid session: to the login page (Location)"},
        "401": {"description": "An API token: pages need a browser session", "content": either},
        "403": {"description": "Not for this role (the page says why)", "content": either},
        "503": json_error("auth-svc or the database is down"),
    }
    if not_found:
        responses["404"] = {
            "description": "No such video (an HTML page)",
            "content": {"text/html": {"schema": {"type": "string"}}},
        }
    op = {"summary": summary, "responses": responses}
    if parameters:
        op["parameters"] = parameters
    return {"get": op}


def logout_path() -> dict:
    """`POST /logout` on each web app: revoke the session at auth-svc, clear the cookie."""
    return {
        "post": {
            "summary": "Log out: revoke the session, clear the cookie, 303 to the login page",
            "security": [],
            "responses": {
                "303": {"description": "Logged out: to the login page (Location)"},
                "403": json_error("Cross-site request"),
                "503": json_error("auth-svc is down; the session is kept"),
            },
        }
    }
