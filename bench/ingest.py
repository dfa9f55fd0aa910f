"""Ingest benchmark: large uploads through the stack against the limits of the machine.

    python -m bench.ingest [--sizes 1GiB,4GiB] [--s3-size 1GiB] [--runs 1] [--dir /var/tmp] [--no-s3] [--no-write]

For each size, a raw-video Matroska file of that size is sent with `curl -F file=@...`
(multipart, from the page cache), interleaved:
  - through upload-webapp -> file-svc (local backend, SQLite, production gunicorn
    settings, packager off) until the 201;
  - to a trivial HTTP sink (bench/sink.py) writing the body to the same disk;
  - and copied with `cp` on the same disk.
With the S3 backend (SeaweedFS's `weed mini`, objects on the same disk), one upload of
--s3-size through the stack against a direct boto3 multipart upload of the same file to
the same server, with the same part size and the same sequential parts as file-svc.

Peak RSS of every process (sampled from /proc every 50 ms, and each one's own VmHWM) and
of each process tree (service: gunicorn master + workers + ffmpeg/ffprobe children).
Files go to a temp folder under --dir, removed afterwards; the stored videos and S3
objects are deleted after each upload. Writes the `bench.ingest` section of BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import base64
import datetime
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

import requests

from bench.common import REPORT_NAMES, old_stack_class, production_stack, stack_roots, workdir
from bench.memory import TreeSampler
from bench.report import command_line, load_average, machine_info, machine_line, median_of, utcnow, write_section
from harness import ROOT, S3Server, Stack, bearer, free_port, wait_until
from harness.procfs import cpu_seconds

MiB = 1024**2
GiB = 1024**3
WIDTH, HEIGHT = 1280, 720  # raw yuv420p frames of 1.32 MiB: a big valid video, quickly made
S3_PART_MB = 16  # file-svc's default S3_PART_SIZE_MB
RSS_LIMIT = 150_000_000  # the target: no process above 150 MB
MARKERS = ("<!-- bench.ingest:start -->", "<!-- bench.ingest:end -->")


def parse_size(text: str) -> int:
    m = re.fullmatch(r"\s*([\d.]+)\s*([KMGT]i?B?|B?)\s*", text, re.I)
    if not m:
        raise argparse.ArgumentTypeError(f"not a size: {text!r}")
    unit = m.group(2).upper().rstrip("B").rstrip("I")
    return int(float(m.group(1)) * {"": 1, "K": 1024, "M": MiB, "G": GiB, "T": 1024 * GiB}[unit])


def parse_sizes(text: str) -> list[tuple[str, int]]:
    return [(t.strip(), parse_size(t)) for t in text.split(",") if t.strip()]


def make_video(path: Path, size: int) -> None:
    """A raw-video Matroska file of about `size` bytes (a valid, playable video)."""
    frames = max(2, -(-size // (WIDTH * HEIGHT * 3 // 2)))
    source = f"testsrc2=size={WIDTH}x{HEIGHT}:rate=25"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", source, "-frames:v", str(frames)]
        + "-c:v rawvideo -pix_fmt yuv420p -f matroska".split()
        + [str(path)],
        check=True,
    )


def memory(roots: dict[str, int]) -> TreeSampler:
    """Peak RSS of each named process tree (sum, sampled every 50 ms) and of every
    process in it (the larger of the sampled RSS and its own VmHWM)."""
    return TreeSampler(roots, interval=0.05, pss=False)


def curl_upload(url: str, src: Path, headers: list[str], fields: list[str]) -> tuple[int, float, str]:
    cmd = ["curl", "-sS", "-o", "-", "-w", "\n%{http_code}", "-F", f"file=@{src}"]
    for f in fields:
        cmd += ["-F", f]
    for h in headers:
        cmd += ["-H", h]
    started = time.monotonic()
    out = subprocess.run([*cmd, url], check=True, capture_output=True, text=True)
    elapsed = time.monotonic() - started
    body, _, status = out.stdout.rpartition("\n")
    return int(status), elapsed, body


def drop_written(path: Path) -> None:
    """Remove a written copy (and let the kernel write back the rest before the next run)."""
    path.unlink(missing_ok=True)


class Sink:
    def __init__(self, work: Path):
        self.folder = work / "sink"
        self.folder.mkdir(exist_ok=True)
        self.port = free_port()
        self.proc = subprocess.Popen([sys.executable, "-m", "bench.sink", str(self.port), str(self.folder)], cwd=ROOT)
        wait_until(
            lambda: (
                subprocess.run(["curl", "-s", f"http://127.0.0.1:{self.port}/"], capture_output=True).returncode == 0
            ),
            10,
            "the sink",
        )

    def run(self, src: Path) -> dict:
        with memory({"sink": self.proc.pid}) as mem:
            status, elapsed, _ = curl_upload(f"http://127.0.0.1:{self.port}/upload", src, [], ["name=bench"])
        assert status == 201, status
        written = self.folder / "upload.bin"
        assert written.stat().st_size > src.stat().st_size
        drop_written(written)
        return {"seconds": elapsed, **mem.result()}

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait()


def run_cp(work: Path, src: Path) -> dict:
    dst = work / "copy.bin"
    started = time.monotonic()
    proc = subprocess.Popen(["cp", str(src), str(dst)])
    with memory({"cp": proc.pid}) as mem:
        proc.wait()
    elapsed = time.monotonic() - started
    assert proc.returncode == 0 and dst.stat().st_size == src.stat().st_size
    drop_written(dst)
    return {"seconds": elapsed, **mem.result()}


def start_stack(base: Path, env: dict[str, str], stack_class=Stack) -> Stack:
    """The four services with gunicorn's production worker settings (gunicorn_conf's
    defaults, not the tests' WEB_CONCURRENCY=1), packager off: this measures ingest."""
    st = production_stack(
        base, {"PACKAGER": "0", "ACCESS_LOG": "0", "HLS_LADDER": "", "LOG_LEVEL": "WARNING", **env}, stack_class
    )
    st.start()
    st.token = st.login()
    return st


