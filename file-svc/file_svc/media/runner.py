"""The one place ffmpeg and ffprobe are started, each within a Budget given as a value.

Every child runs with the budget's address-space limit (RLIMIT_AS), glibc's malloc
arenas capped at 2 (each one reserves 64 MB of address space per thread otherwise, which
RLIMIT_AS counts), death with its parent (SIGKILL included, so no orphan keeps working),
and for background work a lower CPU priority (`nice`). Its input is only the file
itself: the `file` protocol and the container demuxers we accept, so a "video" that is
really an HLS or concat playlist can never make ffmpeg read anything else; its decoders
are told the pixel limit and the thread count.
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import signal
import subprocess
import threading
from pathlib import Path

import ffmpeg

from vs_common.settings import MiB

from .budget import Budget
from .errors import Cancelled, OverBudget, PackagingError, ProbeFailed, last_error

# Demuxers we accept: mp4/mov, Matroska/WebM, AVI. Everything else is not a video to us.
FORMAT_WHITELIST = "mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,avi"
INPUT_OPTIONS = {"protocol_whitelist": "file", "format_whitelist": FORMAT_WHITELIST}
PROBE_TIMEOUT = 60
ENCODE_TIMEOUT = 6 * 3600


def source_input(src: Path | str, budget: Budget, **options):
    """The source as an ffmpeg-python input: only the file, within the pixel and thread budget."""
    return ffmpeg.input(f"file:{src}", **INPUT_OPTIONS, **budget.decoder_options(), **options)


def command(outputs) -> list[str]:
    """The ffmpeg command of an ffmpeg-python output (or merged outputs): quiet but for
    errors, no stdin, files overwritten."""
    return outputs.global_args("-nostdin", "-v", "error", "-y").compile(cmd="ffmpeg")


def run_ffmpeg(
    cmd: list[str],
    budget: Budget,
    log_path: Path,
    *,
    cancel: threading.Event | None = None,
    nice: int = 0,
    timeout: float = ENCODE_TIMEOUT,
    watch: tuple[Path, int] | None = None,
) -> None:
    """Run ffmpeg (its errors to `log_path`); kill it if `cancel` is set or it runs past
    `timeout` (Cancelled), or once the folder of `watch` holds more than its bytes
    (OverBudget); PackagingError with its last error line in words if it fails."""
    with open(log_path, "ab") as err:
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=err,
            preexec_fn=_child_setup(budget, nice),
            env=_child_env(),
        )
        code = _wait(proc, budget, cancel, timeout, watch)
    if watch is not None and folder_bytes(watch[0]) > watch[1]:
        raise OverBudget(watch[1], budget)
    if code != 0:
        raise PackagingError(f"ffmpeg exited with {code}: {last_error(log_path.read_text(errors='replace'))}")


def _wait(proc: subprocess.Popen, budget: Budget, cancel, timeout: float, watch) -> int:
    """The child's exit code, watching it every half second meanwhile."""
    waited = 0.0
    while True:
        try:
            return proc.wait(timeout=0.5)
        except subprocess.TimeoutExpired:
            waited += 0.5
            if (cancel is not None and cancel.is_set()) or waited > timeout:
                _kill(proc)
                raise Cancelled("packaging stopped: the job was cancelled or timed out") from None
            if watch is not None and folder_bytes(watch[0]) > watch[1]:
                _kill(proc)
                raise OverBudget(watch[1], budget) from None


def _kill(proc: subprocess.Popen) -> None:
    proc.kill()
    proc.wait()


def capture(cmd: list[str], budget: Budget, timeout: float = PROBE_TIMEOUT) -> subprocess.CompletedProcess:
    """Run a short ffprobe or ffmpeg whose answer is its output (stdout and stderr kept);
    subprocess.TimeoutExpired past `timeout`."""
    return subprocess.run(cmd, capture_output=True, timeout=timeout, preexec_fn=_child_setup(budget), env=_child_env())


def ffprobe(args: list[str], path: Path | str, budget: Budget, timeout: float = PROBE_TIMEOUT) -> dict:
    """ffprobe's JSON for a source, within the budget; ProbeFailed with its stderr if it fails."""
    opts = []
    for key, value in {**INPUT_OPTIONS, **budget.decoder_options()}.items():
        opts += [f"-{key}", value]
    proc = capture(["ffprobe", "-v", "error", *opts, "-of", "json", *args, f"file:{path}"], budget, timeout)
    if proc.returncode != 0:
        raise ProbeFailed(proc.stderr.decode(errors="replace"))
    return json.loads(proc.stdout or b"{}")


def probe_segment(segment: Path, budget: Budget) -> dict:
    """ffprobe's first video stream of one of our own MPEG-TS segments (the mpegts demuxer,
    which the uploads' whitelist does not allow)."""
    cmd = ["ffprobe", "-v", "error", "-protocol_whitelist", "file", "-select_streams", "v:0", "-show_streams"]
    proc = capture([*cmd, "-of", "json", f"file:{segment}"], budget)
    if proc.returncode != 0:
        raise PackagingError(f"a segment could not be read back: {last_error(proc.stderr.decode(errors='replace'))}")
    return json.loads(proc.stdout)


def folder_bytes(folder: Path) -> int:
    """Bytes of the files under `folder` (what vanishes meanwhile is not counted)."""
    total = 0
    for root, _dirs, files in os.walk(folder):
        for name in files:
            try:
                total += os.stat(os.path.join(root, name)).st_size
            except FileNotFoundError:
                continue
    return total


def _child_env() -> dict[str, str]:
    return {**os.environ, "MALLOC_ARENA_MAX": "2"}


def _child_setup(budget: Budget, nice: int = 0):
    """Run in the child before exec: the memory bound, death with its parent, `nice`."""
    limit = budget.memory_mb * MiB

    def setup() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        if nice:
            os.nice(nice)

    return setup
