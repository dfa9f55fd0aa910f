"""The queue scenarios of `python -m bench.packaging` (`--only queue`): many uploads, not one.

With the default settings and the default ladder (360,720,1080: for the 60 s 720p
H.264/AAC clip, 720p copied at once, 360p encoded in the background, thumbnails):
- back to back: six uploads, each sent when the previous one is `ready`; each one's
  upload-complete (its 201) -> `ready`, against the bare remux of the same file (target:
  at most 2x + 0.5 s for every one), with the background encodes at nice 19 and at nice
  0 (PACKAGING_BACKGROUND_NICE), and, with `--old REV`, on that revision too;
- at once: six uploads sent together; each one's 201 -> `ready` (goal: within 2 s);
- the batch's full ladder: from the last 201 to every rendition of the six ready, with
  one packager and with two;
- one pass or one rendition at a time: bare ffmpeg encodes of a 1080p clip's 360p and 720p
  renditions in one command (one decode) and in two (one after the other; side by side),
  for the choice between publishing renditions together or as each lands.
Written to BENCHMARKS.md between the `<!-- packaging-queue -->` markers.
"""

from __future__ import annotations

import sqlite3
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from bench.bare import bare_copy, ffmpeg, make_h264, make_sources, rung_outputs, timed
from bench.common import old_stack_class, production_stack
from bench.report import machine_block, machine_info, median, utcnow, write_section
from harness import Stack

SECTION = "packaging-queue"


def _stack(base: Path, name: str, stack_class=Stack, packagers: int = 1, **env: str) -> Stack:
    """A `make run`-like stack: SQLite, local storage, gunicorn's production settings,
    the default ladder and packaging settings unless `env` says otherwise."""
    st = production_stack(
        base / name,
        {"STORAGE_BACKEND": "local", "HLS_LADDER": "360,720,1080", "LOG_LEVEL": "WARNING", "ACCESS_LOG": "0", **env},
        stack_class,
    )
    for i in range(2, packagers + 1):
        st.add_packager(f"packager{i}")
    st.start()
    for i in range(2, packagers + 1):
        st[f"packager{i}"].start()
    st.token = st.login()
    return st


class Rows:
    """The stack's SQLite file, read-only, every 20 ms: when each video became ready and
    when its last job ended (polling the API that often would load the machine)."""

    def __init__(self, st: Stack):
        self.db = sqlite3.connect(f"file:{st.env['DB_PATH']}?mode=ro", uri=True, timeout=5)

    def statuses(self, ids: list[str]) -> dict[str, str]:
        marks = ",".join("?" * len(ids))
        return dict(self.db.execute(f"SELECT id, status FROM videos WHERE id IN ({marks})", ids).fetchall())

    def busy(self, ids: list[str]) -> set[str]:
        """Videos with a packaging job not over (or, on an older schema, a rendition pending)."""
        marks = ",".join("?" * len(ids))
        try:
            rows = self.db.execute(
                f"SELECT DISTINCT video_id FROM packaging_jobs WHERE video_id IN ({marks}) "
                "AND status NOT IN ('done', 'failed')",
                ids,
            ).fetchall()
        except sqlite3.OperationalError:
            return set()
        return {r[0] for r in rows}

    def close(self) -> None:
        self.db.close()


def _upload(st: Stack, src: Path, name: str) -> tuple[str, float]:
    resp = st.upload(st.token, src, name=name, timeout=600)
    resp.raise_for_status()
    return resp.json()["id"], time.monotonic()


def _wait(rows: Rows, ids: list[str], until: str, timeout: float = 900) -> dict[str, float]:
    """Until each video is ready ("ready") or has no job left ("done"): the time of each."""
    when: dict[str, float] = {}
    deadline = time.monotonic() + timeout
    while len(when) < len(ids):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{until}: {len(when)} of {len(ids)}")
        now = time.monotonic()
        statuses = rows.statuses(ids)
        failed = [i for i, s in statuses.items() if s == "failed"]
        if failed:
            raise RuntimeError(f"videos failed: {failed}")
        busy = rows.busy(ids) if until == "done" else set()
        for vid in ids:
            if vid not in when and statuses.get(vid) == "ready" and vid not in busy:
                when[vid] = now
        time.sleep(0.02)
    return when