def stack_upload(st: Stack, src: Path, extra_roots: dict[str, int] | None = None) -> tuple[dict, str]:
    roots = stack_roots(st)
    cpu0 = {name: cpu_seconds(pid) for name, pid in roots.items()}
    with memory({**roots, **(extra_roots or {})}) as mem:
        status, elapsed, body = curl_upload(
            st.url("upload") + "/api/upload", src, [f"Authorization: Bearer {st.token}"], ["name=bench"]
        )
    cpu = {name: cpu_seconds(pid) - cpu0[name] for name, pid in roots.items()}
    assert status == 201, f"{status} {body}"
    video = json.loads(body)
    assert int(video.get("size_bytes", src.stat().st_size)) == src.stat().st_size, video
    return {"seconds": elapsed, "cpu": cpu, **mem.result()}, video["id"]


def delete_video(st: Stack, video_id: str) -> None:
    st.api.delete_video(st.token, video_id, timeout=120).raise_for_status()


def run_local(st: Stack, src: Path, upload=None) -> dict:
    """One upload (multipart, or `upload`: tus_upload) to the local backend, its original
    checked whole in the storage folder and deleted; its figures."""
    result, video_id = (upload or stack_upload)(st, src)
    stored = next((st.storage_dir / "videos" / video_id).glob("original*"))
    assert stored.stat().st_size == src.stat().st_size
    delete_video(st, video_id)
    return result


def _tus_headers(st: Stack) -> dict[str, str]:
    return {**bearer(st.token), "Tus-Resumable": "1.0.0"}


def tus_create(st: Stack, size: int, filename: str) -> str:
    """A tus creation of `size` bytes named `filename`; the upload's URL."""
    made = requests.post(
        f"{st.url('upload')}/api/tus/",
        timeout=30,
        headers={
            **_tus_headers(st),
            "Upload-Length": str(size),
            "Upload-Metadata": "filename " + base64.b64encode(filename.encode()).decode(),
        },
    )
    assert made.status_code == 201, made.text
    return made.headers["Location"]


