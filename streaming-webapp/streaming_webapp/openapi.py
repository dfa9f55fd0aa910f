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

_SHARE_ID = {"name": "share_id", "in": "path", "required": True, "schema": {"type": "string"}}
_WHEN = {"type": "string", "nullable": True, "description": "ISO 8601, UTC (Z)"}
SHARE = json_object(
    ["id", "url", "embed_url", "expires_at", "has_password", "allow_download", "views", "last_viewed_at", "created_at"],
    {
        "id": {"type": "string"},
        "url": {
            "type": "string",
            "nullable": True,
            "description": "STREAMING_PUBLIC_URL/s/<token>: in the 201 only (the token is kept as a hash)",
        },
        "embed_url": {"type": "string", "nullable": True, "description": "the url + /embed; in the 201 only"},
        "expires_at": _WHEN,
        "has_password": {"type": "boolean"},
        "allow_download": {"type": "boolean"},
        "views": {"type": "integer", "minimum": 0},
        "last_viewed_at": _WHEN,
        "created_at": {"type": "string", "description": "ISO 8601, UTC (Z)"},
    },
)
_OWNER_ONLY = {
    "401": json_error("Not logged in"),
    "403": json_error("Not the owner (an internal video's; another's private video is 404)"),
    "404": json_error("No such video"),
    "503": json_error("Down"),
}

_TICKET_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": json_object(
                ["ticket"],
                {"ticket": {"type": "string", "description": "the view ticket of the page that plays (views.js)"}},
            )
        }
    },
}
_VIEW_COUNTED = {
    "204": {"description": "Counted (or counted before: a ticket counts once)"},
    "400": json_error("bad_ticket: not a live ticket of this video (and link), or no JSON {ticket}"),
}
STATS = json_object(
    ["views", "days"],
    {
        "views": {"type": "integer", "minimum": 0, "description": "of all time"},
        "days": {
            "type": "array",
            "description": "the last 30 days (UTC), oldest first, today last, zeros included",
            "items": json_object(
                ["date", "views"], {"date": {"type": "string", "format": "date"}, "views": {"type": "integer"}}
            ),
        },
    },
)

_TOKEN = {"name": "token", "in": "path", "required": True, "schema": {"type": "string"}}
_GRANT = {
    "name": "grant",
    "in": "query",
    "required": False,
    "schema": {"type": "string"},
    "description": "a password link's grant (its page puts it in the URLs it shows)",
}
_HTML = {"text/html": {"schema": {"type": "string"}}}


def _share_page(summary: str) -> dict:
    """A share link's page (public): the player, or a password link's form."""
    refusals = {
        "404": {"description": "Unknown or revoked link (a page)", "content": _HTML},
        "410": {"description": "Expired link (a page that says so)", "content": _HTML},
        "429": {"description": "Too many guesses from this address (Retry-After)", "content": _HTML},
        "503": json_error("The database is down"),
    }
    form = {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": json_object(["password"], {"password": {"type": "string", "maxLength": 128}})
            }
        },
    }
    return {
        "get": {
            "summary": summary + "; a password link's form first",
            "security": [],
            "parameters": [_TOKEN],
            "responses": {"200": {"description": "The player, or the password form", "content": _HTML}, **refusals},
        },
        "post": {
            "summary": "A password link's form: the player (a grant in its URLs), or the form again",
            "security": [],
            "parameters": [_TOKEN],
            "requestBody": form,
            "responses": {
                "200": {"description": "The player", "content": _HTML},
                "303": {"description": "The link has no password: to its page"},
                "400": json_error("No `password` field"),
                "403": {"description": "Wrong password (the form again)", "content": _HTML},
                **refusals,
            },
        },
    }


def _share_file(summary: str, parameters: list, forbidden: str) -> dict:
    """A share link's file (public), relayed from file-svc."""
    return {
        "get": {
            "summary": summary,
            "security": [],
            "parameters": [_TOKEN, *parameters],
            "responses": {
                **{code: answer for code, answer in _OBJECT.items() if code != "401"},  # no login here
                "403": json_error(forbidden),
                "404": json_error("Unknown or revoked link, or no such file"),
                "410": json_error("Expired link (link_expired)"),
                "429": json_error("Too many guesses from this address (Retry-After)"),
            },
        }
    }


