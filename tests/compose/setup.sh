#!/usr/bin/env bash
# Test tooling: a Docker engine, compose v2, buildx and local stand-in base images on a
# Debian 12 machine that has no Docker engine and no access to Docker Hub.
#
#   bash tests/compose/setup.sh          # idempotent; the second run takes seconds
#   . /var/tmp/docker-test/env.sh        # then: docker compose ...
#   bash tests/compose/teardown.sh       # stops dockerd if setup.sh started it
#
# See tests/compose/README.md. Must run as root.
set -euo pipefail

START=$SECONDS
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
STANDINS="$HERE/standins"
STATE=/var/tmp/docker-test          # pid, marker, env.sh, logs, rootfs tarballs
W=/var/tmp/docker-trixie            # Debian 13 engine/compose/buildx packages, unpacked
DATA_ROOT=/var/lib/docker-test
LABEL=org.video-streaming.test.standin-hash
PKGS="docker.io docker-cli containerd docker-compose docker-buildx tini"

log()  { printf '[setup %4ds] %s\n' "$((SECONDS - START))" "$*"; }
die()  { printf '[setup] ERROR: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root"
mkdir -p "$STATE/logs" "$STATE/bin"

# The Debian mirror (and its security archive): this machine's own, from its apt sources,
# or DEBIAN_MIRROR / DEBIAN_SECURITY_MIRROR. The stand-ins' apt sources are filled from
# standins/debian.sources.in into $STATE/apt, passed to their builds as the context "apt".
. "$HERE/debian-mirror.sh"
debian_mirrors bookworm || die "no Debian mirror"
mkdir -p "$STATE/apt"
render_sources "$STANDINS/debian.sources.in" "$STATE/apt/debian.sources"

# ---------------------------------------------------------------- helpers
# apt-get that waits for another apt/dpkg process instead of failing on its lock.
apt_get() {
    local i out
    out=$(mktemp)
    for i in $(seq 1 90); do
        if DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=600 "$@" \
                >"$out" 2>&1; then
            cat "$out" >>"$STATE/logs/apt.log"; rm -f "$out"
            return 0
        fi
        cat "$out" >>"$STATE/logs/apt.log"
        if ! grep -qiE 'could not get lock|unable to (acquire|lock)|is another process using it' "$out"; then
            tail -20 "$out" >&2; rm -f "$out"
            return 1
        fi
        log "apt/dpkg is locked (another install running?), retrying in 10 s"
        sleep 10
    done
    rm -f "$out"
    return 1
}

ensure_host_pkg() {   # ensure_host_pkg PACKAGE...
    local missing=() p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed' \
            || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    log "apt-get install ${missing[*]}"
    apt_get install -y --no-install-recommends "${missing[@]}" \
        || { apt_get update && apt_get install -y --no-install-recommends "${missing[@]}"; } \
        || die "could not install ${missing[*]} (see $STATE/logs/apt.log)"
}

# Debian 13's dockerd/containerd/compose/buildx, unpacked under $W (cached).
ensure_trixie_pkgs() {
    local stamp="$W/.unpacked" want="v1 $PKGS"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$W/root/usr/sbin/dockerd" ]; then
        return 0
    fi
    ensure_host_pkg runc
    log "fetching Debian 13 packages: $PKGS (once; cached in $W)"
    mkdir -p "$W/srcd" "$W/lists/partial" "$W/cache/archives/partial" "$W/debs"
    printf 'Types: deb\nURIs: %s\nSuites: trixie\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
        "$MIRROR" >"$W/srcd/trixie.sources"
    local O=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$W/srcd"
             -o "Dir::State::Lists=$W/lists" -o "Dir::Cache=$W/cache")
    apt-get -q "${O[@]}" update >"$STATE/logs/trixie-apt.log" 2>&1 \
        || { tail -20 "$STATE/logs/trixie-apt.log" >&2; die "apt-get update (trixie) failed"; }
    rm -f "$W"/debs/*.deb
    (cd "$W/debs" && apt-get -q "${O[@]}" download $PKGS) >>"$STATE/logs/trixie-apt.log" 2>&1 \
        || { tail -20 "$STATE/logs/trixie-apt.log" >&2; die "apt-get download (trixie) failed"; }
    rm -rf "$W/root.new" "$W/root.old"
    local d
    for d in "$W"/debs/*.deb; do dpkg -x "$d" "$W/root.new"; done
    # Debian 13's runc needs a newer glibc: keep Debian 12's (/usr/sbin/runc).
    rm -f "$W/root.new/usr/sbin/runc" "$W/root.new/usr/bin/runc"
    [ -x "$W/root.new/usr/sbin/dockerd" ] || die "dockerd not found in the unpacked packages"
    [ -x "$W/root.new/usr/bin/docker" ] || die "docker client not found in the unpacked packages"
    # Swap in place (a running dockerd may be using the old files).
    [ -d "$W/root" ] && mv "$W/root" "$W/root.old"
    mv "$W/root.new" "$W/root"
    rm -rf "$W/root.old"
    echo "$want" >"$stamp"
}

# The compose and buildx plugins in ~/.docker/cli-plugins, where both the Debian 13
# client and a /usr/local/bin/docker client (e.g. Docker 28) look for them.
install_plugins() {
    local dst="$HOME/.docker/cli-plugins" p
    mkdir -p "$dst"
    for p in "$W"/root/usr/libexec/docker/cli-plugins/docker-*; do
        [ -e "$p" ] || continue
        if ! cmp -s "$p" "$dst/$(basename "$p")"; then
            cp -f "$p" "$dst/" && log "installed $(basename "$p") into $dst"
        fi
    done
}

docker_ok() { timeout 20 docker info >/dev/null 2>&1; }

# ---------------------------------------------------------------- 1. engine
# Prefer Debian 13's client (same API version as its engine) over any other docker client
# (e.g. a Docker 28 client in /usr/local/bin): $STATE/bin/docker, first in PATH.
use_trixie_client() {
    if [ -x "$W/root/usr/bin/docker" ]; then
        ln -sfn "$W/root/usr/bin/docker" "$STATE/bin/docker"
        case ":$PATH:" in *":$STATE/bin:"*) ;; *) export PATH="$STATE/bin:$PATH" ;; esac
    fi
}
use_trixie_client

if command -v docker >/dev/null 2>&1 && docker_ok; then
    if [ -f "$STATE/started-by-setup" ] && [ -f "$STATE/dockerd.pid" ] \
            && kill -0 "$(cat "$STATE/dockerd.pid")" 2>/dev/null; then
        log "engine already running (started earlier by setup.sh, pid $(cat "$STATE/dockerd.pid"))"
    else
        log "reusing the running Docker engine"
    fi
    if [ -d "$W" ] || ! docker compose version >/dev/null 2>&1 \
            || ! docker buildx version >/dev/null 2>&1; then
        ensure_trixie_pkgs
        install_plugins
        use_trixie_client
    fi
else
    # iptables: the engine runs with --iptables=false, but its embedded DNS (service
    # names on user-defined networks) still needs the iptables command in the container.
    ensure_host_pkg runc iptables
    ensure_trixie_pkgs
    install_plugins
    use_trixie_client
    # A dockerd of ours that is still starting: wait for it instead of starting another.
    pid=""
    if [ -f "$STATE/dockerd.pid" ]; then
        pid=$(cat "$STATE/dockerd.pid")
        kill -0 "$pid" 2>/dev/null && [ "$(cat /proc/"$pid"/comm 2>/dev/null)" = dockerd ] || pid=""
    fi
    if [ -z "$pid" ]; then
        rm -f "$STATE/dockerd.pid" "$STATE/started-by-setup"
        log "starting dockerd (data root $DATA_ROOT, log $STATE/logs/dockerd.log)"
        mkdir -p "$DATA_ROOT"
        # setsid: the engine outlives this script and its caller's process group.
        PATH="$W/root/usr/bin:$W/root/usr/sbin:$PATH" setsid dockerd \
            --iptables=false --ip6tables=false --bridge=none \
            --data-root "$DATA_ROOT" --pidfile "$STATE/dockerd.pid" \
            >>"$STATE/logs/dockerd.log" 2>&1 </dev/null &
        echo "started by tests/compose/setup.sh at $(date -Is)" >"$STATE/started-by-setup"
    fi
    for i in $(seq 1 120); do
        docker_ok && break
        [ "$i" = 120 ] && { tail -30 "$STATE/logs/dockerd.log" >&2; die "dockerd did not come up"; }
        sleep 0.5
    done
    [ -f "$STATE/dockerd.pid" ] || die "dockerd is up but wrote no pid file"
    log "dockerd is up (pid $(cat "$STATE/dockerd.pid"))"
fi

# env.sh: what the tests source to get the same client as this script.
{
    echo "# Written by tests/compose/setup.sh. Source it before running docker / docker compose."
    if [ -x "$STATE/bin/docker" ] && [ "$(command -v docker)" = "$STATE/bin/docker" ]; then
        echo "case \":\$PATH:\" in *\":$STATE/bin:\"*) ;; *) export PATH=\"$STATE/bin:\$PATH\" ;; esac"
    fi
    if [ -n "${DOCKER_HOST:-}" ]; then
        echo "export DOCKER_HOST=\"$DOCKER_HOST\""
    else
        echo "export DOCKER_HOST=unix:///var/run/docker.sock"
    fi
    echo "export DOCKER_BUILDKIT=1"
} >"$STATE/env.sh.new"
mv -f "$STATE/env.sh.new" "$STATE/env.sh"
. "$STATE/env.sh"

docker compose version >/dev/null 2>&1 || die "'docker compose' does not work with $(command -v docker)"
docker buildx version >/dev/null 2>&1 || die "'docker buildx' does not work with $(command -v docker)"

# ---------------------------------------------------------------- 2. stand-in images
ensure_host_pkg debootstrap

# This machine's CA bundle (and its local CAs): PyPI/npm/apt over TLS need them.
mkdir -p "$STATE/hostca/local"
cmp -s /etc/ssl/certs/ca-certificates.crt "$STATE/hostca/ca-certificates.crt" \
    || cp -f /etc/ssl/certs/ca-certificates.crt "$STATE/hostca/ca-certificates.crt"
rm -f "$STATE"/hostca/local/*.crt
if compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
    cp -f /usr/local/share/ca-certificates/*.crt "$STATE/hostca/local/"
fi
CA_HASH=$(cd "$STATE/hostca" && find . -type f | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-16)
APT_HASH=$(sha256sum <"$STATE/apt/debian.sources" | cut -c1-16)

dir_hash() {   # dir_hash DIR EXTRA...: content hash of a stand-in's files plus extra strings
    { (cd "$1" && find . -type f | LC_ALL=C sort | xargs sha256sum); shift; printf '%s\n' "$@"; } \
        | sha256sum | cut -c1-16
}

image_hash() { docker image inspect -f "{{ index .Config.Labels \"$LABEL\" }}" "$1" 2>/dev/null || true; }

# rootfs IMAGE_NAME PACKAGES: a debootstrap minbase bookworm rootfs as a local image.
rootfs() {
    local name=$1 include=$2 key tar tmp ref
    key=$(printf 'bookworm minbase %s %s v1\n' "$include" "$MIRROR" | sha256sum | cut -c1-12)
    ref="video-test/rootfs-$name:$key"
    tar="$STATE/rootfs/bookworm-$name-$key.tar"
    ROOTFS_REF=$ref
    if docker image inspect "$ref" >/dev/null 2>&1; then return 0; fi
    if [ ! -s "$tar" ]; then
        log "debootstrap bookworm minbase + $include (once; cached in $tar)"
        mkdir -p "$STATE/rootfs" "$STATE/debootstrap-cache"
        tmp="$STATE/rootfs/tmp-$name"
        rm -rf "$tmp"
        debootstrap --variant=minbase --include="$include" --cache-dir="$STATE/debootstrap-cache" \
            bookworm "$tmp" "$MIRROR" >"$STATE/logs/debootstrap-$name.log" 2>&1 \
            || { tail -20 "$STATE/logs/debootstrap-$name.log" >&2; die "debootstrap failed"; }
        rm -rf "$tmp"/var/cache/apt/archives/*.deb "$tmp"/var/lib/apt/lists/* "$tmp"/tmp/* \
            "$tmp"/var/log/* 2>/dev/null || true
        tar --numeric-owner -C "$tmp" -cf "$tar.part" . && mv -f "$tar.part" "$tar"
        rm -rf "$tmp"
    fi
    log "importing $tar as $ref"
    docker import "$tar" "$ref" >/dev/null
    # Drop rootfs images of other (older) keys.
    docker images --format '{{.Repository}}:{{.Tag}}' "video-test/rootfs-$name" \
        | grep -vxF "$ref" | xargs -r docker rmi >/dev/null 2>&1 || true
}

# build NAME DIR HASH [docker build args...]: build the stand-in unless the engine has it.
build() {
    local name=$1 dir=$2 hash=$3 t0=$SECONDS have old_id
    shift 3
    have=$(image_hash "$name")
    old_id=$(docker image inspect -f '{{.Id}}' "$name" 2>/dev/null || true)
    if [ "$have" = "$hash" ]; then
        log "$name: present (hash $hash)"
        return 0
    fi
    log "$name: building (hash $hash${have:+, was $have}) ..."
    if ! docker buildx build --progress=plain --network host \
            --build-context hostca="$STATE/hostca" --build-context apt="$STATE/apt" --label "$LABEL=$hash" \
            -t "$name" "$@" "$dir" >"$STATE/logs/build-${name//[:\/]/_}.log" 2>&1; then
        tail -40 "$STATE/logs/build-${name//[:\/]/_}.log" >&2
        die "building $name failed (log: $STATE/logs/build-${name//[:\/]/_}.log)"
    fi
    log "$name: built in $((SECONDS - t0)) s"
    # The image this one replaced, unless something still uses it.
    [ -n "$old_id" ] && docker rmi "$old_id" >/dev/null 2>&1 || true
}

PY=python:3.12-slim-bookworm
NODE=node:20-bookworm-slim
MARIADB=mariadb:10.5
SEAWEED=chrislusf/seaweedfs:4.48

rootfs python "python3,python3-pip,python3-venv,ca-certificates"
PY_HASH=$(dir_hash "$STANDINS/python" "$ROOTFS_REF" "$CA_HASH" "$APT_HASH")
build "$PY" "$STANDINS/python" "$PY_HASH" --build-arg "ROOTFS=$ROOTFS_REF"

# npm is installed by the Dockerfile: debootstrap cannot resolve its dependencies.
rootfs node "nodejs,ca-certificates"
NODE_HASH=$(dir_hash "$STANDINS/node" "$ROOTFS_REF" "$CA_HASH" "$APT_HASH")
build "$NODE" "$STANDINS/node" "$NODE_HASH" --build-arg "ROOTFS=$ROOTFS_REF"

# These two are built FROM the python stand-in: its hash is part of theirs.
build "$MARIADB" "$STANDINS/mariadb" "$(dir_hash "$STANDINS/mariadb" "$PY_HASH")"
build "$SEAWEED" "$STANDINS/seaweedfs" "$(dir_hash "$STANDINS/seaweedfs" "$PY_HASH")"

# ---------------------------------------------------------------- summary
echo
docker images --format 'table {{.Repository}}:{{.Tag}}\t{{.ID}}\t{{.Size}}' \
    | grep -E "^(REPOSITORY|${PY%%:*}:|${NODE%%:*}:|${MARIADB%%:*}:|${SEAWEED%%:*}:|video-test/)" || true
echo
engine_pid="(not started by setup.sh)"
[ -f "$STATE/started-by-setup" ] && [ -f "$STATE/dockerd.pid" ] && engine_pid="$(cat "$STATE/dockerd.pid")"
echo "client:  $(command -v docker) ($(docker version -f '{{.Client.Version}}' 2>/dev/null)), engine $(docker version -f '{{.Server.Version}}' 2>/dev/null), $(docker compose version 2>/dev/null)"
echo "dockerd pid: $engine_pid"
echo "use:     . $STATE/env.sh && docker compose ..."
log "done in $((SECONDS - START)) s"