def tus_upload(st: Stack, src: Path, extra_roots: dict[str, int] | None = None) -> tuple[dict, str]:
    """The resumable path: a tus creation, then the whole file in one PATCH sent by curl
    (`-T`, streamed from the page cache, like the multipart case), until its 204."""
    auth = _tus_headers(st)
    url = tus_create(st, src.stat().st_size, src.name)
    roots = stack_roots(st)
    cpu0 = {name: cpu_seconds(pid) for name, pid in roots.items()}
    cmd = [
        "curl",
        "-sS",
        "-o",
        "/dev/null",
        "-D",
        "-",
        "-X",
        "PATCH",
        "-T",
        str(src),
        "-H",
        "Expect:",
        "-H",
        "Content-Type: application/offset+octet-stream",
        "-H",
        "Upload-Offset: 0",
    ]
    for k, v in auth.items():
        cmd += ["-H", f"{k}: {v}"]
    with memory({**roots, **(extra_roots or {})}) as mem:
        started = time.monotonic()
        out = subprocess.run([*cmd, url], check=True, capture_output=True, text=True)
        elapsed = time.monotonic() - started
    cpu = {name: cpu_seconds(pid) - cpu0[name] for name, pid in roots.items()}
    assert " 204" in out.stdout.splitlines()[0], out.stdout
    video_id = next(ln.split(":", 1)[1].strip() for ln in out.stdout.splitlines() if ln.lower().startswith("video-id:"))
    return {"seconds": elapsed, "cpu": cpu, **mem.result()}, video_id


def resent_after_a_cut(st: Stack, src: Path, chunk: int = 16 * MiB) -> dict:
    """A tus upload cut half-way (the connection dropped by the client, as a network cut
    does), then resumed from the server's offset: how many bytes are sent twice."""
    import http.client
    from urllib.parse import urlsplit

    size = src.stat().st_size
    auth = _tus_headers(st)
    url = tus_create(st, size, "cut.mkv")
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    conn.putrequest("PATCH", parts.path)
    for k, v in {
        **auth,
        "Content-Type": "application/offset+octet-stream",
        "Upload-Offset": "0",
        "Content-Length": str(size),
    }.items():
        conn.putheader(k, v)
    conn.endheaders()
    sent = 0
    with open(src, "rb") as fh:
        while sent < size // 2:
            data = fh.read(MiB)
            conn.send(data)
            sent += len(data)
    conn.sock.close()  # cut
    offset, last = -1, None
    for _ in range(120):  # until the server has acknowledged what arrived (the offset stays put)
        time.sleep(0.5)
        offset = int(requests.head(url, headers=auth, timeout=30).headers["Upload-Offset"])
        if offset > 0 and offset == last:
            break
        last = offset
    resp = None
    with open(src, "rb") as fh:
        fh.seek(offset)
        at = offset
        while at < size:  # the rest in tus chunks
            body = fh.read(chunk)
            resp = requests.patch(
                url,
                data=body,
                timeout=600,
                headers={**auth, "Content-Type": "application/offset+octet-stream", "Upload-Offset": str(at)},
            )
            assert resp.status_code == 204, resp.text
            at += len(body)
    delete_video(st, resp.headers["Video-Id"])
    return {"sent_before_cut": sent, "acknowledged": offset, "resent": sent - offset}


STORE = "S3 server (SeaweedFS)"  # its process in the memory tables

