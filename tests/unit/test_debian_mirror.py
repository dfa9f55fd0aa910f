"""tests/compose/debian-mirror.sh: the stand-ins' Debian mirror is this machine's own,
read from its apt sources (deb822 or one-line), or DEBIAN_MIRROR; nothing names a host."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.fast

COMPOSE = Path(__file__).resolve().parents[1] / "compose"
SCRIPT = COMPOSE / "debian-mirror.sh"
TEMPLATE = COMPOSE / "standins" / "debian.sources.in"

DEB822 = """\
Types: deb
# http://snapshot.example/archive/debian/20250520T000000Z
URIs: http://mirror.example/debian/
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://mirror.example/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
"""


def _run(apt: Path, script: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DEBIAN_")}
    return subprocess.run(
        ["bash", "-c", f'set -euo pipefail; . "{SCRIPT}"; {script}'],
        env={**clean, "APT_SOURCES_DIR": str(apt), **env},
        capture_output=True,
        text=True,
        timeout=30,
    )


def _mirrors(apt: Path, **env: str) -> tuple[str, str]:
    out = _run(apt, 'debian_mirrors bookworm; echo "$MIRROR $SECURITY_MIRROR"', **env)
    assert out.returncode == 0, out.stderr
    main, security = out.stdout.split()
    return main, security


@pytest.fixture
def apt(tmp_path) -> Path:
    (tmp_path / "sources.list.d").mkdir()
    return tmp_path


def test_deb822_sources(apt):
    (apt / "sources.list.d" / "other.sources").write_text(
        "Types: deb\nURIs: https://vendor.example/apt\nSuites: bookworm\nComponents: stable\n"
    )
    (apt / "sources.list.d" / "debian.sources").write_text(DEB822)
    (apt / "sources.list.d" / "off.sources").write_text(
        "Enabled: no\nTypes: deb\nURIs: http://off.example/debian\nSuites: bookworm\nComponents: main\n"
    )
    assert _mirrors(apt) == ("http://mirror.example/debian", "http://mirror.example/debian-security")


def test_one_line_sources(apt):
    (apt / "sources.list").write_text(
        "# deb http://commented.example/debian bookworm main\n"
        "deb-src http://src.example/debian bookworm main\n"
        "deb [arch=amd64 signed-by=/usr/share/keyrings/k.gpg] http://ftp.example/debian bookworm main contrib\n"
        "deb http://ftp.example/debian-security bookworm-security main\n"
    )
    assert _mirrors(apt) == ("http://ftp.example/debian", "http://ftp.example/debian-security")


def test_environment_overrides(apt):
    (apt / "sources.list.d" / "debian.sources").write_text(DEB822)
    assert _mirrors(apt, DEBIAN_MIRROR="http://mine.example/debian") == (
        "http://mine.example/debian",
        "http://mine.example/debian-security",
    )
    assert _mirrors(apt, DEBIAN_SECURITY_MIRROR="http://sec.example/ds") == (
        "http://mirror.example/debian",
        "http://sec.example/ds",
    )


def test_no_mirror_is_an_error_that_says_what_to_set(apt):
    out = _run(apt, "debian_mirrors bookworm")
    assert out.returncode != 0 and "DEBIAN_MIRROR" in out.stderr


def test_the_template_is_filled(apt, tmp_path):
    (apt / "sources.list.d" / "debian.sources").write_text(DEB822)
    out = _run(apt, f'debian_mirrors bookworm; render_sources "{TEMPLATE}" "{tmp_path}/out"')
    assert out.returncode == 0, out.stderr
    text = (tmp_path / "out").read_text()
    assert "@" not in text
    assert "URIs: http://mirror.example/debian\n" in text and "URIs: http://mirror.example/debian-security\n" in text


def test_nothing_in_the_build_names_a_package_host():
    for path in [COMPOSE / "setup.sh", SCRIPT, TEMPLATE, *COMPOSE.glob("standins/*/*")]:
        assert "debian.org" not in path.read_text(), path
