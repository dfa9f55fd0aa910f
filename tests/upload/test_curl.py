"""Scripts: the README's curl commands work as written (log in for a token, upload)."""

from __future__ import annotations

import json
import subprocess

from harness import TEST_PASSWORD


def test_curl_login_and_upload_as_the_readme_shows(stack, media):
    login = subprocess.run(
        [
            "curl",
            "-sS",
            "-X",
            "POST",
            "-H",
            "Accept: application/json",
            "--data-urlencode",
            "username=alice",
            "--data-urlencode",
            f"password={TEST_PASSWORD}",
            stack.url("auth") + "/api/login",
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=30,
    )
    token = json.loads(login.stdout)["token"]
    upload = subprocess.run(
        [
            "curl",
            "-sS",
            "-F",
            f"file=@{media['mp4']}",
            "-F",
            "name=From curl ✓",
            "-H",
            f"Authorization: Bearer {token}",
            "-w",
            "\n%{http_code}",
            stack.url("upload") + "/api/upload",
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    body, _, status = upload.stdout.rpartition("\n")
    assert status == "201", upload.stdout
    created = json.loads(body)
    assert created["video_name"] == "From curl ✓" and created["status"] in ("processing", "ready")
    assert stack.wait_status(token, created["id"])["status"] == "ready"
    # A refusal is JSON a script can read.
    refused = subprocess.run(
        [
            "curl",
            "-sS",
            "-F",
            f"file=@{media['text']}",
            "-H",
            f"Authorization: Bearer {token}",
            "-w",
            "\n%{http_code}",
            stack.url("upload") + "/api/upload",
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    body, _, status = refused.stdout.rpartition("\n")
    assert status == "415" and json.loads(body)["error"] == "not_a_video"
