"""Time to first frame: headless Chromium (Debian's, through Playwright) opens the player
page of a ready video and plays it; measured from the start of the navigation to the
first moment `currentTime > 0`, in a fresh browser context each time (no HTTP cache, a
fresh hls.js), median of N. The same runs open a bare page that plays the same files
with the same hls.js from Debian's nginx (no login, no API, no proxy: the floor), the
pages taking turns (the order rotating) so that a shared machine's noise hits all.

The player page is opened in each delivery mode of --modes: `local` (the local store's
stack: streaming-svc sends the folder's files), `relay` (a second streaming-svc on that
stack, DELIVERY=relay) and `presigned` (a second stack on SeaweedFS, which checks
signatures, with DELIVERY=presigned and the same clip: segments from the store).

    .venv/bin/python -m bench.ttff [--runs 10] [--modes relay,local,presigned]

Two clocks: `page` is the page's own `performance.now()` when a 5 ms poll first sees
`currentTime > 0` (0 is the navigation start), `wall` is the bench's clock from just
before `page.goto` to the moment Playwright returns the answer (adds the driver's
round trips). The page is asked to play as soon as its DOM is ready, muted (the player
does not autoplay: a person presses play; this measures the system, not the person).
Where the time goes comes from the Resource Timing entries (hls.js fetches with XHR or
fetch, which they record), the moment hls.js's script has run (a setter on
`window.Hls`) and the media element's events.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import sys
import time
from pathlib import Path

from harness import ROOT
from harness.browser import launch_chromium

from .common import bench_stack, capped_clip, upload_ready_video, workdir
from .delivery import Nginx, presigned_stack, streaming_in_mode
from .report import describe_env, env_argument, heading, median, output_arguments, run_and_write, tool_version

HLSJS = ROOT / "streaming-webapp" / "streaming_webapp" / "static" / "vendor" / "hls.min.js"

# Runs before the page's own scripts: play as soon as the DOM is there, note the page's
# clock when the playhead first moves, when hls.js has run and the media events.
INIT_SCRIPT = """
(() => {
  window.__ttff = null;
  const marks = window.__marks = {};
  const mark = (k) => { if (!(k in marks)) marks[k] = performance.now(); };
  // hls.js's own steps: the first time each of these events is triggered.
  const events = { hlsManifestLoading: "hls_start_ms", hlsMediaAttached: "mse_open_ms",
                   hlsFragLoading: "frag_loading_ms", hlsBufferAppended: "appended_ms" };
  let hls;
  Object.defineProperty(window, "Hls", {
    configurable: true, get() { return hls; },
    set(v) {
      hls = v;
      mark("hlsjs_run_ms");
      const trigger = v && v.prototype && v.prototype.trigger;
      if (trigger) v.prototype.trigger = function (e, d) { if (events[e]) mark(events[e]); return trigger.call(this, e, d); };
    },
  });
  for (const [ev, k] of [["loadedmetadata", "metadata_ms"], ["loadeddata", "frame_ms"], ["playing", "playing_ms"]]) {
    document.addEventListener(ev, () => mark(k), true);  // media events do not bubble: captured
  }
  const poll = setInterval(() => {
    const v = document.getElementById("video");
    if (v && v.currentTime > 0) { window.__ttff = performance.now(); clearInterval(poll); }
  }, 5);
  document.addEventListener("DOMContentLoaded", () => {
    const v = document.getElementById("video");
    if (!v) return;
    v.muted = true;
    v.play().catch((e) => { window.__playError = String(e); });
  });
})();
"""

# When (page clock) each request started and had its whole answer.
MILESTONES_JS = """
() => {
  const nav = performance.getEntriesByType("navigation")[0];
  const res = performance.getEntriesByType("resource").slice().sort((a, b) => a.startTime - b.startTime);
  const out = { html_ms: nav ? nav.responseEnd : null, dcl_ms: nav ? nav.domContentLoadedEventStart : null };
  for (const [k, re] of [["hlsjs", /hls(\\.min)?\\.js/], ["master", /master\\.m3u8/], ["media", /index\\.m3u8/],
                         ["segment", /\\.ts(\\?|$)/]]) {
    const e = res.find((r) => re.test(r.name));
    out[k + "_start_ms"] = e ? e.startTime : null;
    out[k + "_ms"] = e ? e.responseEnd : null;
  }
  return Object.assign(out, window.__marks || {});
}
"""
STEPS = (
    ("html_ms", "page HTML received"),
    ("hlsjs_start_ms", "hls.js asked for"),
    ("hlsjs_ms", "hls.js received"),
    ("hlsjs_run_ms", "hls.js has run"),
    ("hls_start_ms", "hls.js started (loadSource)"),
    ("dcl_ms", "DOMContentLoaded"),
    ("master_start_ms", "master playlist asked for"),
    ("master_ms", "master playlist received"),
    ("media_start_ms", "media playlist asked for"),
    ("media_ms", "media playlist received"),
    ("mse_open_ms", "MediaSource open (hls.js MEDIA_ATTACHED)"),
    ("segment_start_ms", "first segment asked for (on the network)"),
    ("segment_ms", "first segment received"),
    ("frag_loading_ms", "hls.js asks for the first segment"),
    ("appended_ms", "first segment transmuxed and appended"),
    ("metadata_ms", "loadedmetadata"),
    ("frame_ms", "loadeddata (first frame decoded)"),
    ("playing_ms", "playing"),
    ("page_ms", "**currentTime > 0**"),
)

BARE_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>bare hls.js</title></head>
<body>
<video id="video" controls playsinline></video>
<script src="/hls.min.js"></script>
<script>
  const hls = new Hls();
  hls.loadSource("/videos/{id}/hls/master.m3u8");
  hls.attachMedia(document.getElementById("video"));
</script>
</body></html>
"""

