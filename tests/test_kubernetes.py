"""deploy/kubernetes: rendered with every kubectl found (kustomize), the renders of two
kubectl versions compared, each object validated with kubernetes-validate --strict against
a pinned Kubernetes version, and the manifests held to the code: variables the code reads,
the images and ports compose builds, probe paths the apps serve, hardening, resources,
selectors that select pods that exist, the secrets each pod gets against the code that
reads them, and every connection the NetworkPolicies allow (evaluated against a model of a
cluster). No cluster is started: this is rendering, schema validation and evaluation only.

kubectl: the one on PATH, Debian's at /usr/bin/kubectl when it is another binary, and any
listed in KUBECTL_EXTRA (paths separated by os.pathsep), e.g. Debian's kubectl 1.20
extracted from its package to compare with a newer one."""

from __future__ import annotations

import ast
import ipaddress
import os
import re
import secrets
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from harness import in_process_app

ROOT = Path(__file__).resolve().parent.parent
K8S = ROOT / "deploy" / "kubernetes"
TARGETS = ("base", "overlays/local", "overlays/aws")
KUBERNETES_VERSION = "1.30.0"  # pinned: kubernetes-validate 1.x bundles 1.25 onwards
OLD_KUSTOMIZE_FIELDS = {
    "resources",
    "bases",
    "patchesStrategicMerge",
    "configMapGenerator",
    "secretGenerator",
    "commonLabels",
    "images",
    "namespace",
}
GENERATOR_FIELDS = {"name", "behavior", "env", "literals", "files"}
IMAGE_CONTEXTS = {  # image -> compose build context
    "reelhouse/auth-svc": "./auth-svc",
    "reelhouse/upload-webapp": "./upload-webapp",
    "reelhouse/streaming-svc": "./streaming-webapp",
    "reelhouse/file-svc": "./file-svc",
}
APPS = {  # Deployment -> (folder, package) of the Flask app it serves; None: the packager
    "auth-svc": ("auth-svc", "auth_svc"),
    "upload-webapp": ("upload-webapp", "upload_webapp"),
    "streaming-svc": ("streaming-webapp", "streaming_webapp"),
    "file-svc": ("file-svc", "file_svc"),
    "packager": None,
}
TEMP_USERS = {"upload-webapp", "file-svc", "packager"}
TEMP_MOUNT = "/usr/src/app/temp"
HASHED = re.compile(r"(.+)-[a-z0-9]{10}")


# -- kubectl and the renders ---------------------------------------------------------------


# Debian 12's kubectl, unpacked by scripts/setup-test.sh when PATH has another version.
DEBIAN_KUBECTL = "/var/tmp/reelhouse-kubectl-debian/usr/bin/kubectl"


def kubectls() -> list[str]:
    """Every distinct kubectl binary: PATH's, Debian's /usr/bin/kubectl, KUBECTL_EXTRA."""
    candidates = [shutil.which("kubectl"), "/usr/bin/kubectl", DEBIAN_KUBECTL]
    candidates += [p for p in os.environ.get("KUBECTL_EXTRA", "").split(os.pathsep) if p]
    found, seen = [], set()
    for path in candidates:
        if path and os.path.isfile(path) and os.access(path, os.X_OK):
            real = os.path.realpath(path)
            if real not in seen:
                seen.add(real)
                found.append(path)
    return found


def client_version(kubectl: str) -> str:
    out = subprocess.run([kubectl, "version", "--client"], capture_output=True, text=True, timeout=60).stdout
    match = re.search(r'GitVersion:"(v[^"]+)"', out) or re.search(r"Client Version: (v\S+)", out)
    assert match, f"{kubectl} version --client said: {out!r}"
    return match.group(1)


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    """A copy of deploy/kubernetes with throwaway secrets.env files made from the examples."""
    copy = tmp_path_factory.mktemp("k8s") / "kubernetes"
    shutil.copytree(K8S, copy, ignore=shutil.ignore_patterns("secrets.env"))
    examples = list(copy.rglob("secrets.env.example"))
    assert examples, "no secrets.env.example under deploy/kubernetes"
    for example in examples:
        keys = [line.split("=", 1)[0] for line in example.read_text().splitlines() if line and line[0] != "#"]
        assert keys, f"{example} has no keys"
        (example.parent / "secrets.env").write_text("".join(f"{k}=test-{secrets.token_hex(8)}\n" for k in keys))
    return copy


@pytest.fixture(scope="module")
def binaries() -> list[str]:
    found = kubectls()
    assert found, (
        "kubectl is needed to render deploy/kubernetes (make test's set-up installs Debian's "
        "kubernetes-client as root; elsewhere: apt-get install kubernetes-client)"
    )
    return found


@pytest.fixture(scope="module")
def renders(tree, binaries) -> dict[str, dict[str, list[dict]]]:
    """{kubectl: {target: [objects]}}, each target rendered by each kubectl."""
    out: dict[str, dict[str, list[dict]]] = {}
    for kubectl in binaries:
        out[kubectl] = {}
        for target in TARGETS:
            result = subprocess.run(
                [kubectl, "kustomize", str(tree / target)], capture_output=True, text=True, timeout=120
            )
            assert result.returncode == 0, f"{kubectl} kustomize {target}: {result.stderr}"
            objects = [o for o in yaml.safe_load_all(result.stdout) if o]
            assert objects, f"{kubectl} kustomize {target} rendered nothing"
            out[kubectl][target] = objects
    return out


@pytest.fixture(scope="module")
def rendered(renders, binaries) -> dict[str, list[dict]]:
    """The render of the first kubectl (the one on PATH), per target."""
    return renders[binaries[0]]


