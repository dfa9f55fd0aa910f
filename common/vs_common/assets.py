"""The shared look: one stylesheet and base template served by every browser-facing app."""

from __future__ import annotations

from flask import Blueprint


def assets_blueprint() -> Blueprint:
    """`/static/common/*` (app.css) and the `base.html` template."""
    return Blueprint(
        "common_assets",
        __name__,
        static_folder="static",
        static_url_path="/static/common",
        template_folder="templates",
    )
