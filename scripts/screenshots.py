"""The README's screenshots (docs/screenshots/): the upload page with a queue, the library
and the video page with its owner's tools, at 1280x800 in Debian's Chromium, from a stack
with the embedded defaults (SQLite, a local folder) and clips made by ffmpeg's lavfi
sources. Run: `.venv/bin/python scripts/screenshots.py [OUT_DIR]` (after `make test` has
installed Chromium). Nothing here is part of the suite."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from harness import Stack  # noqa: E402
from harness.browser import launch_chromium  # noqa: E402

# (name shown, lavfi source): posters that look like something.
CLIPS = [
    ("Harbour at dawn", "mandelbrot=size=640x360:rate=25"),
    ("Colour bars for the projector", "smptehdbars=size=640x360:rate=25"),
    ("Test pattern, take 2", "testsrc2=size=640x360:rate=25"),
    ("Cellular automaton, long exposure", "cellauto=size=640x360:rate=25:rule=110"),
    ("Game of life in the garden", "life=size=640x360:rate=25:mold=10:ratio=0.5"),
]


def clip(folder: Path, index: int, name: str, source: str, seconds: int = 6) -> Path:
    path = folder / f"{name}.mp4"  # the upload page names a video after its file
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", source,
         "-f", "lavfi", "-i", f"sine=frequency={220 * (index + 1)}:duration={seconds}",
         "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", "50",
         "-c:a", "aac", "-t", str(seconds), str(path)],
        check=True,
    )  # fmt: skip
    return path


def login(page, st: Stack) -> None:
    page.goto(st.url("upload") + "/")
    page.wait_for_url(st.url("auth") + "/login*")
    page.fill("#username", "alice")
    from harness import TEST_PASSWORD

    page.fill("#password", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(st.url("upload") + "/")


def main(out: Path) -> None:
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="reelhouse-shots-") as tmp:
        work = Path(tmp)
        clips = [clip(work, i, name, source) for i, (name, source) in enumerate(CLIPS)]
        st = Stack(work / "stack", {"STORAGE_BACKEND": "local", "HLS_LADDER": "180,360"})
        st.start()
        try:
            token = st.login()
            with sync_playwright() as pw:
                browser = launch_chromium(pw)
                page = browser.new_page(viewport={"width": 1280, "height": 800})
                login(page, st)
                shoot_upload(page, clips, out / "upload.png")
                listed = st.api.get(token, st.url("streaming") + "/api/videos?sort=oldest").json()["videos"]
                videos = [st.api.wait_packaged(token, v["id"], timeout=300) for v in listed]
                page.goto(st.url("streaming") + "/")
                page.locator(".tile .status.ready").first.wait_for()
                page.wait_for_function("() => Array.from(document.images).every((i) => i.complete)")
                page.screenshot(path=str(out / "library.png"))
                requests.patch(
                    st.url("streaming") + f"/api/videos/{videos[0]['id']}",
                    json={"description": "Shot on the harbour wall before the boats went out.\nSound: the gulls."},
                    cookies={"auth_token": token},
                    timeout=10,
                ).raise_for_status()
                page.goto(videos[0]["watch_url"])
                page.wait_for_function(
                    "() => { const v = document.getElementById('video'); return v && v.readyState >= 2; }"
                )
                page.evaluate("() => { const v = document.getElementById('video'); v.currentTime = 2; }")
                page.wait_for_timeout(500)
                page.screenshot(path=str(out / "video.png"), full_page=True)
                browser.close()
        finally:
            st.stop()
    for name in ("upload.png", "library.png", "video.png"):
        print(out / name, (out / name).stat().st_size, "bytes")


def shoot_upload(page, clips: list[Path], path: Path) -> None:
    """The upload page while its queue works: the upload slowed to 256 KB/s so that rows
    are seen running, waiting and finished."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": 256 * 1024},
    )
    page.set_input_files("#file", [str(p) for p in clips])
    page.locator("#queue li a").first.wait_for(timeout=120000)  # one finished, linked to its video
    page.screenshot(path=str(path), full_page=True)
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots")
