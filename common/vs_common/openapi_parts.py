"""Schema pieces shared by the services' OpenAPI documents."""

ERROR = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {"error": {"type": "string"}, "message": {"type": "string"}},
}

VIDEO = {
    "type": "object",
    "required": [
        "id", "video_name", "video_path", "owner", "status", "error", "duration_s", "width", "height",
        "size_bytes", "renditions", "created_at", "updated_at", "poster_url", "watch_url",
    ],
    "properties": {
        "id": {"type": "string"},
        "video_name": {"type": "string"},
        "video_path": {"type": "string"},
        "owner": {"type": "string"},
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
                "required": ["height", "status"],
                "properties": {
                    "height": {"type": "integer"},
                    "status": {"type": "string", "enum": ["pending", "ready", "failed"]},
                },
            },
        },
        "created_at": {"type": "string"},
        "updated_at": {"type": "string"},
        "poster_url": {"type": "string"},
        "watch_url": {"type": "string"},
    },
}


def bearer_security() -> dict:
    return {
        "bearer": {"type": "http", "scheme": "bearer"},
        "cookie": {"type": "apiKey", "in": "cookie", "name": "auth_token"},
    }
