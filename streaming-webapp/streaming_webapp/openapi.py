"""OpenAPI document of streaming-svc (served at /openapi.json)."""

from vs_common.openapi_parts import (
    CAPTION,
    VIDEO,
    html_page,
    json_body,
    json_error,
    json_object,
    json_response,
    multipart_body,
    web_app_document,
)

_ID = {"name": "video_id", "in": "path", "required": True, "schema": {"type": "string"}}
_OBJECT = {
    "200": {"description": "The file"},
    "206": {"description": "A byte range"},
    "304": {"description": "Not modified"},
    "401": json_error("Not logged in"),
    "404": json_error("No such file"),
    "416": {"description": "Range not satisfiable"},
    "503": json_error("Storage down"),
}

OPENAPI = web_app_document(
    "streaming-svc",
    "Browse and watch videos.",
    "The library",
    {
        "/api/videos": {
            "get": {
                "summary": "The library, newest first",
                "parameters": [
                    {"name": "q", "in": "query", "schema": {"type": "string", "maxLength": 200}},
                    {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
                    {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100}},
                ],
                "responses": {
                    "200": {
                        "description": "A page of videos",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["videos", "page", "pages", "total"],
                                    "properties": {
                                        "videos": {"type": "array", "items": VIDEO},
                                        "page": {"type": "integer"},
                                        "pages": {"type": "integer"},
                                        "total": {"type": "integer"},
                                    },
                                }
                            }
                        },
                    },
                    "400": json_error("Malformed parameter"),
                    "401": json_error("Not logged in"),
                    "503": json_error("Down"),
                },
            }
        },
        "/api/videos/{video_id}": {
            "get": {
                "summary": "One video",
                "parameters": [_ID],
                "responses": {
                    "200": json_response("VIDEO", VIDEO),
                    "401": json_error("Not logged in"),
                    "404": json_error("No such video"),
                    "503": json_error("Down"),
                },
            },
            "patch": {
                "summary": "Rename (owner or admin)",
                "parameters": [_ID],
                "requestBody": json_body(
                    json_object(["video_name"], {"video_name": {"type": "string", "minLength": 1, "maxLength": 200}})
                ),
                "responses": {
                    "200": json_response("VIDEO", VIDEO),
                    "400": json_error("Bad name"),
                    "401": json_error("Not logged in"),
                    "403": json_error("Not the owner"),
                    "404": json_error("No such video"),
                    "503": json_error("Down"),
                },
            },
            "delete": {
                "summary": "Delete the video and every object (owner or admin)",
                "parameters": [_ID],
                "responses": {
                    "204": {"description": "Deleted"},
                    "401": json_error("Not logged in"),
                    "403": json_error("Not the owner"),
                    "404": json_error("No such video"),
                    "503": json_error("Down"),
                },
            },
        },
        "/api/videos/{video_id}/retry": {
            "post": {
                "summary": "Re-queue a failed video (owner or admin)",
                "parameters": [_ID],
                "responses": {
                    "202": json_response("VIDEO", VIDEO),
                    "401": json_error("Not logged in"),
                    "403": json_error("Not the owner"),
                    "404": json_error("No such video"),
                    "409": json_error("Not failed"),
                    "503": json_error("Down"),
                },
            }
        },
        "/api/videos/{video_id}/captions": {
            "post": {
                "summary": "Add a caption track, or replace the one of its language (owner or admin)",
                "parameters": [_ID],
                "requestBody": multipart_body(
                    ["file", "language", "label"],
                    {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "WebVTT (.vtt) or SubRip (.srt), at most 2 MiB; UTF-8 (with "
                            "or without a BOM) or UTF-16 with a BOM; no control characters but tab (CR, NEL "
                            "are line ends); cue times at most 999:59:59.999",
                        },
                        "language": {
                            "type": "string",
                            "description": "BCP 47 tag (`en`, `pt-BR`, `und`; ISO 639-2 codes such as "
                            "`eng` become `en`); one track per language",
                        },
                        "label": {
                            "type": "string",
                            "minLength": 1,
                            "maxLength": 100,
                            "description": "one line, no control characters, no double quote; the "
                            "video-name rules too (no bidirectional controls, a visible character, at most 4 "
                            "combining marks on one character)",
                        },
                        "default": {
                            "type": "string",
                            "enum": ["true", "false"],
                            "description": "true: this track is the default (the others stop being it)",
                        },
                    },
                ),
                "responses": {
                    "201": {"description": "The track", "content": {"application/json": {"schema": CAPTION}}},
                    "400": json_error("A malformed file (the message says where: line, cue), a bad language or label"),
                    "401": json_error("Not logged in"),
                    "403": json_error("Not the owner"),
                    "404": json_error("No such video"),
                    "413": json_error("The file is larger than 2 MiB"),
                    "503": json_error("Down"),
                },
            }
        },
        "/api/videos/{video_id}/captions/{language}": {
            "delete": {
                "summary": "Remove the caption track of a language (owner or admin)",
                "parameters": [
                    _ID,
                    {"name": "language", "in": "path", "required": True, "schema": {"type": "string"}},
                ],
                "responses": {
                    "204": {"description": "Removed"},
                    "401": json_error("Not logged in"),
                    "403": json_error("Not the owner"),
                    "404": json_error("No such video, or no track of that language"),
                    "503": json_error("Down"),
                },
            }
        },
        "/videos/{video_id}/hls/{path}": {
            "get": {
                "summary": "HLS playlist or segment; caption tracks' WebVTT and playlists under captions/",
                "parameters": [_ID, {"name": "path", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": _OBJECT,
            }
        },
        "/videos/{video_id}/poster.jpg": {"get": {"summary": "Poster", "parameters": [_ID], "responses": _OBJECT}},
        "/videos/{video_id}/thumbs/{name}": {
            "get": {
                "summary": "Thumbnail (1.jpg to 5.jpg)",
                "parameters": [_ID, {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": _OBJECT,
            }
        },
        "/videos/{video_id}": html_page("The player page", parameters=[_ID], not_found=True),
    },
)