NGINX_CONF = """\
{user}worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 256; }}
http {{
    sendfile on;
    tcp_nopush on;
    access_log off;
    client_body_temp_path {prefix}/tmp;
    proxy_temp_path {prefix}/tmp;
    fastcgi_temp_path {prefix}/tmp;
    uwsgi_temp_path {prefix}/tmp;
    scgi_temp_path {prefix}/tmp;
    types {{
        text/html html; application/javascript js; video/mp2t ts; application/vnd.apple.mpegurl m3u8;
        image/jpeg jpg; text/vtt vtt;
    }}
    server {{
        listen 127.0.0.1:{port};
        root {root};
    }}
}}
"""


def measure(browser, url: str, token: str | None, timeout_ms: int) -> dict:
    """One fresh context: navigate to the page and wait for currentTime > 0."""
    context = browser.new_context()
    if token:
        context.add_cookies([{"name": "auth_token", "value": token, "domain": "127.0.0.1", "path": "/"}])
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


def bare_root(base: Path, storage: Path, video_id: str) -> Path:
    """nginx's root: the bare page, the same hls.min.js, and the stack's stored videos."""
    root = base / "bare"
    root.mkdir(parents=True)
    (root / "index.html").write_text(BARE_HTML.replace("{id}", video_id))
    shutil.copyfile(HLSJS, root / "hls.min.js")
    (root / "videos").symlink_to(storage / "videos")
    return root


def _player_pages(
    st, video_id: str, token: str, modes: list[str], base: Path, clip: Path, stack: contextlib.ExitStack
) -> dict[str, tuple[str, str]]:
    """The player page's address and a viewer's token in each mode: the stack's own
    streaming-svc for its mode, a second one beside it for relay or local, a stack on
    SeaweedFS for presigned."""
    own = st.env.get("DELIVERY") or "local"
    pages = {}
    for mode in modes:
        if mode == "presigned":
            pst, _, ptoken, pvid = stack.enter_context(presigned_stack(base / "presigned", clip))
            pages[mode] = (f"{pst.url('streaming')}/videos/{pvid}", ptoken)
        elif mode == own:
            pages[mode] = (f"{st.url('streaming')}/videos/{video_id}", token)
        else:
            svc = stack.enter_context(streaming_in_mode(st, mode, base))
            pages[mode] = (f"{svc.url}/videos/{video_id}", token)
    return pages


def _rotation(names: list[str], i: int) -> list[str]:
    k = i % len(names)
    return names[k:] + names[:k]


def run(args: argparse.Namespace) -> dict:
    from playwright.sync_api import sync_playwright

    env = dict(args.env)
    modes = [m for m in args.modes.split(",") if m]
    unknown = set(modes) - {"relay", "local", "presigned"}
    if unknown:
        raise SystemExit(f"unknown mode(s) {', '.join(sorted(unknown))}; known: relay, local, presigned")
    with workdir(args.keep) as base, contextlib.ExitStack() as stack:
        clip = capped_clip(base / "clip.mp4", args.clip_seconds, args.size, args.bitrate)
        st = stack.enter_context(bench_stack(base / "stack", env))
        token = st.login()
        video = upload_ready_video(st, token, clip, "ttff bench")
        targets = _player_pages(st, video["id"], token, modes, base, clip, stack)
        ngx = stack.enter_context(Nginx(base / "nginx", bare_root(base, st.storage_dir, video["id"]), NGINX_CONF))
        targets["bare"] = (ngx.url + "/index.html", None)
        names = list(targets)
        runs: dict[str, list[dict]] = {n: [] for n in names}
        with sync_playwright() as pw:
            browser = launch_chromium(pw)
            try:
                for name in names:  # warm-up, not counted
                    measure(browser, *targets[name], args.timeout * 1000)
                for i in range(args.runs):
                    for name in _rotation(names, i):
                        r = measure(browser, *targets[name], args.timeout * 1000)
                        runs[name].append(r)
                        print(
                            f"ttff run {i + 1} {name}: page {r['page_ms']:.0f} ms, wall {r['wall_ms']:.0f} ms"
                            + (f" ({r['error']})" if r["error"] else ""),
                            flush=True,
                        )
                version = browser.version
            finally:
                browser.close()
    return {"runs": runs, "modes": modes, "chromium": version, "env": env}