OPENAPI = web_app_document(
    "streaming-svc",
    "Browse and watch videos.",
    "The library",
    {
        "/api/videos": {
            "get": {
                "summary": "The library, newest first unless `sort` says otherwise",
                "parameters": [
                    {
                        "name": "sort",
                        "in": "query",
                        "description": "newest (the default: upload time, latest first), oldest, name (A to Z, "
                        "case-insensitive) or longest (duration, longest first; videos not yet probed last). "
                        "Any other value: 400 `bad_sort`.",
                        "schema": {
                            "type": "string",
                            "enum": ["newest", "oldest", "name", "longest"],
                            "default": "newest",
                        },
                    },
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
                "summary": "Rename, describe, or set who may watch (owner or admin); any of them",
                "parameters": [_ID],
                "requestBody": json_body(
                    {
                        **json_object(
                            [],
                            {
                                "video_name": {"type": "string", "minLength": 1, "maxLength": 200},
                                "visibility": {"type": "string", "enum": ["private", "internal"]},
                                "description": {"type": "string", "maxLength": 5000},
                            },
                        ),
                        "minProperties": 1,
                    }
                ),
                "responses": {
                    "200": json_response("VIDEO", VIDEO),
                    "400": json_error(
                        "Bad name (invalid_name), visibility (bad_visibility) or description (bad_description), "
                        "or none sent; nothing is written"
                    ),
                    "401": json_error("Not logged in"),
                    "403": json_error("Not the owner"),
                    "404": json_error("No such video"),
                    "503": json_error("Down"),
                },
            },
            "delete": {
                "summary": "Move the video to its owner's trash for TRASH_HOURS (0: purge at once), or with "
                "purge=true remove it and every object now (owner or admin)",
                "parameters": [
                    _ID,
                    {"name": "purge", "in": "query", "schema": {"type": "string", "enum": ["true", "false"]}},
                ],
                "responses": {
                    "204": {"description": "In the trash (restorable), or purged"},
                    "400": json_error("Bad purge parameter"),
                    "401": json_error("Not logged in"),
                    "403": json_error("Not the owner"),
                    "404": json_error("No such video"),
                    "503": json_error("Down"),
                },
            },
        },
        "/api/videos/{video_id}/restore": {
            "post": {
                "summary": "Take the video out of its owner's trash (owner or admin)",
                "parameters": [_ID],
                "responses": {
                    "200": json_response("VIDEO", VIDEO),
                    "401": json_error("Not logged in"),
                    "403": json_error("Not the owner"),
                    "404": json_error("No such video in the trash"),
                    "503": json_error("Down"),
                },
            }
        },
        "/api/trash": {
            "get": {
                "summary": "The caller's own videos in the trash, last deleted first",
                "responses": {
                    "200": {
                        "description": "The trash",
                        "content": {
                            "application/json": {
                                "schema": json_object(
                                    ["videos", "trash_hours"],
                                    {"videos": {"type": "array", "items": VIDEO}, "trash_hours": {"type": "number"}},
                                )
                            }
                        },
                    },
                    "401": json_error("Not logged in"),
                    "503": json_error("Down"),
                },
            }
        },
        "/api/videos/{video_id}/original": {
            "get": {
                "summary": "The original upload, as an attachment named after the video (owner or admin)",
                "parameters": [_ID],
                "responses": {**_OBJECT, "403": json_error("Not the owner")},
            }
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
        "/api/videos/{video_id}/shares": {
            "post": {
                "summary": "Make a share link (owner or admin); its URLs are in this answer only",
                "parameters": [_ID],
                "requestBody": {
                    "required": False,
                    "content": {
                        "application/json": {
                            "schema": json_object(
                                [],
                                {
                                    "expires_at": {
                                        "type": "string",
                                        "nullable": True,
                                        "description": "ISO 8601 with a time zone, in the future; null: never",
                                    },
                                    "password": {
                                        "type": "string",
                                        "nullable": True,
                                        "minLength": 4,
                                        "maxLength": 128,
                                        "description": "asked before the video plays; null or empty: none",
                                    },
                                    "allow_download": {"type": "boolean", "description": "/s/<token>/original"},
                                },
                            )
                        }
                    },
                },
                "responses": {
                    "201": json_response("SHARE", SHARE),
                    "400": json_error("bad_share: the message says what is wrong"),
                    **_OWNER_ONLY,
                },
            },
            "get": {
                "summary": "The video's share links that were not revoked, newest first (owner or admin)",
                "parameters": [_ID],
                "responses": {
                    "200": json_response(
                        "The links (url and embed_url null)",
                        json_object(["shares"], {"shares": {"type": "array", "items": SHARE}}),
                    ),
                    **_OWNER_ONLY,
                },
            },
        },
        "/api/videos/{video_id}/shares/{share_id}": {
            "delete": {
                "summary": "Revoke a share link (owner or admin): refused to its viewers within 2 s",
                "parameters": [_ID, _SHARE_ID],
                "responses": {
                    "204": {"description": "Revoked"},
                    **_OWNER_ONLY,
                    "404": json_error("No such video, or no such link of it (or revoked already)"),
                },
            }
        },
        "/api/videos/{video_id}/views": {
            "post": {
                "summary": "A signed-in viewer's playback started: counted once per page's view ticket",
                "parameters": [_ID],
                "requestBody": _TICKET_BODY,
                "responses": {
                    **_VIEW_COUNTED,
                    "401": json_error("Not logged in"),
                    "404": json_error("No such video (or another's private one)"),
                    "503": json_error("Down"),
                },
            }
        },
        "/api/videos/{video_id}/stats": {
            "get": {
                "summary": "The video's views: the total and per day for the last 30 days (owner or admin)",
                "parameters": [_ID],
                "responses": {"200": json_response("Views", STATS), **_OWNER_ONLY},
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
        "/s/{token}": _share_page("A share link's page: the player alone (no login)"),
        "/s/{token}/embed": _share_page("A share link's player for a frame on a site EMBED_ALLOWED_ORIGINS names"),
        "/s/{token}/hls/{path}": _share_file(
            "The link's video's HLS files (master.m3u8...); a password link's path starts with ~<grant>/",
            [{"name": "path", "in": "path", "required": True, "schema": {"type": "string"}}],
            "A password link without its grant (password_required)",
        ),
        "/s/{token}/views": {
            "post": {
                "summary": "A link viewer's playback started: counted on the link and its video, once per ticket",
                "security": [],
                "parameters": [_TOKEN, _GRANT],
                "requestBody": _TICKET_BODY,
                "responses": {
                    **_VIEW_COUNTED,
                    "403": json_error("A password link without its grant (password_required)"),
                    "404": json_error("Unknown or revoked link"),
                    "410": json_error("Expired link (link_expired)"),
                    "429": json_error("Too many guesses from this address (Retry-After)"),
                    "503": json_error("Down"),
                },
            }
        },
        "/s/{token}/poster.jpg": _share_file(
            "The link's video's poster", [_GRANT], "A password link without its grant (password_required)"
        ),
        "/s/{token}/original": _share_file(
            "The original upload, as an attachment, when the link allows downloads",
            [_GRANT],
            "The link does not allow downloads (download_not_allowed), or a password link without its grant",
        ),
    },
)