def _drain(st: Stack, rows: Rows, ids: list[str]) -> None:
    """Every job over (the old revision's renditions included), then the videos deleted."""
    deadline = time.monotonic() + 900
    while True:
        videos = [st.video(st.token, vid) for vid in ids]
        if all(all(r["status"] != "pending" for r in v["renditions"]) for v in videos) and not rows.busy(ids):
            break
        if time.monotonic() > deadline:
            raise TimeoutError("the backlog did not drain")
        time.sleep(0.5)
    for vid in ids:
        _delete(st, vid)


def _delete(st: Stack, vid: str) -> None:
    st.api.delete_video(st.token, vid, timeout=120).raise_for_status()


def back_to_back(st: Stack, src: Path, n: int) -> list[float]:
    """n uploads, each sent when the previous one is ready: 201 -> ready of each."""
    rows, ids, out = Rows(st), [], []
    try:
        for i in range(n):
            vid, uploaded = _upload(st, src, f"back to back {i}")
            ids.append(vid)
            out.append(_wait(rows, [vid], "ready")[vid] - uploaded)
        _drain(st, rows, ids)
    finally:
        rows.close()
    return out


def at_once(st: Stack, src: Path, n: int) -> tuple[list[float], float]:
    """n uploads sent together: each one's 201 -> ready, and last 201 -> every job over."""
    rows, results, lock = Rows(st), {}, threading.Lock()

    def one(i: int) -> None:
        vid, uploaded = _upload(st, src, f"at once {i}")
        with lock:
            results[vid] = uploaded

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    try:
        for t in threads:
            t.start()
        ready: dict[str, float] = {}
        while len(results) < n or len(ready) < n:
            with lock:
                ids = list(results)
            if ids:
                statuses = rows.statuses(ids)
                now = time.monotonic()
                for vid in ids:
                    if vid not in ready and statuses.get(vid) == "ready":
                        ready[vid] = now
            time.sleep(0.02)
        for t in threads:
            t.join()
        ids = list(results)
        done = _wait(rows, ids, "done")
        ladder = max(done.values()) - max(results.values())
        _drain(st, rows, ids)
    finally:
        rows.close()
    return [ready[vid] - results[vid] for vid in ids], ladder


def one_pass_or_per_rung(src1080: Path, work: Path) -> dict[str, float]:
    """The 360p and 720p encodes of a 1080p clip: one command (one decode), two in a row,
    two side by side. Wall seconds each."""
    rungs = [(360, 640), (720, 1280)]
    one = timed(lambda: ffmpeg("-i", str(src1080), *rung_outputs(rungs, work)))["wall_s"]
    seq = sum(timed(lambda r=r: ffmpeg("-i", str(src1080), *rung_outputs([r], work)))["wall_s"] for r in rungs)
    start = time.monotonic()
    procs = [
        subprocess.Popen(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(src1080), *rung_outputs([r], work)])
        for r in rungs
    ]
    for p in procs:
        p.wait()
    return {"one_pass": one, "in_a_row": seq, "side_by_side": time.monotonic() - start}


def _clip(base: Path, seconds: int) -> Path:
    """The benchmark's 720p clip (60 s by default, made once), or a shorter one."""
    if seconds == 60:
        return make_sources(base)["h264"]
    return make_h264(base / f"h264_720p_{seconds}s.mp4", seconds)


def _fmt(values: list[float]) -> str:
    return ", ".join(f"{v:.2f}" for v in values)


