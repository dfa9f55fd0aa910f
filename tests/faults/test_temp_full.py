"""The temp folder full (a 4 MiB tmpfs as the stack's TEMP_DIR, mounted as root): an upload
bigger than the room left fails with a clear 507, nothing partial remains, and the next
upload that fits works."""

from __future__ import annotations

import os
import subprocess

import faultkit
import pytest
import requests

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tiny_temp_stack(tmp_path_factory, request):
    assert os.geteuid() == 0, "mounting a tmpfs needs root (make test runs as root in CI)"
    config = request.config

    def mount(st):
        st.temp_dir.mkdir(parents=True, exist_ok=True)
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(st.temp_dir)], check=True)
        config.add_cleanup(lambda: subprocess.run(["umount", "-l", str(st.temp_dir)], check=False))

    return faultkit.isolated_stack(tmp_path_factory, config, "tinytemp", before_start=mount)


def test_upload_into_a_full_temp_folder(tiny_temp_stack, tmp_path_factory):
    st = tiny_temp_stack
    assert (
        subprocess.run(
            ["findmnt", "-n", "-o", "FSTYPE", str(st.temp_dir)], capture_output=True, text=True
        ).stdout.strip()
        == "tmpfs"
    )
    token = st.login()
    big = faultkit.clip(tmp_path_factory, "big")
    assert big.stat().st_size > 3 * 4 * 1024 * 1024
    before = faultkit.assert_clean(st, st.counts())

    resp = st.upload(token, big, name="does not fit", timeout=120)
    assert resp.status_code == 507, (resp.status_code, resp.text)
    assert resp.json() == {
        "error": "temp_storage_full",
        "message": "The server's temporary storage is full; try again later.",
    }
    assert resp.headers.get("Retry-After")
    assert faultkit.assert_clean(st, before) == before
    statvfs = os.statvfs(st.temp_dir)
    assert statvfs.f_bfree == statvfs.f_blocks or statvfs.f_bfree * statvfs.f_frsize > 3.5 * 1024 * 1024

    # file-svc itself answers the same to a raw body.
    with open(big, "rb") as fh:
        direct = requests.post(
            st.url("file") + "/videos",
            data=fh,
            timeout=60,
            headers={"Authorization": f"Bearer {st.env['INTERNAL_TOKEN']}"},
        )
    assert direct.status_code == 507 and direct.json()["error"] == "temp_storage_full"
    assert faultkit.assert_clean(st, before) == before

    # Room again for a small one: it goes all the way to ready and plays.
    faultkit.upload_and_play(st, token, faultkit.clip(tmp_path_factory, "small"), "fits")
    faultkit.wait_until(lambda: st.temp_files() == [], 30, "temp folder empty after the job")
