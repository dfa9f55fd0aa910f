"""The harness's primitives: a free loopback port, waiting for a condition, stopping a
process we started. Everything else in the harness is built on these three."""

from __future__ import annotations

import random
import socket
import subprocess
import time
from pathlib import Path

# Ports handed to the services this process starts: {port: the socket that reserves it}.
_RESERVED: dict[int, socket.socket] = {}


def _ephemeral_range() -> tuple[int, int]:
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32768, 60999


def _harness_range() -> tuple[int, int]:
    """The ports the harness hands out: below the ephemeral range, which the kernel never
    hands out by itself (or above it, on a machine whose range starts low)."""
    low, high = _ephemeral_range()
    return (10000, low - 1) if low > 11000 else (high + 1, 65535)


def _reserve(port: int) -> bool:
    """Hold `port` for this process, when no harness process holds it and nothing binds it."""
    if port in _RESERVED:
        return False
    lock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        lock.bind(f"\0reelhouse-test-port-{port}")
    except OSError:
        lock.close()
        return False
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn and mariadbd bind
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            lock.close()
            return False
    _RESERVED[port] = lock
    return True


def free_port() -> int:
    """A free loopback port for a service that binds it later, reserved without a race.

    Ports of the kernel's (bind 0) can be taken between the choice and the bind: the
    kernel hands them out again, to any process's outgoing connection too. So the port
    comes from below the ephemeral range, which the kernel never hands out by itself;
    a reservation per port (an abstract Unix socket named after it, held as long as this
    process lives and gone when it ends, even killed) keeps every other harness process,
    a parallel test run included, off it; and a trial bind skips one that something else
    already holds."""
    first, last = _harness_range()
    candidates = list(range(first, last + 1))
    random.shuffle(candidates)
    for port in candidates:
        if _reserve(port):
            return port
    raise RuntimeError(f"no free port in {first}-{last}")


def free_port_pair(offset: int) -> tuple[int, int]:
    """Two free ports `offset` apart (reserved as free_port's), for a server that derives
    one port from the other whatever its flags say (SeaweedFS's gRPC ports: HTTP + 10000)."""
    first, last = _harness_range()
    candidates = list(range(first, last - offset + 1))
    random.shuffle(candidates)
    for port in candidates:
        if not _reserve(port):
            continue
        if _reserve(port + offset):
            return port, port + offset
        _RESERVED.pop(port).close()
    raise RuntimeError(f"no two free ports {offset} apart in {first}-{last}")


def stop_process(proc: subprocess.Popen | None, timeout: float = 30) -> None:
    """SIGTERM a process we started and wait for it; SIGKILL it after `timeout`."""
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def wait_until(predicate, timeout: float, what: str, log: Path | None = None, interval: float = 0.1):
    """`predicate()`'s first true answer, tried every `interval` seconds (its exceptions
    too) until `timeout`; then a TimeoutError that names `what`, with the last error and
    the tail of `log` (the service's own words on why it is not ready)."""
    deadline = time.monotonic() + timeout
    last_exc = None
    while time.monotonic() < deadline:
        try:
            result = predicate()
            if result:
                return result
        except Exception as exc:  # noqa: BLE001 - retried until the deadline
            last_exc = exc
        time.sleep(interval)
    tail = ""
    if log is not None and log.exists():
        tail = "\n--- log tail ---\n" + "\n".join(log.read_text(errors="replace").splitlines()[-60:])
    raise TimeoutError(f"{what} not ready after {timeout}s (last error: {last_exc}){tail}")
