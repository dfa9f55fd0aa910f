#!/bin/bash
# Stand-in for the official mariadb image's healthcheck.sh (local tests only).
#   healthcheck.sh [--connect] [--innodb_initialized] ...   (default: --connect)
# Uses the healthcheck user that docker-entrypoint.sh created (credentials in the
# data directory). Unknown options are accepted and ignored.
set -eo pipefail
DATADIR=${DATADIR:-/var/lib/mysql}
CNF="$DATADIR/.my-healthcheck.cnf"
[ -r "$CNF" ] || { echo "healthcheck: $CNF missing (not initialised yet?)" >&2; exit 1; }
q() { mariadb --defaults-extra-file="$CNF" --protocol=tcp -h127.0.0.1 -N -B -e "$1"; }
checks=()
for a; do
    case "$a" in
        --connect|--innodb_initialized|--innodb_buffer_pool_loaded) checks+=("${a#--}") ;;
    esac
done
[ ${#checks[@]} -gt 0 ] || checks=(connect)
for c in "${checks[@]}"; do
    case "$c" in
        connect) q 'SELECT 1' >/dev/null ;;
        innodb_initialized|innodb_buffer_pool_loaded)
            [ "$(q "SELECT 1 FROM information_schema.ENGINES WHERE engine='InnoDB' AND support IN ('YES','DEFAULT','ENABLED')")" = 1 ] ;;
    esac || { echo "healthcheck: $c failed" >&2; exit 1; }
done