def run(args) -> None:
    started = utcnow()
    sources = Path(tempfile.gettempdir()) / "reelhouse-bench-sources"
    sources.mkdir(parents=True, exist_ok=True)
    src = _clip(sources, args.clip_seconds)
    n = args.videos
    work = Path(tempfile.mkdtemp(prefix="bench-queue-"))
    bare_runs = []
    for i in range(3):
        out = work / f"bare-{i}"
        bare_runs.append(timed(lambda o=out: bare_copy(src, o))["wall_s"])
    bare = median(bare_runs)
    limit = 2 * bare + 0.5
    results: dict[str, object] = {}
    variants = [("nice 19 (default)", Stack, {}), ("nice 0", Stack, {"PACKAGING_BACKGROUND_NICE": "0"})]
    if args.old:
        variants.append((f"before ({args.old})", old_stack_class(args.old, work), {}))
    for label, cls, env in variants:
        st = _stack(work, label.split()[0] + str(len(results)), cls, **env)
        try:
            results[f"b2b {label}"] = back_to_back(st, src, n)
            print(f"back to back, {label}: {_fmt(results[f'b2b {label}'])} s", flush=True)
            if label.startswith("nice 19") or label.startswith("before"):
                results[f"once {label}"] = at_once(st, src, n)
                print(
                    f"at once, {label}: {_fmt(results[f'once {label}'][0])} s; "
                    f"ladder {results[f'once {label}'][1]:.2f} s",
                    flush=True,
                )
        finally:
            st.stop()
    st = _stack(work, "two-packagers", packagers=2)
    try:
        results["once two"] = at_once(st, src, n)
        print(
            f"at once, two packagers: {_fmt(results['once two'][0])} s; ladder {results['once two'][1]:.2f} s",
            flush=True,
        )
    finally:
        st.stop()
    passes = one_pass_or_per_rung(
        make_h264(sources / f"h264_1080p_{args.clip_seconds}s.mp4", args.clip_seconds, "1920x1080"), work / "passes"
    )
    print(f"bare encodes of 360p + 720p from 1080p: {passes}", flush=True)
    subprocess.run(["rm", "-rf", str(work)], check=False)

    once, ladder1 = results["once nice 19 (default)"]
    _, ladder2 = results["once two"]
    rows = [
        f"| {label} | {_fmt(results[f'b2b {label}'])} | {max(results[f'b2b {label}']):.2f} s | "
        f"{'yes' if max(results[f'b2b {label}']) <= limit else '**no**'} |"
        for label, _c, _e in variants
    ]
    old_once = ""
    if args.old:
        o, ol = results[f"once before ({args.old})"]
        old_once = f"| before ({args.old}), one packager | {_fmt(o)} | {max(o):.2f} s | {ol:.2f} s |\n"
    text = f"""## Packaging: many uploads, not one

{machine_block(machine_info(), "python -m bench.packaging --only queue" + (f" --old {args.old}" if args.old else ""), started)}
- Source: a {args.clip_seconds} s 1280x720 30 fps H.264 + AAC clip ({src.stat().st_size / 1e6:.1f} MB); the default
  ladder 360,720,1080 (720p copied, then 360p encoded and the thumbnails made in the
  background); a `make run`-like stack (SQLite, local storage, gunicorn's production settings,
  PACKAGING_FIRST_WORKERS=2, PACKAGING_WORKERS=1). Times from each upload's 201 to the row
  showing `ready`, read from the SQLite file every 20 ms.
- Bare remux of the same file (`ffmpeg -c copy -f hls`): {_fmt(bare_runs)} s, median {bare:.2f} s; the
  target for every upload, 2x that + 0.5 s: {limit:.2f} s.

Back to back ({n} uploads, each sent when the previous one is `ready`), 201 -> `ready`, s:

| background encodes | each upload | worst | within {limit:.2f} s |
| --- | --- | ---: | --- |
{chr(10).join(rows)}

{n} uploads at once, 201 -> `ready` of each (goal: within 2 s), and from the last 201 to
every rendition of the {n} ready:

| packagers | each upload, s | worst | full ladder of the batch |
| --- | --- | ---: | ---: |
| one | {_fmt(once)} | {max(once):.2f} s | {ladder1:.2f} s |
| two | {_fmt(results["once two"][0])} | {max(results["once two"][0]):.2f} s | {ladder2:.2f} s |
{old_once}
Renditions together or one by one: the 360p and 720p encodes of a {args.clip_seconds} s 1080p clip with the
packager's x264 settings, bare ffmpeg: one command, one decode: {passes["one_pass"]:.2f} s; two
commands one after the other: {passes["in_a_row"]:.2f} s; two side by side: {passes["side_by_side"]:.2f} s.
"""
    print(text)
    if not args.no_write:
        write_section(SECTION, text, path=args.output)
        print(f"written to {args.output}")
