"""Versioned static URLs: `asset_url` adds the file's version, and only an answer asked
for with the current version is cached for good."""

from __future__ import annotations

import os

from flask import Flask, render_template_string

from vs_common.assets import IMMUTABLE, assets_blueprint


def _app(tmp_path):
    static = tmp_path / "static"
    static.mkdir()
    (static / "app.js").write_text("console.log(1);\n")
    app = Flask("assets_test", static_folder=str(static))
    app.register_blueprint(assets_blueprint())
    return app, static / "app.js"


def test_versioned_urls_and_cache_headers(tmp_path):
    app, js = _app(tmp_path)
    client = app.test_client()
    with app.test_request_context():
        url = render_template_string("{{ asset_url('static', 'app.js') }}")
        css = render_template_string("{{ asset_url('common_assets.static', 'app.css') }}")
    assert url.startswith("/static/app.js?v=") and len(url.split("v=")[1]) == 12
    assert css.startswith("/static/common/app.css?v=")
    assert client.get(url).headers["Cache-Control"] == IMMUTABLE
    assert client.get(css).headers["Cache-Control"] == IMMUTABLE
    for other in ("/static/app.js", "/static/app.js?v=000000000000"):
        assert client.get(other).headers.get("Cache-Control") != IMMUTABLE
    assert client.get("/static/nothing.js?v=x").status_code == 404
    # A new version of the file: a new URL; the old one is no longer cached for good.
    js.write_text("console.log(2);\n")
    os.utime(js, (1, 1))
    with app.test_request_context():
        new = render_template_string("{{ asset_url('static', 'app.js') }}")
    assert new != url
    assert client.get(url).headers.get("Cache-Control") != IMMUTABLE
    assert client.get(new).headers["Cache-Control"] == IMMUTABLE
