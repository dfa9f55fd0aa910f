#!/usr/bin/env bash
# Stops the Docker engine that tests/compose/setup.sh started (by its pid), and only that
# one; an engine that was already running is left alone. Keeps every cache: the unpacked
# packages (/var/tmp/docker-trixie), rootfs tarballs (/var/tmp/docker-test) and images
# (/var/lib/docker-test), so the next setup.sh takes seconds.
#
#   bash tests/compose/teardown.sh
set -euo pipefail
STATE=/var/tmp/docker-test
PIDFILE="$STATE/dockerd.pid"
MARKER="$STATE/started-by-setup"

if [ ! -f "$MARKER" ]; then
    echo "[teardown] dockerd was not started by setup.sh: nothing to stop"
    exit 0
fi
pid=$(cat "$PIDFILE" 2>/dev/null || true)
if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then
    echo "[teardown] dockerd (pid ${pid:-?}) is not running"
    rm -f "$MARKER" "$PIDFILE"
    exit 0
fi
if [ "$(cat /proc/"$pid"/comm 2>/dev/null)" != dockerd ]; then
    echo "[teardown] pid $pid is not dockerd any more: not touching it"
    rm -f "$MARKER" "$PIDFILE"
    exit 0
fi
echo "[teardown] stopping dockerd (pid $pid); running containers stop with it"
kill -TERM "$pid"
for _ in $(seq 1 60); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
done
if kill -0 "$pid" 2>/dev/null; then
    echo "[teardown] dockerd still running after 30 s: sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    sleep 1
fi
rm -f "$MARKER" "$PIDFILE"
echo "[teardown] done (caches kept)"
