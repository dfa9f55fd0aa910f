"""OpenAPI document of upload-webapp (served at /openapi.json)."""

from vs_common.openapi_parts import (
    VIDEO,
    json_error,
    json_object,
    json_response,
    multipart_body,
    web_app_document,
)


def _tus_header(name: str, required: bool = True, pattern: str | None = None) -> dict:
    schema = {"type": "string"}
    if pattern:
        schema["pattern"] = pattern
    return {"name": name, "in": "header", "required": required, "schema": schema}


_TUS = _tus_header("Tus-Resumable")
# Whole numbers of at most 20 digits (longer ones are refused before they are parsed).
_NUMBER = "^[0-9]{1,20}$"
_UPLOAD_ID = {"name": "upload_id", "in": "path", "required": True, "schema": {"type": "string"}}
_TUS_COMMON = {
    "401": json_error("Not logged in"),
    "403": json_error("Cross-site request"),
    "404": json_error("No such upload (or not yours)"),
    "410": json_error("Expired before it was finished, or its bytes were lost on the server: start again"),
    "412": json_error("Tus-Resumable missing or not 1.0.0"),
    "423": json_error("Another request is writing this upload"),
    "503": json_error("A dependency is down (the bytes are kept)"),
}
TUS_PATHS = {
    "/api/tus/": {
        "options": {
            "summary": "tus 1.0.0: what this server supports (Tus-Version, Tus-Extension, Tus-Max-Size)",
            "responses": {"204": {"description": "Capabilities"}, "401": json_error("Not logged in")},
        },
        "post": {
            "summary": "tus creation: a new upload of Upload-Length bytes; Upload-Metadata keys filename, name, "
            "visibility (private or internal; else DEFAULT_VISIBILITY)",
            "parameters": [
                _TUS,
                _tus_header("Upload-Length", pattern=_NUMBER),
                _tus_header("Upload-Metadata", False),
            ],
            "responses": {
                "201": {"description": "Created: Location names it (on UPLOAD_PUBLIC_URL), Upload-Expires"},
                "400": json_error(
                    "Bad Upload-Length, metadata, name or file name (invalid_name: the name rules), or visibility "
                    "(bad_visibility)"
                ),
                "413": json_error("Larger than Tus-Max-Size (MAX_UPLOAD_BYTES)"),
                "415": json_error("An empty file"),
                "429": json_error("Too many unfinished uploads (UPLOAD_MAX_UNFINISHED, UPLOAD_MAX_UNFINISHED_BYTES)"),
                "507": json_error("The temp volume is full"),
                **{k: v for k, v in _TUS_COMMON.items() if k in ("401", "412", "503")},
                "403": json_error(
                    "Cross-site request, or quota_exceeded: Upload-Length does not fit the quota (usage and limit "
                    "in the message)"
                ),
            },
        },
    },
    "/api/tus/{upload_id}": {
        "head": {
            "summary": "tus: Upload-Offset to resume from; Video-Id once finished",
            "parameters": [_UPLOAD_ID, _TUS],
            "responses": {
                "200": {
                    "description": "Upload-Offset, Upload-Length, Upload-Expires, Upload-Metadata (as created), Video-Id"
                },
                **{k: {"description": v["description"]} for k, v in _TUS_COMMON.items() if k != "403"},
                "400": {"description": "The finished file is refused"},
                "415": {"description": "The finished file is not a playable video"},
                "502": {"description": "file-svc answered something unexpected"},
                "507": {"description": "The temp volume is full"},
            },
        },
        "patch": {
            "summary": "tus: bytes at Upload-Offset; the last byte makes the video (204 with Video-Id)",
            "parameters": [_UPLOAD_ID, _TUS, _tus_header("Upload-Offset", pattern=_NUMBER)],
            "requestBody": {
                "content": {"application/offset+octet-stream": {"schema": {"type": "string", "format": "binary"}}}
            },
            "responses": {
                "204": {"description": "Stored: Upload-Offset, Upload-Expires (and Video-Id when finished)"},
                "400": json_error("A bad header, a bad name, or the body ended early"),
                "409": json_error("Upload-Offset is not the upload's offset, or it is finished"),
                "413": json_error("The bytes go past Upload-Length"),
                "415": json_error(
                    "Not application/offset+octet-stream, or not a playable video (told by the first 4 KiB)"
                ),
                "502": json_error("file-svc answered something unexpected"),
                "507": json_error("The temp volume is full"),
                **_TUS_COMMON,
            },
        },
        "delete": {
            "summary": "tus termination: the upload's bytes and state go",
            "parameters": [_UPLOAD_ID, _TUS],
            "responses": {"204": {"description": "Terminated"}, **_TUS_COMMON},
        },
    },
}

OPENAPI = web_app_document(
    "upload-webapp",
    "Upload videos.",
    "The upload page",
    {
        "/api/upload": {
            "post": {
                "summary": "Upload a video (multipart fields `file`, optional `name` and `visibility`)",
                "requestBody": multipart_body(
                    ["file"],
                    {
                        "file": {"type": "string", "format": "binary"},
                        "name": {"type": "string", "maxLength": 200},
                        "visibility": {
                            "type": "string",
                            "enum": ["private", "internal"],
                            "description": "who may watch it; empty or absent: DEFAULT_VISIBILITY",
                        },
                    },
                ),
                "responses": {
                    "201": json_response(
                        "Stored; packaging started",
                        json_object(
                            ["id", "video_name", "status"],
                            {
                                "id": {"type": "string"},
                                "video_name": {"type": "string"},
                                "status": {"type": "string", "enum": ["processing", "ready"]},
                            },
                        ),
                    ),
                    **{
                        code: json_error(text)
                        for code, text in {
                            "400": "Bad request",
                            "401": "Not logged in",
                            "403": "Cross-site request, or quota_exceeded: the file does not fit the quota (usage and "
                            "limit in the message)",
                            "413": "File too large",
                            "415": "Not a playable video (the message says what the file is)",
                            "502": "file-svc refused the file unexpectedly",
                            "503": "A dependency is down",
                            "507": "The server's temporary storage is full (temp_storage_full); retry later",
                        }.items()
                    },
                },
            }
        },
        "/api/uploads": {
            "get": {
                "summary": "This user's 50 most recent uploads",
                "responses": {
                    "200": {
                        "description": "Uploads",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["uploads"],
                                    "properties": {"uploads": {"type": "array", "items": VIDEO}},
                                }
                            }
                        },
                    },
                    "401": json_error("Not logged in"),
                    "503": json_error("Down"),
                },
            }
        },
        **TUS_PATHS,
    },
)
