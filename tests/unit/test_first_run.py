"""`make run`'s first run (scripts/run.py, issue 24): a fresh .env (copied from
.env.example, AUTH_PASSWORD=change-me) or none gets a generated password, written to .env
and printed once in the banner; a password already set is kept and never printed; the
placeholder in the environment (which wins over .env) is said aloud, never run silently."""

from __future__ import annotations

import importlib.util
import shutil

import pytest
from dotenv import dotenv_values

from harness import ROOT

pytestmark = pytest.mark.fast


def _run_module():
    spec = importlib.util.spec_from_file_location("reelhouse_run", ROOT / "scripts" / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


run = _run_module()


def test_a_fresh_env_file_gets_a_generated_password_printed_once(tmp_path):
    env_file = tmp_path / ".env"
    shutil.copy(ROOT / ".env.example", env_file)
    before = dotenv_values(env_file)
    assert before["AUTH_PASSWORD"] == "change-me"
    password, warning = run.ensure_password(env_file, {})
    assert warning is None and password and password != "change-me" and len(password) >= 16
    after = dotenv_values(env_file)
    assert after["AUTH_PASSWORD"] == password and after["AUTH_USERNAME"] == "admin"
    assert {k: v for k, v in after.items() if k != "AUTH_PASSWORD"} == {
        k: v for k, v in before.items() if k != "AUTH_PASSWORD"
    }  # every other line kept
    text = run.banner({"AUTH_USERNAME": "admin", "UPLOAD_PUBLIC_URL": "http://h:3000"}, password)
    assert text.count(password) == 1 and "'admin'" in text and "http://h:3000/" in text
    # The next run: the password is set, kept, and not printed again.
    assert run.ensure_password(env_file, {}) == (None, None)
    assert dotenv_values(env_file)["AUTH_PASSWORD"] == password
    assert password not in run.banner({"AUTH_USERNAME": "admin"}, None)


def test_no_env_file_at_all_gets_one_with_the_login(tmp_path):
    env_file = tmp_path / ".env"
    password, _ = run.ensure_password(env_file, {})
    assert dotenv_values(env_file) == {"AUTH_USERNAME": "admin", "AUTH_PASSWORD": password}
    assert env_file.stat().st_mode & 0o077 == 0  # a secret: the owner's alone


def test_a_set_password_is_kept(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("AUTH_USERNAME=carol\nAUTH_PASSWORD=a real one\n")
    assert run.ensure_password(env_file, {}) == (None, None)
    assert env_file.read_text() == "AUTH_USERNAME=carol\nAUTH_PASSWORD=a real one\n"


def test_the_placeholder_in_the_environment_is_said_aloud(tmp_path):
    env_file = tmp_path / ".env"
    password, warning = run.ensure_password(env_file, {"AUTH_PASSWORD": "change-me"})
    assert password is None and "change-me" in warning and not env_file.exists()
    assert run.ensure_password(env_file, {"AUTH_PASSWORD": "s3cret-enough"}) == (None, None)