def normalised(objects: list[dict]) -> dict[tuple, dict]:
    """Objects by (kind, namespace, name), generator hash suffixes replaced by -HASH and
    empty metadata maps dropped (kustomize 2.0 writes `annotations: {}` on merged ones)."""
    names = {}
    for o in objects:
        if o["kind"] in ("ConfigMap", "Secret"):
            match = HASHED.fullmatch(o["metadata"]["name"])
            if match:
                names[o["metadata"]["name"]] = match.group(1) + "-HASH"

    def fix(x):
        if isinstance(x, dict):
            x = {k: fix(v) for k, v in x.items()}
            meta = x.get("metadata")
            if isinstance(meta, dict):
                for key in ("annotations", "labels"):
                    if meta.get(key) == {}:
                        del meta[key]
            return x
        if isinstance(x, list):
            return [fix(v) for v in x]
        return names.get(x, x) if isinstance(x, str) else x

    fixed = [fix(o) for o in objects]
    return {(o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"]): o for o in fixed}


def of_kind(objects: list[dict], kind: str) -> list[dict]:
    return [o for o in objects if o["kind"] == kind]


def named(objects: list[dict], kind: str, name: str) -> dict:
    matches = [o for o in of_kind(objects, kind) if o["metadata"]["name"] == name]
    assert len(matches) == 1, f"{kind}/{name}: {len(matches)} in the render"
    return matches[0]


def generated(objects: list[dict], kind: str, name: str) -> dict:
    """A generated ConfigMap or Secret by its name before the hash suffix."""
    matches = [o for o in of_kind(objects, kind) if HASHED.fullmatch(o["metadata"]["name"])]
    matches = [o for o in matches if HASHED.fullmatch(o["metadata"]["name"]).group(1) == name]
    assert len(matches) == 1, f"generated {kind} {name}: {len(matches)} in the render"
    return matches[0]


def workloads(objects: list[dict]) -> list[dict]:
    return [o for o in objects if o["kind"] in ("Deployment", "StatefulSet")]


def ours(workload: dict) -> list[dict]:
    """Containers running a Reelhouse image (not MariaDB's or SeaweedFS's)."""
    return [c for c in workload["spec"]["template"]["spec"]["containers"] if image_name(c["image"]) in IMAGE_CONTEXTS]


def image_name(image: str) -> str:
    """`registry/reelhouse/x:tag` -> `reelhouse/x` (registry and tag dropped)."""
    name = image.rsplit("@", 1)[0]
    if ":" in name.rsplit("/", 1)[-1]:
        name = name.rsplit(":", 1)[0]
    for known in IMAGE_CONTEXTS:
        if name == known or name.endswith("/" + known):
            return known
    return name


def selects(selector: dict, labels: dict) -> bool:
    """A label selector (matchLabels and matchExpressions, as the API server reads them)
    against a pod's labels; the empty selector selects every pod."""
    assert set(selector) <= {"matchLabels", "matchExpressions"}, f"unknown selector fields: {selector}"
    if any(labels.get(k) != v for k, v in selector.get("matchLabels", {}).items()):
        return False
    return all(_expression_holds(e, labels) for e in selector.get("matchExpressions", []))


def _expression_holds(expression: dict, labels: dict) -> bool:
    key, operator, values = expression["key"], expression["operator"], expression.get("values", [])
    if operator == "In":
        return key in labels and labels[key] in values
    if operator == "NotIn":
        return key not in labels or labels[key] not in values
    if operator == "Exists":
        return key in labels
    assert operator == "DoesNotExist", expression
    return key not in labels


def pod_labels(objects: list[dict]) -> list[dict]:
    labels = [w["spec"]["template"]["metadata"]["labels"] for w in workloads(objects)]
    assert labels
    return labels


def env_of(container: dict, objects: list[dict]) -> dict[str, str | None]:
    """The container's variables: envFrom ConfigMaps/Secrets resolved, then env (values
    of secretKeyRef/configMapKeyRef are None)."""
    env: dict[str, str | None] = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            env.update(named(objects, "ConfigMap", source["configMapRef"]["name"]).get("data", {}))
        elif "secretRef" in source:
            env.update(dict.fromkeys(named(objects, "Secret", source["secretRef"]["name"]).get("data", {})))
    for item in container.get("env", []):
        env[item["name"]] = item.get("value")
    return env


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


# -- rendering, comparison, schema ---------------------------------------------------------


def test_kustomizations_use_only_what_kustomize_2_knows():
    files = sorted(K8S.rglob("kustomization.yaml"))
    assert {f.parent.relative_to(K8S).as_posix() for f in files} == set(TARGETS)
    for path in files:
        k = yaml.safe_load(path.read_text())
        assert set(k) <= OLD_KUSTOMIZE_FIELDS, f"{path}: {set(k) - OLD_KUSTOMIZE_FIELDS}"
        for entry in k.get("resources", []):
            assert (path.parent / entry).is_file(), f"{path}: resources must be files (bases: for folders): {entry}"
        for entry in k.get("patchesStrategicMerge", []):
            assert (path.parent / entry).is_file(), f"{path}: {entry}"
        for entry in k.get("bases", []):
            assert (path.parent / entry / "kustomization.yaml").is_file(), f"{path}: {entry}"
        for gen in k.get("configMapGenerator", []) + k.get("secretGenerator", []):
            assert set(gen) <= GENERATOR_FIELDS, f"{path}: {set(gen) - GENERATOR_FIELDS}"
        if path.parent != K8S / "base":
            # kustomize 2.0 drops the namespace of a ConfigMap merged in an overlay without one.
            assert k.get("namespace") == "reelhouse", f"{path}: set namespace: reelhouse"


@pytest.mark.parametrize("target", TARGETS)
def test_every_kubectl_renders(renders, target):
    for kubectl, by_target in renders.items():
        kinds = {o["kind"] for o in by_target[target]}
        assert {"Deployment", "Service", "ConfigMap", "Secret", "HorizontalPodAutoscaler"} <= kinds, (kubectl, kinds)


def test_kubectl_versions_render_the_same_objects(renders):
    versions = {}
    for kubectl in renders:
        versions.setdefault(client_version(kubectl), kubectl)
    # Debian's 1.20 is always among them (setup-test.sh fetches it beside a newer one);
    # alone, it is the only version this machine has, and the one whose renders matter.
    assert any(v.startswith("v1.20.") for v in versions), (
        f"Debian 12's kubectl 1.20 is not among {sorted(versions)}: run scripts/setup-test.sh"
    )
    (first_version, first), *others = versions.items()
    for version, kubectl in others:
        for target in TARGETS:
            a, b = normalised(renders[first][target]), normalised(renders[kubectl][target])
            assert set(a) == set(b), f"{target}: {first_version} vs {version}: {set(a) ^ set(b)}"
            for key in a:
                assert a[key] == b[key], f"{target}: {key} differs between {first_version} and {version}"


def _validate(path: Path, count: int) -> None:
    import kubernetes_validate.utils as kv

    assert KUBERNETES_VERSION in kv.all_versions(), f"kubernetes-validate does not bundle {KUBERNETES_VERSION}"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "kubernetes_validate",
            "--strict",
            "--kubernetes-version",
            KUBERNETES_VERSION,
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # A kind without a schema is only a warning there: every object must have passed.
    passed = [line for line in result.stdout.splitlines() if line.startswith("INFO") and " passed " in line]
    assert len(passed) == count, result.stdout


@pytest.mark.parametrize("target", TARGETS)
def test_schema_valid_strict(renders, target, tmp_path):
    for i, by_target in enumerate(renders.values()):
        objects = by_target[target]
        path = tmp_path / f"render-{i}.yaml"
        path.write_text(yaml.safe_dump_all(objects))
        _validate(path, len(objects))


def test_storage_class_schema_valid():
    path = K8S / "overlays" / "aws" / "storageclass.yaml"
    _validate(path, len([o for o in yaml.safe_load_all(path.read_text()) if o]))


# -- the manifests against the code ----------------------------------------------------------

ENV_READ = re.compile(
    r"""(?:\b_env|\b_int|\b_bool|\b_float|os\.environ\.get|os\.getenv)\(\s*['"]([A-Z][A-Z0-9_]*)['"]"""
)
ENV_INDEX = re.compile(r"""os\.environ\[\s*['"]([A-Z][A-Z0-9_]*)['"]\s*\]""")


def env_read_by(*files: str) -> set[str]:
    names = set()
    for rel in files:
        text = (ROOT / rel).read_text()
        names |= set(ENV_READ.findall(text)) | set(ENV_INDEX.findall(text))
    return names


SETTINGS_ENV = env_read_by("common/vs_common/settings.py")
GUNICORN_ENV = env_read_by("common/vs_common/gunicorn_conf.py")
PACKAGER_ENV = env_read_by(*(str(p.relative_to(ROOT)) for p in (ROOT / "file-svc/file_svc/packager").rglob("*.py")))


def test_the_parser_finds_what_settings_reads():
    from vs_common.settings import Settings

    fields = {f.upper() for f in Settings.__dataclass_fields__} - {"EXTRA"}
    assert fields and fields <= SETTINGS_ENV, fields - SETTINGS_ENV
    assert {"PORT", "BIND_HOST", "WEB_CONCURRENCY", "GUNICORN_THREADS"} <= GUNICORN_ENV
    assert "BIND_HOST" in PACKAGER_ENV


@pytest.mark.parametrize("target", TARGETS)
def test_every_variable_is_read_by_the_code(rendered, target):
    objects = rendered[target]
    seen = set()
    for deployment in of_kind(objects, "Deployment"):
        containers = ours(deployment)
        assert containers, deployment["metadata"]["name"]
        for c in containers:
            packager = c.get("command", [])[-1:] == ["file_svc.packager"]
            readable = SETTINGS_ENV | (PACKAGER_ENV if packager else GUNICORN_ENV)
            env = env_of(c, objects)
            assert env
            unknown = set(env) - readable
            assert not unknown, f"{target} {c['name']}: variables no code reads: {sorted(unknown)}"
            seen |= set(env)
    assert {"APP_ENV", "LOG_FORMAT", "METRICS_TOKEN", "TRUSTED_PROXIES", "DB_PASS"} <= seen


@pytest.mark.parametrize("target", TARGETS)
def test_secret_and_config_references_resolve(rendered, target):
    objects = rendered[target]
    refs = 0
    for workload in workloads(objects):
        for c in workload["spec"]["template"]["spec"]["containers"]:
            for item in c.get("env", []):
                source = item.get("valueFrom", {})
                for kind, field in (("Secret", "secretKeyRef"), ("ConfigMap", "configMapKeyRef")):
                    if field in source:
                        ref = source[field]
                        data = named(objects, kind, ref["name"]).get("data", {})
                        assert ref["key"] in data, f"{target}: {kind} {ref['name']} has no {ref['key']}"
                        refs += 1
            for source in c.get("envFrom", []):
                for kind, field in (("Secret", "secretRef"), ("ConfigMap", "configMapRef")):
                    if field in source:
                        named(objects, kind, source[field]["name"])
                        refs += 1
    assert refs


# Which secrets each workload's code reads: the modules its entry point imports (its own
# package's and vs_common's, followed through every import statement, those inside
# functions included; a package's __init__ only when it is imported itself, so the
# packager, run as `python -m file_svc.packager`, is not charged with file-svc's app),
# searched for the Settings attribute (`settings.internal_token`, `services.settings.metrics_token`).
# A check_secrets() name list is not a read: the value must be used.
IMAGE_SECRETS = {  # third-party images: the variables their entrypoints read
    "mariadb": {"MYSQL_ROOT_PASSWORD", "MYSQL_PASSWORD"},  # docker-entrypoint.sh, first start
}


def entry_point(workload: dict) -> tuple[str, str]:
    """(source folder, module) the Deployment runs: the app's package (gunicorn
    `package:create_app()`), or the module of `python -m module`."""
    name = workload["metadata"]["name"]
    if APPS[name] is not None:
        return APPS[name]
    (c,) = workload["spec"]["template"]["spec"]["containers"]
    assert c["command"][:2] == ["python", "-m"], c["command"]
    return "file-svc", c["command"][2]


def _module_file(module: str, roots: list[Path]) -> Path | None:
    for root in roots:
        base = root.joinpath(*module.split("."))
        if base.with_suffix(".py").is_file():
            return base.with_suffix(".py")
        if (base / "__init__.py").is_file():
            return base / "__init__.py"
    return None


def _imported(path: Path, module: str, roots: list[Path]) -> set[str]:
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([node.module] if node.module else []))
            for alias in node.names:  # a submodule, else a name of the module itself
                sub = f"{base}.{alias.name}"
                names.add(sub if _module_file(sub, roots) else base)
    return {n for n in names if _module_file(n, roots)}


def code_of(folder: str, module: str) -> set[Path]:
    """The files of every module `module` imports, transitively, from the service's
    folder and common/."""
    roots = [ROOT / folder, ROOT / "common"]
    seen, todo = {}, [module]
    while todo:
        name = todo.pop()
        path = _module_file(name, roots)
        if path is None or name in seen:
            continue
        seen[name] = path
        todo += _imported(path, name, roots) - set(seen)
    return set(seen.values())


def secrets_read(files: set[Path], names: set[str]) -> set[str]:
    text = "\n".join(f.read_text() for f in files)
    return {n for n in names if re.search(rf"\.{n.lower()}\b", text)}


def test_the_import_walk_finds_what_each_entry_point_uses():
    files = {m: {p.relative_to(ROOT).as_posix() for p in code_of(*m)} for m in set(APPS.values()) - {None}}
    packager = {p.relative_to(ROOT).as_posix() for p in code_of("file-svc", "file_svc.packager")}
    assert "file-svc/file_svc/storage/s3.py" in packager  # through `from .storage import ...`
    assert "common/vs_common/db.py" in packager and "file-svc/file_svc/config.py" in packager
    assert "file-svc/file_svc/__init__.py" not in packager  # file-svc's app, not run there
    assert "auth-svc/auth_svc/routes.py" in files[("auth-svc", "auth_svc")]  # imported inside create_app
    assert "common/vs_common/app.py" in files[("upload-webapp", "upload_webapp")]
    assert not any(p.startswith("file-svc/") for p in files[("streaming-webapp", "streaming_webapp")])


@pytest.mark.parametrize("target", TARGETS)
def test_every_secret_a_pod_gets_is_read_by_its_code(rendered, target):
    """No secret in a pod that does not use it: one key at a time (secretKeyRef, never a
    whole Secret by envFrom), and each key a Settings value the workload's code reads
    (or, for MariaDB and SeaweedFS, a variable their entrypoint or command reads)."""
    from vs_common.settings import Settings

    objects = rendered[target]
    secret_keys = {k for s in of_kind(objects, "Secret") for k in s.get("data", {})}
    config = generated(objects, "ConfigMap", "reelhouse-config")["data"]
    assert not secret_keys & set(config), "a secret in the ConfigMap"
    fields = {f.upper() for f in Settings.__dataclass_fields__}
    unused = []
    for workload in workloads(objects):
        name = workload["metadata"]["name"]
        for c in workload["spec"]["template"]["spec"]["containers"]:
            assert not any("secretRef" in s for s in c.get("envFrom", [])), f"{name}: a whole Secret in envFrom"
            given = {e["name"] for e in c.get("env", []) if "secretKeyRef" in e.get("valueFrom", {})}
            if ours(workload):
                assert given <= fields, f"{name}: {given - fields} are not settings"
                read = secrets_read(code_of(*entry_point(workload)), given)
            else:
                command = " ".join(c.get("command", []) + c.get("args", []))
                read = IMAGE_SECRETS.get(image_name(c["image"]).split(":")[0], set()) & given
                read |= {n for n in given if f"${n}" in command or f"${{{n}}}" in command}
            unused += [f"{name}: {key}" for key in sorted(given - read)]
    assert not unused, f"{target}: secrets given to pods whose code never reads them: {unused}"


def test_secrets_go_where_the_code_reads_them(rendered):
    """The other way round, for the application's secrets: each service is given every
    one its code reads (on AWS the storage keys come from the IAM role instead)."""
    objects = rendered["overlays/local"]
    names = set(generated(objects, "Secret", "reelhouse-secrets")["data"])
    names |= {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}
    given, read = {}, {}
    for deployment in of_kind(objects, "Deployment"):
        (c,) = ours(deployment)
        name = deployment["metadata"]["name"]
        given[name] = {e["name"] for e in c.get("env", []) if "secretKeyRef" in e.get("valueFrom", {})}
        read[name] = secrets_read(code_of(*entry_point(deployment)), names)
    assert given == read
    assert "INTERNAL_TOKEN" not in given["packager"] and "SECRET_KEY" in given["auth-svc"]


def test_the_packager_starts_in_production_with_only_its_secrets(rendered, tmp_path):
    """Its start-up checks pass with exactly the variables its Deployment gives it and
    APP_ENV=production (the secrets filled with random values): it needs no
    INTERNAL_TOKEN. Run up to the point where it would build the Packager."""
    objects = rendered["overlays/aws"]
    (c,) = named(objects, "Deployment", "packager")["spec"]["template"]["spec"]["containers"]
    env = {k: v if v is not None else secrets.token_urlsafe(32) for k, v in env_of(c, objects).items()}
    assert env["APP_ENV"] == "production"
    env["TEMP_DIR"] = str(tmp_path / "temp")  # the volume's mount point
    env.update(PATH=os.environ["PATH"], ENV_FILE=str(tmp_path / "no.env"))
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "file-svc"), str(ROOT / "common")])
    script = (
        "import file_svc.packager.worker as p\n"
        "class Built(Exception): pass\n"
        "def stop(settings): raise Built\n"
        "p.Packager = stop\n"
        "try:\n    p.main()\nexcept Built:\n    print('settings accepted')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip() == "settings accepted", result.stdout + result.stderr


SECRET_OPTION = re.compile(r"(^|\s)(-p\S|--password\b)|MYSQL_PWD|PGPASSWORD")


@pytest.mark.parametrize("target", TARGETS)
def test_no_probe_command_carries_a_password(rendered, target, tree):
    """Exec probes show up in `ps` and in the pod's spec: no password option, no
    expansion of a variable that comes from a Secret, no secret value."""
    objects = rendered[target]
    values = [line.split("=", 1)[1] for f in tree.rglob("secrets.env") for line in f.read_text().splitlines()]
    checked = 0
    for workload in workloads(objects):
        for c in workload["spec"]["template"]["spec"]["containers"]:
            from_secret = {e["name"] for e in c.get("env", []) if "secretKeyRef" in e.get("valueFrom", {})}
            for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
                command = " ".join(c.get(probe, {}).get("exec", {}).get("command", []))
                if not command:
                    continue
                checked += 1
                where = f"{target} {workload['metadata']['name']} {probe}: {command!r}"
                assert not SECRET_OPTION.search(command), where
                assert not re.search(r"\$\{?[A-Za-z_]*(PASS|PWD|SECRET|TOKEN|KEY)", command, re.I), where
                assert not any(f"${n}" in command or f"${{{n}}}" in command for n in from_secret), where
                assert not any(v in command for v in values), where
    assert checked or target != "overlays/local"


def _dockerfile_expose(folder: str) -> int:
    match = re.search(r"^EXPOSE (\d+)$", (ROOT / folder / "Dockerfile").read_text(), re.M)
    assert match, folder
    return int(match.group(1))


@pytest.mark.parametrize("target", TARGETS)
def test_images_commands_and_ports_match_compose(rendered, compose, target):
    objects = rendered[target]
    deployments = {d["metadata"]["name"]: d for d in of_kind(objects, "Deployment")}
    assert set(deployments) == set(APPS)
    for name, deployment in deployments.items():
        service = compose["services"][name]
        (c,) = deployment["spec"]["template"]["spec"]["containers"]
        image = image_name(c["image"])
        assert IMAGE_CONTEXTS[image] == service["build"]["context"], (name, c["image"])
        assert c.get("command") == service.get("command"), name
        env = service["environment"]
        port = int(env.get("PORT") or env["PACKAGER_PORT"])
        assert [p["containerPort"] for p in c["ports"]] == [port], name
        if "PORT" in env:
            assert _dockerfile_expose(service["build"]["context"]) == port
            assert env_of(c, objects)["PORT"] == str(port)
        else:
            assert env_of(c, objects)["PACKAGER_PORT"] == str(port)
    services = {s["metadata"]["name"]: s for s in of_kind(objects, "Service")}
    for name in ("auth-svc", "upload-webapp", "streaming-svc", "file-svc"):
        (port,) = services[name]["spec"]["ports"]
        assert port["port"] == int(compose["services"][name]["environment"]["PORT"])
    # Wiring: the internal URLs name these Services and ports.
    config = generated(objects, "ConfigMap", "reelhouse-config")["data"]
    assert config["AUTH_SVC_URL"] == "http://auth-svc:8000"
    assert config["FILE_SVC_URL"] == "http://file-svc:4000"


def test_local_overlay_runs_compose_images(rendered, compose):
    objects = rendered["overlays/local"]
    images = {c["image"] for s in of_kind(objects, "StatefulSet") for c in s["spec"]["template"]["spec"]["containers"]}
    assert images == {compose["services"]["database"]["image"], compose["services"]["s3"]["image"]}


def _routes(name: str, tmp: Path) -> set[str]:
    """The rules of the app the Deployment serves, built in-process (SQLite, local storage)."""
    if APPS[name] is None:

        def make(settings):
            from file_svc.packager import Packager

            return Packager(settings).health_app()

        app = in_process_app("file-svc", "file_svc", tmp, make)
    else:
        app = in_process_app(*APPS[name], tmp)
    return {rule.rule for rule in app.url_map.iter_rules() if "GET" in rule.methods}


def test_probes_use_paths_the_apps_serve(rendered, tmp_path):
    objects = rendered["overlays/aws"]
    checked = 0
    for deployment in of_kind(objects, "Deployment"):
        name = deployment["metadata"]["name"]
        routes = _routes(name, tmp_path)
        (c,) = deployment["spec"]["template"]["spec"]["containers"]
        ports = {p["name"]: p["containerPort"] for p in c["ports"]}
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            get = c[probe]["httpGet"]
            assert get["path"] == "/healthz" and get["path"] in routes, (name, probe, sorted(routes))
            assert get["port"] in ports, (name, probe)
            checked += 1
    assert checked == 3 * len(APPS)


def _quantity(value) -> float:
    units = {"m": 1e-3, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30}
    text = str(value)
    for suffix, factor in units.items():
        if text.endswith(suffix):
            return float(text[: -len(suffix)]) * factor
    return float(text)


def _image_uid() -> int:
    uids = set()
    for folder in {c.lstrip("./") for c in IMAGE_CONTEXTS.values()}:
        text = (ROOT / folder / "Dockerfile").read_text()
        uids |= {int(u) for u in re.findall(r"useradd .*--uid (\d+)", text)}
        assert re.search(r"^USER app$", text, re.M), folder
    assert len(uids) == 1, uids
    return uids.pop()


@pytest.mark.parametrize("target", TARGETS)
def test_every_pod_is_hardened_probed_and_sized(rendered, target):
    objects = rendered[target]
    uid = _image_uid()
    checked = set()
    for workload in workloads(objects):
        name = workload["metadata"]["name"]
        spec = workload["spec"]["template"]["spec"]
        pod = spec["securityContext"]
        assert pod["runAsNonRoot"] is True and pod["runAsUser"] > 0 and pod["runAsGroup"] > 0, name
        assert pod["seccompProfile"] == {"type": "RuntimeDefault"}, name
        assert spec["automountServiceAccountToken"] is False and spec["enableServiceLinks"] is False, name
        if ours(workload):
            assert pod["runAsUser"] == pod["runAsGroup"] == pod["fsGroup"] == uid, name
        volumes = {v["name"]: v for v in spec.get("volumes", [])}
        for c in spec["containers"]:
            sc = c["securityContext"]
            assert sc["allowPrivilegeEscalation"] is False and sc["readOnlyRootFilesystem"] is True, name
            assert sc["capabilities"] == {"drop": ["ALL"]} and sc["runAsNonRoot"] is True, name
            for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
                assert c.get(probe), f"{name}: no {probe}"
            res = c["resources"]
            for key in ("cpu", "memory"):
                assert _quantity(res["requests"][key]) <= _quantity(res["limits"][key]), (name, key)
            mounts = {m["mountPath"]: m["name"] for m in c.get("volumeMounts", [])}
            if ours(workload):
                # gunicorn's worker files and the Prometheus multiprocess files: /tmp.
                assert "emptyDir" in volumes[mounts["/tmp"]], name
                if name in TEMP_USERS:
                    claim = volumes[mounts[TEMP_MOUNT]]["persistentVolumeClaim"]["claimName"]
                    named(objects, "PersistentVolumeClaim", claim)
                    assert env_of(c, objects)["TEMP_DIR"] == TEMP_MOUNT
                else:
                    assert TEMP_MOUNT not in mounts, name
            for mount in mounts.values():
                source = volumes[mount] if mount in volumes else None
                claims = {t["metadata"]["name"] for t in workload["spec"].get("volumeClaimTemplates", [])}
                assert source is not None or mount in claims, (name, mount)
            checked.add(name)
    assert set(APPS) <= checked


@pytest.mark.parametrize("target", TARGETS)
def test_selectors_select_pods_that_exist(rendered, target):
    objects = rendered[target]
    pods = pod_labels(objects)
    deployments = {d["metadata"]["name"] for d in of_kind(objects, "Deployment")}
    for w in workloads(objects):
        assert selects(w["spec"]["selector"], w["spec"]["template"]["metadata"]["labels"])
    hpas = of_kind(objects, "HorizontalPodAutoscaler")
    assert {h["spec"]["scaleTargetRef"]["name"] for h in hpas} >= {"upload-webapp", "streaming-svc", "packager"}
    for h in hpas:
        ref = h["spec"]["scaleTargetRef"]
        assert ref["kind"] == "Deployment" and ref["name"] in deployments, ref
        assert h["spec"]["minReplicas"] <= h["spec"]["maxReplicas"]
    pdbs = of_kind(objects, "PodDisruptionBudget")
    assert len(pdbs) == len(deployments)
    for p in pdbs:
        assert any(selects(p["spec"]["selector"], labels) for labels in pods), p["metadata"]["name"]
    services = of_kind(objects, "Service")
    assert services
    for s in services:
        assert any(selects({"matchLabels": s["spec"]["selector"]}, labels) for labels in pods), s["metadata"]["name"]
    policies = of_kind(objects, "NetworkPolicy")
    assert policies
    for n in policies:
        assert any(selects(n["spec"]["podSelector"], labels) for labels in pods), n["metadata"]["name"]
        rules = [r.get("from", []) for r in n["spec"].get("ingress", [])]
        rules += [r.get("to", []) for r in n["spec"].get("egress", [])]
        for peers in rules:
            for peer in peers:
                if set(peer) == {"podSelector"}:  # pods of this namespace
                    assert any(selects(peer["podSelector"], labels) for labels in pods), (n["metadata"]["name"], peer)
    (ingress,) = of_kind(objects, "Ingress")
    ports = {s["metadata"]["name"]: {p["port"] for p in s["spec"]["ports"]} for s in services}
    for rule in ingress["spec"]["rules"]:
        for path in rule["http"]["paths"]:
            backend = path["backend"]["service"]
            assert backend["port"]["number"] in ports[backend["name"]], rule["host"]


# -- network policies: every connection the rendered policies allow, computed -------------
#
# The rendered NetworkPolicies evaluated as the API documents them: a pod selected by a
# policy of a direction (Ingress, Egress) accepts in that direction only what one of those
# policies' rules allows; a connection needs its source's egress and its destination's
# ingress allowed. A pod's own traffic to itself is never blocked (and not listed). ipBlock
# is matched against pods' addresses too (implementations differ; this is the wider
# reading). The pods and addresses around the namespace are a model of a cluster:

NAMESPACE = "reelhouse"
POD_CIDR = "10.244.0.0/16"  # the model's pod addresses (a common default)


@dataclass
class Endpoint:
    """A pod (namespace set) or an address outside the cluster (namespace None)."""

    name: str
    namespace: str | None
    labels: dict
    ip: str
    ports: list[tuple[str, int, str | None]]  # (protocol, number, name)


def _pod(name, namespace, labels, ports, index) -> Endpoint:
    return Endpoint(name, namespace, labels, f"10.244.{index}.2", [(p, n, None) for p, n in ports])


FOREIGN_PODS = [  # (name, namespace, labels, ports)
    ("kube-dns", "kube-system", {"k8s-app": "kube-dns"}, [("UDP", 53), ("TCP", 53), ("TCP", 9153)]),
    ("traefik", "kube-system", {"app.kubernetes.io/name": "traefik"}, [("TCP", 8000)]),
    (
        "ingress-nginx",
        "ingress-nginx",
        {"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller"},
        [("TCP", 80), ("TCP", 443)],
    ),
    (
        "ingress-nginx-admission",
        "ingress-nginx",
        {"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "admission-webhook"},
        [("TCP", 8443)],
    ),
    ("prometheus", "monitoring", {"app.kubernetes.io/name": "prometheus"}, [("TCP", 9090)]),
    ("stranger", "default", {"app": "stranger"}, [("TCP", 8080)]),
    ("debug", NAMESPACE, {"run": "debug"}, [("TCP", 8080)]),  # `kubectl run` in the namespace
]
ADDRESSES = [  # (name, address, ports): outside the pod network
    ("instance-metadata", "169.254.169.254", [("TCP", 80)]),
    ("instance-metadata-v6", "fd00:ec2::254", [("TCP", 80)]),
    ("pod-identity-agent", "169.254.170.23", [("TCP", 80)]),
    ("node", "10.0.3.7", [("TCP", 10250), ("TCP", 22)]),  # a node's kubelet and ssh
    ("api-server", "10.0.0.10", [("TCP", 443), ("TCP", 6443)]),
    ("service-ip", "172.20.0.1", [("TCP", 443)]),  # the `kubernetes` Service on EKS
    ("rds", "10.0.12.34", [("TCP", 3306)]),  # in overlays/aws's example database CIDR
    ("private-host", "192.168.10.10", [("TCP", 22), ("TCP", 443), ("TCP", 3306)]),
    ("internet", "52.216.8.1", [("TCP", 80), ("TCP", 443)]),  # an S3 address
    ("webhook-receiver", "203.0.113.9", [("TCP", 8443)]),  # a public receiver on another port
]
METADATA = {"instance-metadata", "instance-metadata-v6"}


def world(objects: list[dict]) -> list[Endpoint]:
    """The rendered workloads' pods, the pods of other namespaces and the addresses."""
    endpoints = []
    for i, w in enumerate(workloads(objects)):
        ports = [
            (p.get("protocol", "TCP"), p["containerPort"], p.get("name"))
            for c in w["spec"]["template"]["spec"]["containers"]
            for p in c.get("ports", [])
        ]
        endpoints.append(
            Endpoint(
                w["metadata"]["name"], NAMESPACE, w["spec"]["template"]["metadata"]["labels"], f"10.244.{i}.2", ports
            )
        )
    endpoints += [_pod(*pod, 100 + i) for i, pod in enumerate(FOREIGN_PODS)]
    endpoints += [Endpoint(name, None, {}, ip, [(p, n, None) for p, n in ports]) for name, ip, ports in ADDRESSES]
    assert all(ipaddress.ip_address(e.ip) in ipaddress.ip_network(POD_CIDR) for e in endpoints if e.namespace)
    return endpoints


def _port_matches(ports: list[dict] | None, dst: Endpoint, protocol: str, number: int) -> bool:
    if not ports:
        return True
    for p in ports:
        if p.get("protocol", "TCP") != protocol:
            continue
        port = p.get("port")
        if port is None:
            return True
        if isinstance(port, str):  # a named port of the destination pod
            if (protocol, number, port) in dst.ports:
                return True
        elif port <= number <= p.get("endPort", port):
            return True
    return False


def _peer_matches(peer: dict, namespace: str, other: Endpoint) -> bool:
    if "ipBlock" in peer:
        address = ipaddress.ip_address(other.ip)
        block = peer["ipBlock"]
        return address in ipaddress.ip_network(block["cidr"]) and not any(
            address in ipaddress.ip_network(e) for e in block.get("except", [])
        )
    if other.namespace is None:
        return False
    if "namespaceSelector" in peer:
        if not selects(peer["namespaceSelector"], {"kubernetes.io/metadata.name": other.namespace}):
            return False
    elif other.namespace != namespace:
        return False
    return selects(peer.get("podSelector", {}), other.labels)


def _side_allows(policies, pod: Endpoint, other: Endpoint, dst: Endpoint, protocol, number, direction) -> bool:
    """Whether `pod`'s policies of `direction` let the connection with `other` through."""
    if pod.namespace is None:
        return True
    selecting = [
        p
        for p in policies
        if p["metadata"].get("namespace") == pod.namespace
        and direction in p["spec"]["policyTypes"]
        and selects(p["spec"]["podSelector"], pod.labels)
    ]
    if not selecting:
        return True  # not isolated in this direction
    rules, peers = ("egress", "to") if direction == "Egress" else ("ingress", "from")
    return any(
        _port_matches(rule.get("ports"), dst, protocol, number)
        and (not rule.get(peers) or any(_peer_matches(peer, p["metadata"]["namespace"], other) for peer in rule[peers]))
        for p in selecting
        for rule in p["spec"].get(rules, [])
    )


def allowed(policies: list[dict], src: Endpoint, dst: Endpoint, protocol: str, number: int) -> bool:
    return _side_allows(policies, src, dst, dst, protocol, number, "Egress") and _side_allows(
        policies, dst, src, dst, protocol, number, "Ingress"
    )


def reachable(objects: list[dict]) -> dict[str, set[str]]:
    """{source: {"destination protocol/port", ...}} for every connection allowed to or
    from a pod of the namespace (between two outside endpoints: not ours to judge)."""
    policies = of_kind(objects, "NetworkPolicy")
    assert all(p["metadata"].get("namespace") == NAMESPACE for p in policies)
    assert all(p["spec"].get("policyTypes") for p in policies), "policyTypes must be explicit"
    endpoints = world(objects)
    table: dict[str, set[str]] = {}
    for src in endpoints:
        for dst in endpoints:
            if src is dst or NAMESPACE not in (src.namespace, dst.namespace):
                continue
            for protocol, number, _ in dst.ports:
                if allowed(policies, src, dst, protocol, number):
                    table.setdefault(src.name, set()).add(f"{dst.name} {protocol.lower()}/{number}")
    return table


def parse_table(text: str) -> dict[str, set[str]]:
    """`source -> destination protocol/port, ...` lines into reachable()'s shape."""
    table = {}
    for line in text.strip().splitlines():
        source, destinations = line.split(" -> ")
        table[source.strip()] = {d.strip() for d in destinations.split(",")}
    return table


DNS = "kube-dns udp/53, kube-dns tcp/53"
WEBHOOKS = "internet tcp/80, internet tcp/443, webhook-receiver tcp/8443"  # any port of a public address
EXPECTED_REACHABLE = {
    # The in-cluster MariaDB and SeaweedFS; k3s's Traefik as well as ingress-nginx.
    "overlays/local": parse_table(
        f"""
        ingress-nginx -> auth-svc tcp/8000, upload-webapp tcp/3000, streaming-svc tcp/3100
        traefik -> auth-svc tcp/8000, upload-webapp tcp/3000, streaming-svc tcp/3100
        prometheus -> auth-svc tcp/8000, upload-webapp tcp/3000, streaming-svc tcp/3100, file-svc tcp/4000, packager tcp/4001
        upload-webapp -> auth-svc tcp/8000, file-svc tcp/4000, database tcp/3306, {DNS}
        streaming-svc -> auth-svc tcp/8000, file-svc tcp/4000, database tcp/3306, {DNS}
        auth-svc -> database tcp/3306, {DNS}
        file-svc -> database tcp/3306, s3 tcp/8333, {DNS}
        packager -> database tcp/3306, s3 tcp/8333, {WEBHOOKS}, {DNS}
        """
    ),
    # RDS in its subnets; S3 (HTTPS on public addresses) from file-svc and the packager.
    "overlays/aws": parse_table(
        f"""
        ingress-nginx -> auth-svc tcp/8000, upload-webapp tcp/3000, streaming-svc tcp/3100
        prometheus -> auth-svc tcp/8000, upload-webapp tcp/3000, streaming-svc tcp/3100, file-svc tcp/4000, packager tcp/4001
        upload-webapp -> auth-svc tcp/8000, file-svc tcp/4000, rds tcp/3306, {DNS}
        streaming-svc -> auth-svc tcp/8000, file-svc tcp/4000, rds tcp/3306, {DNS}
        auth-svc -> rds tcp/3306, {DNS}
        file-svc -> rds tcp/3306, internet tcp/443, {DNS}
        packager -> rds tcp/3306, {WEBHOOKS}, {DNS}
        """
    ),
}


@pytest.mark.parametrize("target", TARGETS)
def test_every_workload_has_ingress_and_egress_policies(rendered, target):
    """A default deny for the namespace, and every workload selected by policies of both
    directions and named by one of its own (what may reach it)."""
    objects = rendered[target]
    policies = of_kind(objects, "NetworkPolicy")
    missing = []
    for w in workloads(objects):
        labels = w["spec"]["template"]["metadata"]["labels"]
        selecting = [p for p in policies if selects(p["spec"]["podSelector"], labels)]
        types = {t for p in selecting for t in p["spec"].get("policyTypes", [])}
        own = [p for p in selecting if p["spec"]["podSelector"] and p["spec"].get("ingress")]
        if types != {"Ingress", "Egress"} or not own:
            missing.append(f"{w['metadata']['name']} (types {sorted(types)}, own ingress rules: {len(own)})")
    assert not missing, f"{target}: {len(missing)} workloads without ingress and egress policies: {missing}"
    denies = [
        p
        for p in policies
        if p["spec"]["podSelector"] == {}
        and set(p["spec"].get("policyTypes", [])) == {"Ingress", "Egress"}
        and not p["spec"].get("ingress")
        and not p["spec"].get("egress")
    ]
    assert denies, f"{target}: no default-deny NetworkPolicy (podSelector {{}}, Ingress and Egress, no rules)"


@pytest.mark.parametrize("target", sorted(EXPECTED_REACHABLE))
def test_reachability_matches_the_expected_table(rendered, target):
    """Every allowed connection, computed from the rendered policies, is the table's:
    the callers the code has (docs/ARCHITECTURE.md), DNS, the database, the store, the
    ingress controller and Prometheus, and nothing else."""
    got = reachable(rendered[target])
    expected = EXPECTED_REACHABLE[target]
    extra = {s: sorted(d - expected.get(s, set())) for s, d in got.items() if d - expected.get(s, set())}
    lacking = {s: sorted(d - got.get(s, set())) for s, d in expected.items() if d - got.get(s, set())}
    assert not extra and not lacking, (
        f"{target}: allowed beyond the table: {extra}; the table's, not allowed: {lacking}"
    )


@pytest.mark.parametrize("target", TARGETS)
def test_no_pod_reaches_instance_metadata(rendered, target):
    """169.254.169.254 (and its IPv6 address) on any port any policy names, and the usual
    ones, from every pod of the namespace: never."""
    objects = rendered[target]
    policies = of_kind(objects, "NetworkPolicy")
    numbers = {80, 443, 53, 8080}
    for p in policies:
        for rule in p["spec"].get("egress", []) + p["spec"].get("ingress", []):
            numbers |= {q["port"] for q in rule.get("ports", []) if isinstance(q.get("port"), int)}
    endpoints = world(objects)
    metadata = [e for e in endpoints if e.name in METADATA]
    reached = [
        f"{src.name} -> {dst.ip} {protocol}/{number}"
        for src in endpoints
        if src.namespace == NAMESPACE
        for dst in metadata
        for protocol in ("TCP", "UDP")
        for number in sorted(numbers)
        if allowed(policies, src, dst, protocol, number)
    ]
    assert not reached, f"{target}: {len(reached)} connections to instance metadata allowed, e.g. {reached[:5]}"


def test_the_policy_evaluation_reads_policies_as_kubernetes_does():
    """The evaluator itself, on hand-made policies: isolation per direction, peers (pods
    of the namespace, other namespaces, both, ipBlock with except), ports by number and
    by name, and rules adding up."""
    a = Endpoint("a", NAMESPACE, {"app": "a"}, "10.244.0.2", [("TCP", 80, "http")])
    b = Endpoint("b", NAMESPACE, {"app": "b"}, "10.244.0.3", [("TCP", 80, "http"), ("UDP", 53, None)])
    c = Endpoint("c", "other", {"app": "a"}, "10.244.0.4", [("TCP", 80, None)])
    out = Endpoint("out", None, {}, "52.0.0.1", [("TCP", 443, None)])
    meta = Endpoint("meta", None, {}, "169.254.169.254", [("TCP", 80, None)])

    def policy(selector, types, **rules):
        return {"metadata": {"namespace": NAMESPACE}, "spec": {"podSelector": selector, "policyTypes": types, **rules}}

    assert allowed([], a, b, "TCP", 80) and allowed([], a, meta, "TCP", 80)
    deny = policy({}, ["Ingress", "Egress"])
    assert not allowed([deny], a, b, "TCP", 80) and not allowed([deny], c, a, "TCP", 80)
    assert allowed([deny], c, out, "TCP", 443)  # neither end is ours
    to_b = policy(
        {"matchLabels": {"app": "a"}},
        ["Egress"],
        egress=[{"to": [{"podSelector": {"matchLabels": {"app": "b"}}}], "ports": [{"port": "http"}]}],
    )
    from_a = policy(
        {"matchExpressions": [{"key": "app", "operator": "In", "values": ["b"]}]},
        ["Ingress"],
        ingress=[{"from": [{"podSelector": {"matchLabels": {"app": "a"}}}]}],
    )
    assert not allowed([deny, to_b], a, b, "TCP", 80)  # b's ingress is still denied
    assert allowed([deny, to_b, from_a], a, b, "TCP", 80)
    assert not allowed([deny, to_b, from_a], a, b, "UDP", 53)  # not the named port's protocol
    assert not allowed([deny, to_b, from_a], b, a, "TCP", 80)  # one way only
    other_ns = policy(
        {"matchLabels": {"app": "b"}},
        ["Ingress"],
        ingress=[
            {
                "from": [
                    {
                        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "other"}},
                        "podSelector": {"matchLabels": {"app": "x"}},
                    }
                ]
            }
        ],
    )
    assert not allowed([deny, other_ns], c, b, "TCP", 80)  # namespace and pod must both match
    assert not allowed([deny, from_a], c, b, "TCP", 80)  # a podSelector alone: this namespace only
    web = policy(
        {},
        ["Egress"],
        egress=[
            {
                "to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["169.254.0.0/16", "10.0.0.0/8"]}}],
                "ports": [{"protocol": "TCP", "port": 443}],
            }
        ],
    )
    assert allowed([deny, web], a, out, "TCP", 443) and not allowed([deny, web], a, meta, "TCP", 443)
    assert not allowed([deny, web], a, out, "TCP", 80)
    a_out = policy({"matchLabels": {"app": "a"}}, ["Egress"])  # b's ingress left open
    assert not allowed([a_out, web], a, b, "TCP", 443)  # b's address is in the except
    anywhere = policy({}, ["Egress"], egress=[{"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}])
    assert allowed([a_out, anywhere], a, b, "TCP", 443)  # an ipBlock can match a pod


@pytest.mark.parametrize("target", TARGETS)
def test_public_urls_cookie_and_ingress_agree(rendered, target):
    from urllib.parse import urlsplit

    objects = rendered[target]
    config = generated(objects, "ConfigMap", "reelhouse-config")["data"]
    urls = {k: config[k] for k in ("AUTH_PUBLIC_URL", "UPLOAD_PUBLIC_URL", "STREAMING_PUBLIC_URL")}
    (ingress,) = of_kind(objects, "Ingress")
    backends = {r["host"]: r["http"]["paths"][0]["backend"]["service"]["name"] for r in ingress["spec"]["rules"]}
    expected = {
        "AUTH_PUBLIC_URL": "auth-svc",
        "UPLOAD_PUBLIC_URL": "upload-webapp",
        "STREAMING_PUBLIC_URL": "streaming-svc",
    }
    assert {backends[urlsplit(u).hostname]: k for k, u in urls.items()} == {v: k for k, v in expected.items()}
    domain = config["COOKIE_DOMAIN"]
    assert domain and all(urlsplit(u).hostname.endswith("." + domain) for u in urls.values())
    assert config["APP_ENV"] == "production" and config["LOG_FORMAT"] == "json"
    assert config["TRUSTED_PROXIES"] == "1"
    annotations = ingress["metadata"]["annotations"]
    assert (
        _quantity(annotations["nginx.ingress.kubernetes.io/proxy-body-size"].replace("m", "Mi"))
        > int(config["UPLOAD_CHUNK_MB"]) * 2**20
    )
    assert annotations["nginx.ingress.kubernetes.io/proxy-request-buffering"] == "off"
    if target == "overlays/local":  # a trial on one machine: plain HTTP
        assert config["COOKIE_SECURE"] == "false" and "tls" not in ingress["spec"]
        assert all(u.startswith("http://") for u in urls.values())
    else:
        assert config["COOKIE_SECURE"] == "true"
        assert all(u.startswith("https://") for u in urls.values())
        (tls,) = ingress["spec"]["tls"]
        assert set(tls["hosts"]) == set(backends) and tls["secretName"]


@pytest.mark.parametrize("target", TARGETS)
def test_prometheus_scrapes_every_service(rendered, target):
    deployments = of_kind(rendered[target], "Deployment")
    assert len(deployments) == len(APPS)
    for d in deployments:
        annotations = d["spec"]["template"]["metadata"]["annotations"]
        (c,) = d["spec"]["template"]["spec"]["containers"]
        assert annotations["prometheus.io/scrape"] == "true"
        assert annotations["prometheus.io/path"] == "/metrics"
        assert int(annotations["prometheus.io/port"]) == c["ports"][0]["containerPort"]
        assert "METRICS_TOKEN" in env_of(c, rendered[target])


def test_aws_overlay_uses_a_role_efs_and_an_external_database(rendered):
    objects = rendered["overlays/aws"]
    text = yaml.safe_dump_all(objects)
    assert "AWS_ACCESS_KEY_ID" not in text and "AWS_SECRET_ACCESS_KEY" not in text  # no static keys
    assert not of_kind(objects, "StatefulSet")
    sa = named(objects, "ServiceAccount", "reelhouse-storage")
    assert sa["metadata"]["annotations"]["eks.amazonaws.com/role-arn"].startswith("arn:aws:iam::")
    users = {
        d["metadata"]["name"]
        for d in of_kind(objects, "Deployment")
        if d["spec"]["template"]["spec"]["serviceAccountName"] == "reelhouse-storage"
    }
    assert users == {"file-svc", "packager"}
    claim = named(objects, "PersistentVolumeClaim", "myapp-temp")["spec"]
    (storage_class,) = yaml.safe_load_all((K8S / "overlays" / "aws" / "storageclass.yaml").read_text())
    assert claim["accessModes"] == ["ReadWriteMany"]
    assert claim["storageClassName"] == storage_class["metadata"]["name"]
    assert storage_class["provisioner"] == "efs.csi.aws.com"
    assert storage_class["parameters"]["uid"] == storage_class["parameters"]["gid"] == str(_image_uid())
    config = generated(objects, "ConfigMap", "reelhouse-config")["data"]
    assert config["DB_HOST"] not in {s["metadata"]["name"] for s in of_kind(objects, "Service")}
    assert "S3_ENDPOINT_URL" not in config  # AWS S3 itself


def test_local_overlay_runs_mariadb_and_seaweedfs_in_the_cluster(rendered):
    objects = rendered["overlays/local"]
    config = generated(objects, "ConfigMap", "reelhouse-config")["data"]
    assert config["DB_HOST"] == named(objects, "Service", "database")["metadata"]["name"]
    s3 = named(objects, "Service", "s3")
    assert config["S3_ENDPOINT_URL"] == f"http://s3:{s3['spec']['ports'][0]['port']}"
    assert config["S3_ADDRESSING_STYLE"] == "path"
    assert named(objects, "PersistentVolumeClaim", "myapp-temp")["spec"]["accessModes"] == ["ReadWriteOnce"]
    for name in ("file-svc", "packager"):
        (c,) = named(objects, "Deployment", name)["spec"]["template"]["spec"]["containers"]
        assert {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} <= set(env_of(c, objects))
    local_secret = generated(objects, "Secret", "reelhouse-local-secrets")["data"]
    assert set(local_secret) == {"MYSQL_ROOT_PASSWORD", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}


def test_no_secret_values_are_committed():
    tracked = subprocess.run(
        ["git", "ls-files", "deploy/kubernetes"], capture_output=True, text=True, cwd=ROOT, check=True
    ).stdout.split()
    assert any(p.endswith("secrets.env.example") for p in tracked)
    assert not any(p.endswith("/secrets.env") for p in tracked)
    for example in K8S.rglob("secrets.env.example"):
        real = (example.parent / "secrets.env").relative_to(ROOT)
        ignored = subprocess.run(["git", "check-ignore", "-q", str(real)], cwd=ROOT)
        assert ignored.returncode == 0, f"{real} is not in .gitignore"
        for line in example.read_text().splitlines():
            if line and not line.startswith("#"):
                key, value = line.split("=", 1)
                assert value.startswith("change-me") or key == "AWS_ACCESS_KEY_ID", line


def test_setup_installs_kubectl_when_missing():
    text = (ROOT / "scripts" / "setup-test.sh").read_text()
    assert "command -v kubectl >/dev/null || need+=(kubernetes-client)" in text
    assert re.search(r"^kubernetes-validate==1\.\*", (ROOT / "requirements-dev.txt").read_text(), re.M)
