"""Debian's Chromium as the browser tests and bench.ttff drive it through Playwright
(never `playwright install`): where it is and how it is started."""

from __future__ import annotations

import os

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--autoplay-policy=no-user-gesture-required",
    "--mute-audio",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def launch_chromium(playwright):
    """Headless Chromium (CHROMIUM_PATH, else Debian's /usr/bin/chromium) from a started
    `sync_playwright()`."""
    return playwright.chromium.launch(
        executable_path=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"), args=CHROMIUM_ARGS, headless=True
    )