def _med(runs: list[dict], key: str) -> str:
    values = [r[key] for r in runs if r.get(key) is not None]
    return f"{median(values):.0f}" if values else "–"


def _ratio(player: list[dict], bare: list[dict]) -> str:
    """'**0.84x** (per-run 0.81x)': the ratio of the medians and the median of the runs' ratios."""
    p_med, b_med = median([r["page_ms"] for r in player]), median([r["page_ms"] for r in bare])
    paired = median([p["page_ms"] / b["page_ms"] for p, b in zip(player, bare, strict=True) if b["page_ms"]])
    return f"**{p_med / b_med:.2f}x** (median of the per-run ratios {paired:.2f}x)"


def render(results: dict, args: argparse.Namespace, command: str, started, info: dict) -> str:
    modes, runs, bare = results["modes"], results["runs"], results["runs"]["bare"]
    errors = [f"{n}: {r['error']}" for n, rs in runs.items() for r in rs if r["error"]]
    env = describe_env(results["env"])

    def row(label: str, runs: list[dict], key: str) -> str:
        xs = [r[key] for r in runs]
        return f"| {label} | **{median(xs):.0f}** | {min(xs):.0f} | {max(xs):.0f} | {len(xs)} |"

    lines = [
        *heading(
            "Time to first frame",
            info,
            command,
            started,
            {
                "Setup": (
                    f"local backend; stack env: {env}; one {args.size} H.264/AAC clip of {args.clip_seconds:g} s "
                    f"at {args.bitrate} (copied rendition only); the player page on streaming-svc with hls.js, cookie "
                    f"set before the navigation, in each delivery mode ({', '.join(modes)}; `relay`: a second "
                    "streaming-svc with DELIVERY=relay, `presigned`: a second stack on SeaweedFS with "
                    "DELIVERY=presigned and the same clip, segments from the store); the bare page: the same "
                    f"hls.min.js and the local stack's stored files from {tool_version(['nginx', '-v'])}, "
                    "`new Hls()` with its defaults in an inline script"
                ),
                "Browser": (
                    f"Chromium {results['chromium']} headless via Playwright "
                    f"({tool_version(['chromium', '--version'])}), a fresh context per run, the pages "
                    "taking turns (the order rotating), one warm-up run of each not counted"
                ),
            },
        ),
        "",
        "| clock | median ms | min ms | max ms | runs |",
        "|---|---:|---:|---:|---:|",
        *[row(f"player page, {m} (navigation start → currentTime > 0)", runs[m], "page_ms") for m in modes],
        row("bare page on nginx (the same)", bare, "page_ms"),
        *[row(f"player page, {m}, wall (before goto → seen by the bench)", runs[m], "wall_ms") for m in modes],
        row("bare page, wall", bare, "wall_ms"),
        "",
        "Player / bare (ratio of the medians): " + "; ".join(f"{m} {_ratio(runs[m], bare)}" for m in modes) + ".",
        "",
        "Where the time goes (page clock, ms since the navigation started, medians of the same runs):",
        "",
        "| step | " + " | ".join(f"player, {m}" for m in modes) + " | bare page |",
        "|---|" + "---:|" * (len(modes) + 1),
        *[f"| {label} | " + " | ".join(_med(runs[m], k) for m in [*modes, "bare"]) + " |" for k, label in STEPS],
        "",
        f"Errors: {len(errors)}" + (f" ({'; '.join(errors)})" if errors else "") + ".",
    ]
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m bench.ttff", description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--modes", default="relay,local,presigned", help="comma-separated delivery modes of the player")
    ap.add_argument("--clip-seconds", type=float, default=20)
    ap.add_argument("--size", default="1280x720")
    ap.add_argument("--bitrate", default="3M")
    ap.add_argument("--timeout", type=int, default=30, help="seconds to wait for playback, per run")
    env_argument(ap)
    output_arguments(ap, "ttff")
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    run_and_write("bench.ttff", parse_args(argv), argv, run, render)
    return 0


if __name__ == "__main__":
    sys.exit(main())
