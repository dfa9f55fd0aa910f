"""OpenAPI document of file-svc (internal: served only with the internal token)."""

from vs_common.openapi_parts import healthz_path, metrics_path, openapi_path

ERROR = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {"error": {"type": "string"}, "message": {"type": "string"}},
}
_ID = {"name": "video_id", "in": "path", "required": True, "schema": {"type": "string"}}
_LANGUAGE = {"name": "language", "in": "path", "required": True, "schema": {"type": "string"}}
_OBJ_RESPONSES = {
    "200": {"description": "The object"},
    "206": {"description": "A byte range"},
    "304": {"description": "Not modified (ETag)"},
    "404": {"description": "No such object", "content": {"application/json": {"schema": ERROR}}},
    "416": {"description": "Range not satisfiable"},
    "503": {"description": "Storage down", "content": {"application/json": {"schema": ERROR}}},
}
OPENAPI = {
    "openapi": "3.0.3",
    "info": {"title": "file-svc", "version": "1.0.0", "description": "Internal object and packaging service."},
    "components": {"securitySchemes": {"internal": {"type": "http", "scheme": "bearer"}}},
    "security": [{"internal": []}],
    "paths": {
        "/videos/import": {
            "post": {
                "summary": "Take the file of the resumable upload <id> that upload-webapp received into the shared "
                "temp volume (uploads/<id>/data) as the original of the video <id>: probed in place, stored; 201 as "
                "POST /videos",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["id"],
                                "properties": {
                                    "id": {
                                        "type": "string",
                                        "description": "The upload's id (its video's id); file-svc finds its file "
                                        "in the temp volume",
                                    }
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "201": {"description": "Stored", "content": {"application/json": {"schema": {"type": "object"}}}},
                    "400": {"description": "A bad id", "content": {"application/json": {"schema": ERROR}}},
                    "401": {"description": "No internal token", "content": {"application/json": {"schema": ERROR}}},
                    "404": {"description": "No such file", "content": {"application/json": {"schema": ERROR}}},
                    "415": {"description": "Not a playable video", "content": {"application/json": {"schema": ERROR}}},
                    "503": {"description": "Storage down", "content": {"application/json": {"schema": ERROR}}},
                },
            }
        },
        "/videos": {
            "post": {
                "summary": "Upload a video (raw body, streamed)",
                "parameters": [
                    {
                        "name": "id",
                        "in": "query",
                        "required": False,
                        "description": "The caller's id for the video (12-32 URL-safe characters), so that it can "
                        "DELETE whatever is left if it never sees the answer; a new one when absent.",
                        "schema": {"type": "string", "pattern": "^[A-Za-z0-9_-]{12,32}$"},
                    }
                ],
                "requestBody": {
                    "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}
                },
                "responses": {
                    "201": {
                        "description": "Stored",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["id", "size_bytes", "probe"],
                                    "properties": {
                                        "id": {"type": "string"},
                                        "size_bytes": {"type": "integer"},
                                        "original_key": {"type": "string"},
                                        "probe": {"type": "object"},
                                    },
                                }
                            }
                        },
                    },
                    "400": {
                        "description": "Incomplete body or bad id",
                        "content": {"application/json": {"schema": ERROR}},
                    },
                    "409": {"description": "That id is in use", "content": {"application/json": {"schema": ERROR}}},
                    "401": {"description": "No internal token", "content": {"application/json": {"schema": ERROR}}},
                    "413": {"description": "Too large", "content": {"application/json": {"schema": ERROR}}},
                    "415": {"description": "Not a video", "content": {"application/json": {"schema": ERROR}}},
                    "503": {"description": "Storage down", "content": {"application/json": {"schema": ERROR}}},
                    "507": {"description": "Temp full", "content": {"application/json": {"schema": ERROR}}},
                },
            }
        },
        "/videos/{video_id}": {
            "delete": {
                "summary": "Delete every object of a video",
                "parameters": [_ID],
                "responses": {"204": {"description": "Deleted"}, "404": {"description": "Bad id"}},
            }
        },
        "/videos/{video_id}/captions/{language}": {
            "put": {
                "summary": "Add or replace a caption track (streaming-svc's caption uploads): the body is its "
                "WebVTT as vs_common.captions writes it (checked again); stored under hls/captions/ as "
                "<language>.<version>.vtt and .m3u8, named in the master (once the video has a playable rendition)",
                "parameters": [
                    _ID,
                    _LANGUAGE,
                    {"name": "label", "in": "query", "required": True, "schema": {"type": "string"}},
                    {"name": "default", "in": "query", "schema": {"type": "string", "enum": ["true", "false"]}},
                ],
                "requestBody": {"required": True, "content": {"text/vtt": {"schema": {"type": "string"}}}},
                "responses": {
                    "200": {
                        "description": "The track",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["language", "label", "default", "file"],
                                    "properties": {
                                        "language": {"type": "string"},
                                        "label": {"type": "string"},
                                        "default": {"type": "boolean"},
                                        "file": {"type": "string", "description": "captions/<name>.vtt, under hls/"},
                                    },
                                }
                            }
                        },
                    },
                    "400": {
                        "description": "Not such WebVTT, a bad language, label or default",
                        "content": {"application/json": {"schema": ERROR}},
                    },
                    "401": {"description": "No internal token", "content": {"application/json": {"schema": ERROR}}},
                    "404": {"description": "No such video", "content": {"application/json": {"schema": ERROR}}},
                    "413": {"description": "Too large", "content": {"application/json": {"schema": ERROR}}},
                    "503": {
                        "description": "Storage or database down",
                        "content": {"application/json": {"schema": ERROR}},
                    },
                },
            },
            "delete": {
                "summary": "Remove a caption track and its line in the master",
                "parameters": [_ID, _LANGUAGE],
                "responses": {
                    "204": {"description": "Removed"},
                    "401": {"description": "No internal token", "content": {"application/json": {"schema": ERROR}}},
                    "404": {
                        "description": "No such video or track",
                        "content": {"application/json": {"schema": ERROR}},
                    },
                    "503": {
                        "description": "Storage or database down",
                        "content": {"application/json": {"schema": ERROR}},
                    },
                },
            },
        },
        "/videos/{video_id}/hls/{path}": {
            "get": {
                "summary": "HLS playlist or segment",
                "parameters": [_ID, {"name": "path", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": _OBJ_RESPONSES,
            }
        },
        "/videos/{video_id}/poster.jpg": {
            "get": {"summary": "Poster", "parameters": [_ID], "responses": _OBJ_RESPONSES}
        },
        "/videos/{video_id}/original": {
            "get": {"summary": "The upload", "parameters": [_ID], "responses": _OBJ_RESPONSES}
        },
        "/videos/{video_id}/thumbs/{name}": {
            "get": {
                "summary": "Thumbnail (1.jpg to 5.jpg)",
                "parameters": [_ID, {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": _OBJ_RESPONSES,
            }
        },
        "/healthz": healthz_path(),
        "/metrics": metrics_path(),
        "/openapi.json": openapi_path(public=False),
    },
}
