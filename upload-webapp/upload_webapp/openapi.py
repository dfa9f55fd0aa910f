"""OpenAPI document of upload-webapp (served at /openapi.json)."""

from vs_common.openapi_parts import ERROR, VIDEO, bearer_security, healthz_path, html_page, logout_path, openapi_path

OPENAPI = {
    "openapi": "3.0.3",
    "info": {"title": "upload-webapp", "version": "1.0.0", "description": "Upload videos."},
    "components": {"securitySchemes": bearer_security()},
    "security": [{"bearer": []}, {"cookie": []}],
    "paths": {
        "/api/upload": {
            "post": {
                "summary": "Upload a video (multipart fields `file` and optional `name`)",
                "requestBody": {
                    "required": True,
                    "content": {
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "required": ["file"],
                                "properties": {
                                    "file": {"type": "string", "format": "binary"},
                                    "name": {"type": "string", "maxLength": 200},
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "201": {
                        "description": "Stored; packaging started",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["id", "video_name", "status"],
                                    "properties": {
                                        "id": {"type": "string"},
                                        "video_name": {"type": "string"},
                                        "status": {"type": "string", "enum": ["processing", "ready"]},
                                    },
                                }
                            }
                        },
                    },
                    **{
                        code: {"description": text, "content": {"application/json": {"schema": ERROR}}}
                        for code, text in {
                            "400": "Bad request",
                            "401": "Not logged in",
                            "403": "Cross-site request",
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
                    "401": {"description": "Not logged in", "content": {"application/json": {"schema": ERROR}}},
                    "503": {"description": "Down", "content": {"application/json": {"schema": ERROR}}},
                },
            }
        },
        "/": html_page("The upload page"),
        "/logout": logout_path(),
        "/healthz": healthz_path(),
        "/openapi.json": openapi_path(),
    },
}
