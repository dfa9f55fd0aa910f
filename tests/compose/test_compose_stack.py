"""`docker compose up --build` for real: the compose stack built from this checkout and
driven from the host through its published ports, as a user would.

The stack runs from a copy of the repository (so a developer's own .env and
./mariadb_data are never touched), with a .env made from .env.example.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
import requests

from harness import ffprobe_url, make_clip, wait_until

pytestmark = pytest.mark.compose
ROOT = Path(__file__).resolve().parents[2]
DOCKER_ENV = Path("/var/tmp/docker-test/env.sh")
COPY_IGNORE = shutil.ignore_patterns(
    ".venv",
    ".git",
    "data",
    "mariadb_data",
    "node_modules",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
    "vendor",
    "bench",
    ".env",
)


def _docker_env() -> dict[str, str]:
    env = dict(os.environ)
    if DOCKER_ENV.exists():
        out = subprocess.run(["bash", "-c", f". {DOCKER_ENV} && env -0"], capture_output=True, check=True)
        env.update(dict(item.split("=", 1) for item in out.stdout.decode().split("\0") if "=" in item))
    return env


def _env_example() -> dict[str, str]:
    values = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            values[key] = value
    return values


@pytest.fixture(scope="module")
def compose_stack(tmp_path_factory):
    env = _docker_env()
    info = subprocess.run(["docker", "info", "--format", "{{.ServerVersion}}"], env=env, capture_output=True, text=True)
    assert info.returncode == 0, f"no Docker engine (make test's set-up runs tests/compose/setup.sh): {info.stderr}"
    project = tmp_path_factory.mktemp("compose") / "reelhouse"
    shutil.copytree(ROOT, project, ignore=COPY_IGNORE, symlinks=False)
    shutil.copy(ROOT / ".env.example", project / ".env")
    cmd = [
        "docker",
        "compose",
        "-p",
        "reelhouse-test",
        "-f",
        "docker-compose.yml",
        "-f",
        "tests/compose/docker-compose.test.yml",
    ]
    log = project / "compose.log"

    def run(*args, timeout=900, check=True):
        with open(log, "ab") as fh:
            proc = subprocess.run(
                [*cmd, *args], cwd=project, env=env, stdout=fh, stderr=subprocess.STDOUT, timeout=timeout
            )
        if check and proc.returncode != 0:
            subprocess.run(
                [*cmd, "logs", "--no-color", "--tail", "80"],
                cwd=project,
                env=env,
                stdout=open(log, "ab"),
                stderr=subprocess.STDOUT,
            )
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-150:])
            raise AssertionError(f"docker compose {' '.join(args)} failed:\n{tail}")
        return proc

    run("down", "-v", "--remove-orphans", check=False)
    try:
        run("up", "-d", "--build", "--wait", "--wait-timeout", "300", "--scale", "packager=2")
        yield SimpleNamespace(
            path=project,
            compose=lambda *args: subprocess.run(
                [*cmd, *args], cwd=project, env=env, capture_output=True, text=True, timeout=60
            ),
        )
    finally:
        run("logs", "--no-color", "--tail", "200", check=False)
        run("down", "-v", "--remove-orphans", check=False)
        if (project / "mariadb_data").exists():
            shutil.rmtree(project / "mariadb_data")
        assert not (project / "mariadb_data").exists()


def test_compose_flow_from_the_host(compose_stack, tmp_path):
    # Two packagers (--scale packager=2), both healthy by their own /healthz.
    ps = compose_stack.compose("ps", "--format", "{{.Service}} {{.Health}}", "packager")
    assert ps.stdout.split("\n").count("packager healthy") == 2, ps.stdout + ps.stderr
    cfg = _env_example()
    login = requests.post(
        "http://127.0.0.1:8000/api/login",
        headers={"Accept": "application/json"},
        data={"username": cfg["AUTH_USERNAME"], "password": cfg["AUTH_PASSWORD"]},
        timeout=10,
    )
    assert login.status_code == 200, login.text
    token = login.json()["token"]
    clip = make_clip(tmp_path / "compose.mp4", seconds=3)
    with open(clip, "rb") as fh:
        resp = requests.post(
            "http://127.0.0.1:3000/api/upload",
            files={"file": ("compose.mp4", fh)},
            data={"name": "From compose"},
            headers={"Authorization": f"Bearer {token}"},
            timeout=120,
        )
    assert resp.status_code == 201, resp.text
    video_id = resp.json()["id"]

    def ready():
        v = requests.get(
            f"http://127.0.0.1:3100/api/videos/{video_id}", headers={"Authorization": f"Bearer {token}"}, timeout=10
        ).json()
        assert v["status"] != "failed", v
        return v["status"] == "ready" and v

    video = wait_until(ready, 180, "the video ready in the compose stack", interval=0.5)
    assert video["video_path"] == f"s3://{cfg['S3_BUCKET']}/videos/{video_id}/hls/master.m3u8"
    info = ffprobe_url(f"http://127.0.0.1:3100/videos/{video_id}/hls/master.m3u8", token)
    assert float(info["format"]["duration"]) == pytest.approx(3, abs=0.3)
    assert any(s["codec_type"] == "video" for s in info["streams"])
    # file-svc is internal: published on 127.0.0.1 only, and refuses requests without the token.
    assert requests.get(f"http://127.0.0.1:4000/videos/{video_id}/hls/master.m3u8", timeout=5).status_code == 401
    assert requests.get("http://127.0.0.1:4000/healthz", timeout=5).status_code == 200
    # MariaDB holds the row, reachable with the application user made from DB_USER/DB_PASS.
    import pymysql

    deadline = time.monotonic() + 10
    conn = pymysql.connect(
        host="127.0.0.1",
        port=3306,
        user=cfg["DB_USER"],
        password=cfg["DB_PASS"],
        database="video_db",
        cursorclass=pymysql.cursors.DictCursor,
    )
    with conn, conn.cursor() as c:
        c.execute("SELECT video_name, video_path FROM videos WHERE id = %s", (video_id,))
        assert c.fetchall() == [{"video_name": "From compose", "video_path": video["video_path"]}]
        c.execute("SHOW DATABASES")
        assert {r["Database"] for r in c.fetchall()} <= {"information_schema", "video_db"}
    assert time.monotonic() < deadline + 60
