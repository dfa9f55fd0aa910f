"""The five processes are listed once (harness.processes): `make run` and the test stacks
start that list, and docker-compose.yml's services and the Kubernetes manifests'
Deployments must be the same five, with the same code, command and port."""

from __future__ import annotations

import pytest
import yaml

from harness import PROCESSES, ROOT

pytestmark = pytest.mark.fast


def _compose_services() -> dict[str, dict]:
    """compose's services built from this repository (the others, MariaDB and the S3
    store, are images of components)."""
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    assert all("build" in svc or "image" in svc for svc in services.values())
    return {name: svc for name, svc in services.items() if "build" in svc}


def _deployments() -> dict[str, dict]:
    found = {}
    for path in sorted((ROOT / "deploy" / "kubernetes" / "base").glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc and doc.get("kind") == "Deployment":
                found[doc["metadata"]["name"]] = doc
    return found


def test_the_list_names_five_processes_once():
    assert [p.name for p in PROCESSES] == ["auth-svc", "file-svc", "packager", "upload-webapp", "streaming-svc"]
    for field in ("name", "key", "port_variable", "port"):
        values = [getattr(p, field) for p in PROCESSES]
        assert len(set(values)) == len(values), field
    for p in PROCESSES:
        # What runs: wsgi.py (gunicorn), or the module `python -m` runs: a file, or a
        # package's __main__.py.
        base = ROOT / p.folder / (p.module or "wsgi").replace(".", "/")
        assert base.with_suffix(".py").is_file() or (base / "__main__.py").is_file(), p


def test_compose_runs_the_same_processes():
    services = _compose_services()
    assert set(services) == {p.name for p in PROCESSES}
    for p in PROCESSES:
        svc = services[p.name]
        assert svc["build"]["context"] == f"./{p.folder}", p.name
        assert svc.get("command") == (None if p.module is None else ["python", "-m", p.module]), p.name
        if "ports" in svc:  # published: on the process's port, on loopback only when it is internal
            (mapping,) = svc["ports"]
            assert mapping.endswith(f":{p.port}"), (p.name, mapping)
            assert mapping.startswith("127.0.0.1:") == p.internal, (p.name, mapping)
        else:
            assert p.internal and svc["environment"][p.port_variable] == str(p.port), p.name


def test_the_manifests_deploy_the_same_processes():
    deployments = _deployments()
    assert set(deployments) == {p.name for p in PROCESSES}
    for p in PROCESSES:
        (container,) = deployments[p.name]["spec"]["template"]["spec"]["containers"]
        assert [port["containerPort"] for port in container["ports"]] == [p.port], p.name
        assert container.get("command") == (None if p.module is None else ["python", "-m", p.module]), p.name