# A direct multipart upload as file-svc's S3Storage does it: sequential parts of the
# same size, each streamed from a window of the file; its own process, for its RSS.
DIRECT_S3 = r"""
import os, sys, time
sys.path.insert(0, sys.argv[1])
import boto3
from botocore.config import Config
from file_svc.storage import FileWindow
endpoint, bucket, key, src, part = sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6])
client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=os.environ["S3_KEY"],
                      aws_secret_access_key=os.environ["S3_SECRET"],
                      config=Config(s3={"addressing_style": "path"}, signature_version="s3v4",
                                    request_checksum_calculation="when_required",
                                    response_checksum_validation="when_required"))
client.head_bucket(Bucket=bucket)
sys.stdout.write("go\n"); sys.stdout.flush(); sys.stdin.readline()
started = time.monotonic()
size = os.path.getsize(src)
uid = client.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
parts = []
with open(src, "rb") as fh:
    for n, off in enumerate(range(0, size, part), start=1):
        body = FileWindow(fh, off, min(part, size - off))
        r = client.upload_part(Bucket=bucket, Key=key, UploadId=uid, PartNumber=n, Body=body, ContentLength=body.length)
        parts.append({"PartNumber": n, "ETag": r["ETag"]})
client.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=uid, MultipartUpload={"Parts": parts})
print(time.monotonic() - started)
"""


def run_direct_s3(s3: S3Server, endpoint: str, src: Path) -> dict:
    key = "bench/direct.bin"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            DIRECT_S3,
            str(ROOT / "file-svc"),
            endpoint,
            s3.bucket,
            key,
            str(src),
            str(S3_PART_MB * MiB),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT / "common"), "S3_KEY": s3.key, "S3_SECRET": s3.secret},
    )
    assert proc.stdout.readline().strip() == "go"
    with memory({"boto3 client": proc.pid, STORE: s3.proc.pid}) as mem:
        proc.stdin.write("\n")
        proc.stdin.flush()
        out = proc.stdout.read()
        proc.wait()
    assert proc.returncode == 0, out
    client = s3.client()
    assert client.head_object(Bucket=s3.bucket, Key=key)["ContentLength"] == src.stat().st_size
    client.delete_object(Bucket=s3.bucket, Key=key)
    return {"seconds": float(out.split()[-1]), **mem.result()}


def run_stack_s3(st: Stack, s3: S3Server, src: Path) -> dict:
    result, video_id = stack_upload(st, src, {STORE: s3.proc.pid})
    client = s3.client()
    sizes = {
        o["Key"]: o["Size"]
        for o in client.list_objects_v2(Bucket=s3.bucket, Prefix=f"videos/{video_id}/").get("Contents", [])
    }
    assert src.stat().st_size in sizes.values(), sizes
    delete_video(st, video_id)
    return result


def machine() -> str:
    """The machine, and the file system the files are written to."""
    disk = subprocess.run(["df", "-h", "--output=source,fstype", "/var/tmp"], capture_output=True, text=True)
    fs = " ".join(disk.stdout.split()[-2:]) if disk.returncode == 0 else "?"
    return f"{machine_line(machine_info())}; disk {fs}"


def mib(n: float) -> str:
    return f"{n / MiB:.0f}"


def med(runs: list[dict], key: str = "seconds") -> float:
    return median_of(runs, key)


def worst(runs: list[dict]) -> dict:
    """The run with the highest total peak (memory figures are reported from it)."""
    return max(runs, key=lambda r: sum(r["peak_tree"].values()))


def memory_table(label: str, run: dict, trees: list[str]) -> list[str]:
    lines = [
        f"Memory, {label}:",
        "",
        "| process tree | idle RSS MiB | peak RSS MiB (tree, sampled) | process | its peak RSS MiB |",
        "| --- | ---: | ---: | --- | ---: |",
    ]
    by_tree: dict[str, list] = {}
    for tree, _pid, name, peak in run["processes"]:
        by_tree.setdefault(tree, []).append((name, peak))
    for tree in trees:
        procs = by_tree.get(tree, [("?", 0)])
        first = True
        for name, peak in procs:
            flag = " **>150 MB**" if peak > RSS_LIMIT and tree in REPORT_NAMES.values() else ""
            if first:
                lines.append(
                    f"| {tree} | {mib(run['idle'][tree])} | {mib(run['peak_tree'][tree])} | `{name}` | "
                    f"{mib(peak)}{flag} |"
                )
                first = False
            else:
                lines.append(f"| | | | `{name}` | {mib(peak)}{flag} |")
    return lines + [""]


