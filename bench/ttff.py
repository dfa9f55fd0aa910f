"""Time to first frame: headless Chromium (Debian's, through Playwright) opens the player
page of a ready video and plays it; measured from the start of the navigation to the
first moment `currentTime > 0`, in a fresh browser context each time (no HTTP cache, a
fresh hls.js), median of N.

    .venv/bin/python -m bench.ttff [--runs 10]

Two clocks: `page` is the page's own `performance.now()` when a 5 ms poll first sees
`currentTime > 0` (0 is the navigation start), `wall` is the bench's clock from just
before `page.goto` to the moment Playwright returns the answer (adds the driver's
round trips). The page is asked to play as soon as its DOM is ready, muted (the player
does not autoplay: a person presses play; this measures the system, not the person).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from .common import (
    bench_stack,
    command_line,
    machine_block,
    machine_info,
    make_clip,
    median,
    tool_version,
    upload_ready_video,
    utcnow,
    workdir,
    write_section,
)

# Runs before the page's own scripts: play as soon as the DOM is there, and note the
# page's clock when the playhead first moves.
INIT_SCRIPT = """
(() => {
  window.__ttff = null;
  document.addEventListener("DOMContentLoaded", () => {
    const v = document.getElementById("video");
    if (!v) return;
    v.muted = true;
    const poll = setInterval(() => {
      if (v.currentTime > 0) { window.__ttff = performance.now(); clearInterval(poll); }
    }, 5);
    v.play().catch((e) => { window.__playError = String(e); });
  });
})();
"""

# Where the time goes: when (page clock) each step had its answer.
MILESTONES_JS = """
() => {
  const nav = performance.getEntriesByType("navigation")[0];
  const res = performance.getEntriesByType("resource");
  const end = (re) => { const e = res.find((r) => re.test(r.name)); return e ? e.responseEnd : null; };
  return {
    html_ms: nav ? nav.responseEnd : null,
    hlsjs_ms: end(/hls(\\.min)?\\.js/),
    master_ms: end(/master\\.m3u8/),
    media_ms: end(/index\\.m3u8/),
    segment_ms: end(/\\.ts(\\?|$)/),
  };
}
"""
MILESTONES = (
    ("html_ms", "page HTML received"),
    ("hlsjs_ms", "hls.js received"),
    ("master_ms", "master playlist received"),
    ("media_ms", "media playlist received"),
    ("segment_ms", "first segment received"),
    ("page_ms", "**currentTime > 0**"),
)


def chromium_args() -> list[str]:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from conftest import CHROMIUM_ARGS

    return list(CHROMIUM_ARGS)


def measure(browser, url: str, host: str, token: str, timeout_ms: int) -> dict:
    """One fresh context: navigate to the player page and wait for currentTime > 0."""
    context = browser.new_context()
    context.add_cookies([{"name": "auth_token", "value": token, "domain": host, "path": "/"}])
    context.add_init_script(INIT_SCRIPT)
    page = context.new_page()
    try:
        t0 = time.perf_counter()
        page.goto(url, wait_until="commit")
        page.wait_for_function("() => window.__ttff !== null", timeout=timeout_ms, polling=5)
        wall = time.perf_counter() - t0
        page_ms = page.evaluate("() => window.__ttff")
        fatal = page.evaluate("() => window.__hlsFatal || window.__playError || null")
        milestones = page.evaluate(MILESTONES_JS)
        return {"page_ms": page_ms, "wall_ms": wall * 1000, "error": fatal, **milestones}
    finally:
        context.close()


def run(args: argparse.Namespace) -> dict:
    from playwright.sync_api import sync_playwright

    env = dict(kv.split("=", 1) for kv in args.env)
    with workdir(args.keep) as base:
        clip = make_clip(
            base / "clip.mp4",
            seconds=args.clip_seconds,
            size=args.size,
            extra=["-b:v", args.bitrate, "-maxrate", args.bitrate, "-bufsize", args.bitrate],
        )
        with bench_stack(base / "stack", env) as st:
            token = st.login()
            video = upload_ready_video(st, token, clip, "ttff bench")
            url = f"{st.url('streaming')}/videos/{video['id']}"
            runs = []
            with sync_playwright() as pw:
                browser = pw.chromium.launch(
                    executable_path=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
                    args=chromium_args(),
                    headless=True,
                )
                try:
                    measure(browser, url, "127.0.0.1", token, args.timeout * 1000)  # warm-up, not counted
                    for i in range(args.runs):
                        r = measure(browser, url, "127.0.0.1", token, args.timeout * 1000)
                        runs.append(r)
                        print(
                            f"ttff run {i + 1}: page {r['page_ms']:.0f} ms, wall {r['wall_ms']:.0f} ms"
                            + (f" ({r['error']})" if r["error"] else ""),
                            flush=True,
                        )
                    version = browser.version
                finally:
                    browser.close()
    return {"runs": runs, "chromium": version, "env": env}


def render(results: dict, args: argparse.Namespace, command: str, started, info: dict) -> str:
    runs = results["runs"]
    page = [r["page_ms"] for r in runs]
    wall = [r["wall_ms"] for r in runs]
    errors = [r["error"] for r in runs if r["error"]]
    env = ", ".join(f"{k}={v}" for k, v in results["env"].items()) or "production defaults (gunicorn_conf)"
    lines = [
        "## Time to first frame",
        "",
        machine_block(
            info,
            command,
            started,
            {
                "Setup": (
                    f"local backend; stack env: {env}; one {args.size} H.264/AAC clip of {args.clip_seconds:g} s "
                    f"at {args.bitrate} (copied rung only, 4 s segments); player page on streaming-svc with "
                    "hls.js; cookie set before the navigation"
                ),
                "Browser": (
                    f"Chromium {results['chromium']} headless via Playwright "
                    f"({tool_version(['chromium', '--version'])}), a fresh context per run, one warm-up run "
                    "not counted"
                ),
            },
        ),
        "",
        "| clock | median ms | min ms | max ms | runs |",
        "|---|---:|---:|---:|---:|",
        f"| page (navigation start → currentTime > 0) | **{median(page):.0f}** | {min(page):.0f} | {max(page):.0f} "
        f"| {len(page)} |",
        f"| wall (before goto → seen by the bench) | {median(wall):.0f} | {min(wall):.0f} | {max(wall):.0f} "
        f"| {len(wall)} |",
        "",
        "Where the time goes (page clock, medians of the same runs; hls.js fetches with XHR/fetch, which the "
        "Resource Timing API records):",
        "",
        "| step | median ms |",
        "|---|---:|",
        *[f"| {label} | {median([r[k] for r in runs if r.get(k) is not None]):.0f} |" for k, label in MILESTONES],
        "",
        f"Errors: {len(errors)}" + (f" ({'; '.join(errors)})" if errors else "") + ".",
    ]
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m bench.ttff", description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--clip-seconds", type=float, default=20)
    ap.add_argument("--size", default="1280x720")
    ap.add_argument("--bitrate", default="3M")
    ap.add_argument("--timeout", type=int, default=30, help="seconds to wait for playback, per run")
    ap.add_argument("--env", action="append", default=[], metavar="KEY=VALUE")
    ap.add_argument("--section", default="ttff")
    ap.add_argument("--output", type=Path, default=None)
    ap.add_argument("--keep", action="store_true")
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    command = command_line("bench.ttff", argv)
    started, info = utcnow(), machine_info()
    results = run(args)
    text = render(results, args, command, started, info)
    write_section(args.section, text, **({"path": args.output} if args.output else {}))
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
