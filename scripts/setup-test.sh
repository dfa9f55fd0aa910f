#!/usr/bin/env bash
# Installs what the test suite needs and is missing. As root on Debian: apt packages
# (ffmpeg, MariaDB, Chromium, nginx, wrk, kubectl);
# then the compose tooling (Docker engine and local base images), cached between runs.
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
command -v ffmpeg >/dev/null || need+=(ffmpeg)
command -v mariadbd >/dev/null || need+=(mariadb-server)
command -v chromium >/dev/null || need+=(chromium)
command -v nginx >/dev/null || need+=(nginx-light)
command -v wrk >/dev/null || need+=(wrk)
# kubectl renders deploy/kubernetes (tests/test_kubernetes.py); Debian's is 1.20.
command -v kubectl >/dev/null || need+=(kubernetes-client)
if ((${#need[@]})); then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "setup-test: installing ${need[*]}"
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}" fonts-dejavu-core
  else
    echo "setup-test: missing ${need[*]}; install them (Debian: apt-get install ${need[*]})" >&2
    exit 1
  fi
fi
# Debian 12's own kubectl (1.20, kustomize 2.0) must render deploy/kubernetes as a newer
# one does: when the kubectl on PATH is another version, unpack Debian's beside it
# (apt-get download: no install, no root needed) for tests/test_kubernetes.py.
KUBECTL_DEBIAN=/var/tmp/reelhouse-kubectl-debian
if command -v kubectl >/dev/null && ! kubectl version --client 2>/dev/null | grep -q 'v1\.20\.' \
   && [ ! -x "$KUBECTL_DEBIAN/usr/bin/kubectl" ] && command -v apt-get >/dev/null; then
  echo "setup-test: fetching Debian's kubectl (kubernetes-client) into $KUBECTL_DEBIAN"
  tmp=$(mktemp -d)
  if (cd "$tmp" && apt-get download -q kubernetes-client >/dev/null 2>&1 \
      || { [ "$(id -u)" = 0 ] && apt-get update -q >/dev/null && apt-get download -q kubernetes-client >/dev/null; }); then
    mkdir -p "$KUBECTL_DEBIAN" && dpkg-deb -x "$tmp"/kubernetes-client_*.deb "$KUBECTL_DEBIAN"
  else
    echo "setup-test: could not download Debian's kubernetes-client" >&2; rm -rf "$tmp"; exit 1
  fi
  rm -rf "$tmp"
fi
if [ "${SKIP_COMPOSE:-0}" != 1 ] && [ -x tests/compose/setup.sh ]; then
  bash tests/compose/setup.sh
fi
# Build the four service images now, so the compose test inside the suite hits the cache.
if [ "${SKIP_COMPOSE:-0}" != 1 ] && [ -f /var/tmp/docker-test/env.sh ]; then
  . /var/tmp/docker-test/env.sh
  made_env=0
  [ -f .env ] || { cp .env.example .env; made_env=1; }
  echo "setup-test: building the service images (cached after the first run)"
  docker compose -p reelhouse-test -f docker-compose.yml -f tests/compose/docker-compose.test.yml build -q \
    || { [ "$made_env" = 1 ] && rm -f .env; exit 1; }
  [ "$made_env" = 1 ] && rm -f .env
fi
exit 0