def render(results: dict, args, command: str, started: datetime.datetime, load_before: str) -> str:
    runs = args.runs
    lines = [
        "## Ingest: large uploads, streamed",
        "",
        f"- Date: {started:%Y-%m-%d %H:%M} UTC",
        f"- Machine: {machine()}; load average at start {load_before} (shared with other work while it ran)",
        f"- Command: `{command}`",
        "- Files: raw-video Matroska of each size, sent with `curl -F file=@...` (multipart, from the page cache).",
        "- Reelhouse (local): upload-webapp -> file-svc -> temp folder -> probe + two decode checks -> local storage"
        " (a hard link), SQLite, gunicorn's production settings (2 workers x 16 threads), packager off; time until"
        " the 201.",
        "- Bare sink: the same curl command to a trivial Python HTTP server (bench/sink.py) writing the body in"
        " 1 MiB pieces to the same disk. `cp`: the file copied on the same disk. Nothing is fsynced by any of the"
        " three (the page cache absorbs the writes).",
        f"- S3: the stack with STORAGE_BACKEND=s3 on SeaweedFS (`weed mini`, objects on the same disk), against a"
        f" direct boto3 multipart upload of the same file to the same server: sequential {S3_PART_MB} MiB parts,"
        " each streamed from a window of the file, exactly as file-svc's S3Storage sends them.",
        f"- {runs} run(s) per case, interleaved (stack, sink, cp); times are medians; memory is the run with"
        " the highest total peak.",
        "- tus: the resumable path (`/api/tus/`): a creation, then the whole file in one PATCH sent by `curl -T`;"
        " upload-webapp writes the body into the temp volume (fsynced before it is acknowledged), file-svc takes"
        " the finished file from there (no second trip over HTTP): time until the 204.",
        "",
        "| upload | size | Reelhouse multipart | Reelhouse tus | bare sink | `cp` | multipart / sink | tus / sink |"
        " tus / cp |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for label, size in args.sizes:
        r = results[label]
        t, u, s, c = med(r["stack"]), med(r["tus"]), med(r["sink"]), med(r["cp"])
        rate = size / MiB
        lines.append(
            f"| local backend | {label} | {t:.2f} s ({rate / t:.0f} MiB/s) | {u:.2f} s ({rate / u:.0f} MiB/s)"
            f" | {s:.2f} s ({rate / s:.0f} MiB/s) | {c:.2f} s ({rate / c:.0f} MiB/s) | {t / s:.2f}x |"
            f" **{u / s:.2f}x** | {u / c:.2f}x |"
        )
    if "s3" in results:
        r = results["s3"]
        t, u, d = med(r["stack"]), med(r["tus"]), med(r["direct"])
        rate = args.s3_size[1] / MiB
        lines += [
            "",
            "| upload | size | Reelhouse multipart (S3) | Reelhouse tus (S3) | direct boto3 multipart |"
            " multipart / direct | tus / direct |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
            f"| S3 backend (SeaweedFS) | {args.s3_size[0]} | {t:.1f} s ({rate / t:.0f} MiB/s) | {u:.1f} s"
            f" ({rate / u:.0f} MiB/s) | {d:.1f} s ({rate / d:.0f} MiB/s) | {t / d:.2f}x | **{u / d:.2f}x** |",
        ]
    if "cut" in results:
        c = results["cut"]
        lines += [
            "",
            f"A tus upload of {args.sizes[0][0]} cut half-way by the client: {mib(c['sent_before_cut'])} MiB"
            f" sent before the cut, {mib(c['acknowledged'])} MiB acknowledged by the server's HEAD, so"
            f" **{c['resent'] / MiB:.1f} MiB sent twice** (the page's chunk is 16 MiB; what was in flight"
            " in the sockets is all that is lost).",
        ]
    if args.old:
        rev = subprocess.run(
            ["git", "rev-parse", "--short", args.old], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        now = subprocess.run(
            ["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        lines += [
            "",
            f"Before/after, local backend: revision {rev} (before) and this checkout {now} (after) as two"
            " stacks at once, runs alternating:",
            "",
            "| size | before | after | after / before | before / sink | after / sink |"
            " file-svc CPU s before -> after | upload-webapp CPU s before -> after |",
            "| ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |",
        ]
        for label, _size in args.sizes:
            r = results[label]
            b, a, s = med(r["old"]), med(r["stack"]), med(r["sink"])
            cpu = {
                k: {case: statistics.median(x["cpu"].get(k, 0) for x in r[case]) for case in ("old", "stack")}
                for k in ("file-svc", "upload-webapp")
            }
            lines.append(
                f"| {label} | {b:.2f} s | {a:.2f} s | **{a / b:.2f}** | {b / s:.2f}x | {a / s:.2f}x |"
                f" {cpu['file-svc']['old']:.2f} -> {cpu['file-svc']['stack']:.2f} |"
                f" {cpu['upload-webapp']['old']:.2f} -> {cpu['upload-webapp']['stack']:.2f} |"
            )
    lines.append("")
    trees = list(REPORT_NAMES.values())
    for label, _size in args.sizes:
        r = results[label]
        lines += memory_table(f"Reelhouse, local backend, {label}", worst(r["stack"]), trees)
        lines += memory_table(f"Reelhouse tus, local backend, {label}", worst(r["tus"]), trees)
        lines += memory_table(
            f"bare sink and `cp`, {label}",
            {
                **{k: {**worst(r["sink"])[k], **worst(r["cp"])[k]} for k in ("idle", "peak_tree")},
                "processes": worst(r["sink"])["processes"] + worst(r["cp"])["processes"],
            },
            ["sink", "cp"],
        )
    if "s3" in results:
        r = results["s3"]
        lines += memory_table(f"Reelhouse, S3 backend, {args.s3_size[0]}", worst(r["stack"]), [*trees, STORE])
        lines += memory_table(f"direct boto3 multipart, {args.s3_size[0]}", worst(r["direct"]), ["boto3 client", STORE])
    over = [
        (lbl, tree, name, peak)
        for lbl, _ in args.sizes
        for case in ("stack", "tus")
        for tree, _pid, name, peak in worst(results[lbl][case])["processes"]
        if peak > RSS_LIMIT and tree in REPORT_NAMES.values()
    ]
    lines.append(
        "No Reelhouse process went above 150 MB RSS."
        if not over
        else "Above 150 MB RSS: " + "; ".join(f"{n} ({t}, {lbl}) {mib(p)} MiB" for lbl, t, n, p in over) + "."
    )
    lines.append("")
    return "\n".join(lines)


def run(args, work: Path) -> dict:
    """Every case, interleaved, in the temp folder `work`; their figures."""
    results: dict = {}
    stacks: list[Stack] = []
    s3 = None
    try:
        local = start_stack(work / "stack-local", {"STORAGE_BACKEND": "local", "MAX_UPLOAD_BYTES": str(64 * GiB)})
        stacks.append(local)
        old = None
        if args.old:
            old = start_stack(
                work / "stack-old",
                {"STORAGE_BACKEND": "local", "MAX_UPLOAD_BYTES": str(64 * GiB)},
                old_stack_class(args.old, work),
            )
            stacks.append(old)
        sink = Sink(work)
        try:
            for label, size in args.sizes:
                src = work / f"source-{label}.mkv"
                print(f"making a {label} video in {work} ...", flush=True)
                make_video(src, size)
                r = results[label] = {"stack": [], "tus": [], "sink": [], "cp": [], "old": []}
                for i in range(args.runs):
                    cases = [
                        ("stack", lambda src=src: run_local(local, src)),
                        ("tus", lambda src=src: run_local(local, src, tus_upload)),
                        ("sink", lambda src=src: sink.run(src)),
                        ("cp", lambda src=src: run_cp(work, src)),
                    ]
                    if old is not None:  # before and after alternate which goes first
                        cases.insert(0 if i % 2 else 1, ("old", lambda src=src: run_local(old, src)))
                    for case, fn in cases:
                        r[case].append(fn())
                        print(f"  {label} run {i + 1} {case}: {r[case][-1]['seconds']:.1f} s", flush=True)
                if label == args.sizes[0][0]:
                    results["cut"] = resent_after_a_cut(local, src)
                    print(f"  cut: {results['cut']}", flush=True)
                if args.s3_size[0] == label and not args.no_s3:
                    results["s3-src"] = src  # reuse: same bytes
                else:
                    src.unlink()
        finally:
            sink.stop()
        if not args.no_s3:
            label, size = args.s3_size
            src = results.pop("s3-src", None) or work / f"source-{label}.mkv"
            if not src.exists():
                print(f"making a {label} video ...", flush=True)
                make_video(src, size)
            s3 = S3Server(work / "s3")
            s3.start()
            endpoint = f"http://127.0.0.1:{s3.port}"  # the store itself, not the tests' TCP proxy
            st3 = start_stack(
                work / "stack-s3",
                {
                    "STORAGE_BACKEND": "s3",
                    "S3_ENDPOINT_URL": endpoint,
                    "S3_BUCKET": s3.bucket,
                    "S3_REGION": s3.region,
                    "AWS_ACCESS_KEY_ID": s3.key,
                    "AWS_SECRET_ACCESS_KEY": s3.secret,
                    "S3_ADDRESSING_STYLE": "path",
                    "S3_PART_SIZE_MB": str(S3_PART_MB),
                    "MAX_UPLOAD_BYTES": str(64 * GiB),
                },
            )
            stacks.append(st3)
            r = results["s3"] = {"stack": [], "tus": [], "direct": []}
            for i in range(args.runs):
                r["stack"].append(run_stack_s3(st3, s3, src))
                print(f"  s3 {label} run {i + 1} stack: {r['stack'][-1]['seconds']:.1f} s", flush=True)
                res, vid = tus_upload(st3, src, {STORE: s3.proc.pid})
                delete_video(st3, vid)
                r["tus"].append(res)
                print(f"  s3 {label} run {i + 1} tus: {r['tus'][-1]['seconds']:.1f} s", flush=True)
                r["direct"].append(run_direct_s3(s3, endpoint, src))
                print(f"  s3 {label} run {i + 1} direct: {r['direct'][-1]['seconds']:.1f} s", flush=True)
    finally:
        for st in stacks:
            st.stop()
        if s3 is not None:
            s3.stop()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--sizes",
        type=parse_sizes,
        default=parse_sizes("1GiB,4GiB"),
        help="comma-separated file sizes for the local backend (default 1GiB,4GiB)",
    )
    parser.add_argument(
        "--s3-size",
        type=lambda t: (t, parse_size(t)),
        default=("1GiB", GiB),
        help="the S3 backend's file size (default 1GiB)",
    )
    parser.add_argument("--old", metavar="REV", help="also upload through a stack of git revision REV (before/after)")
    parser.add_argument("--no-s3", action="store_true", help="skip the S3 backend")
    parser.add_argument("--runs", type=int, default=1, help="runs per case (default 1)")
    parser.add_argument("--dir", default="/var/tmp", help="where the temp folder goes (default /var/tmp)")
    parser.add_argument("--no-write", action="store_true", help="print the table, leave BENCHMARKS.md alone")
    args = parser.parse_args()
    command = command_line("bench.ingest", None)
    started = utcnow()
    load_before = load_average()
    with workdir(parent=args.dir) as work:
        results = run(args, work)
    section = render(results, args, command, started, load_before)
    print(section)
    if not args.no_write:
        write_section("bench.ingest", section, markers=MARKERS)
        print("written to BENCHMARKS.md")


if __name__ == "__main__":
    main()
