#!/bin/bash
# Stand-in for the official mariadb image's entrypoint (local tests only). Honours:
#   MARIADB_ROOT_PASSWORD / MYSQL_ROOT_PASSWORD (root@localhost and root@'%' ,
#     MARIADB_ROOT_HOST to change '%'), MARIADB_ALLOW_EMPTY_ROOT_PASSWORD /
#     MYSQL_ALLOW_EMPTY_PASSWORD, MARIADB_RANDOM_ROOT_PASSWORD / MYSQL_RANDOM_ROOT_PASSWORD
#   MARIADB_DATABASE / MYSQL_DATABASE
#   MARIADB_USER / MYSQL_USER + MARIADB_PASSWORD / MYSQL_PASSWORD: user@'%' with ALL on
#     that database only
#   every variable also as VAR_FILE
#   /docker-entrypoint-initdb.d/*.sh, *.sql, *.sql.gz, *.sql.xz, *.sql.zst, in name order,
#     only when the data directory is empty
# then runs mariadbd as the mysql user, listening on 0.0.0.0:3306.
set -eo pipefail
shopt -s nullglob

_log() { printf '%s %s [Entrypoint]: %s\n' "$(date --rfc-3339=seconds)" "$1" "$2"; }
note() { _log '[Note]' "$*"; }
warn() { _log '[Warn]' "$*" >&2; }
die()  { _log '[ERROR]' "$*" >&2; exit 1; }

# envval NAME: MARIADB_NAME, else MYSQL_NAME, each also as a *_FILE.
envval() {
    local p var fvar
    for p in MARIADB MYSQL; do
        var="${p}_$1"; fvar="${p}_$1_FILE"
        if [ -n "${!var:-}" ]; then printf '%s' "${!var}"; return; fi
        if [ -n "${!fvar:-}" ]; then cat "${!fvar}"; return; fi
    done
}

sql_escape() {   # for a string inside '...'
    local nl=$'\n' s=${1//\\/\\\\}
    s=${s//$nl/\\n}
    printf '%s' "${s//\'/\\\'}"
}

# Options as the server would see them (datadir, socket).
server_opt() { "$@" --verbose --help 2>/dev/null | awk -v k="$OPT" '$1 == k { print $2; exit }'; }

if [ "${1:0:1}" = '-' ]; then set -- mariadbd "$@"; fi
case "$1" in mariadbd|mysqld) ;; *) exec "$@" ;; esac
for a; do
    case "$a" in -'?'|--help|--print-defaults|-V|--version) exec "$@" ;; esac
done

OPT=datadir; DATADIR=$(server_opt "$@"); DATADIR=${DATADIR:-/var/lib/mysql/}
OPT=socket;  SOCKET=$(server_opt "$@");  SOCKET=${SOCKET:-/run/mysqld/mysqld.sock}

if [ "$(id -u)" = 0 ]; then
    mkdir -p "$DATADIR" /run/mysqld
    find "$DATADIR" /run/mysqld \! -user mysql -exec chown mysql:mysql '{}' +
    chmod 1777 /run/mysqld
    exec gosu mysql "$BASH_SOURCE" "$@"
fi

ROOT_PASSWORD=$(envval ROOT_PASSWORD)
ROOT_HOST=$(envval ROOT_HOST); ROOT_HOST=${ROOT_HOST:-%}
DATABASE=$(envval DATABASE)
DB_USER=$(envval USER)
DB_PASSWORD=$(envval PASSWORD)
ALLOW_EMPTY=${MARIADB_ALLOW_EMPTY_ROOT_PASSWORD:-${MYSQL_ALLOW_EMPTY_PASSWORD:-}}
RANDOM_ROOT=${MARIADB_RANDOM_ROOT_PASSWORD:-${MYSQL_RANDOM_ROOT_PASSWORD:-}}

if [ ! -d "$DATADIR/mysql" ]; then
    if [ -z "$ROOT_PASSWORD" ] && [ -z "$ALLOW_EMPTY" ] && [ -z "$RANDOM_ROOT" ]; then
        die "Database is uninitialized and password option is not specified
	You need to specify one of MARIADB_ROOT_PASSWORD, MARIADB_ROOT_PASSWORD_HASH, MARIADB_ALLOW_EMPTY_ROOT_PASSWORD and MARIADB_RANDOM_ROOT_PASSWORD"
    fi
    if [ "$DB_USER" = root ]; then
        die 'MARIADB_USER="root", MARIADB_USER and MARIADB_PASSWORD are for configuring a regular user and cannot be used for the root user'
    fi
    if [ -n "$DB_USER" ] && [ -z "$DB_PASSWORD" ]; then
        warn 'MARIADB_USER specified, but missing MARIADB_PASSWORD; MARIADB_USER will not be created'
    elif [ -z "$DB_USER" ] && [ -n "$DB_PASSWORD" ]; then
        warn 'MARIADB_PASSWORD specified, but missing MARIADB_USER; MARIADB_PASSWORD will be ignored'
    fi
    if [ -n "$RANDOM_ROOT" ]; then
        ROOT_PASSWORD=$(tr -dc 'A-Za-z0-9!#%+,-.:=?@^_~' </dev/urandom | head -c 32 || true)
        note "GENERATED ROOT PASSWORD: $ROOT_PASSWORD"
    fi

    note "Initializing database files"
    mariadb-install-db --datadir="$DATADIR" --rpm --auth-root-authentication-method=normal \
        --skip-test-db --old-mode='' --skip-log-bin --default-time-zone=SYSTEM \
        --loose-innodb_buffer_pool_load_at_startup=0 --loose-innodb_buffer_pool_dump_at_shutdown=0 \
        >/dev/null
    note "Database files initialized"

    note "Starting temporary server"
    "$@" --skip-networking --default-time-zone=SYSTEM --socket="$SOCKET" --wsrep_on=OFF \
        --expire-logs-days=0 --loose-innodb_buffer_pool_load_at_startup=0 &
    TMP_PID=$!
    client() { mariadb --protocol=socket -uroot -hlocalhost --socket="$SOCKET" "$@"; }
    for i in $(seq 30 -1 0); do
        if MYSQL_PWD= client --database=mysql -e 'SELECT 1' >/dev/null 2>&1; then break; fi
        kill -0 "$TMP_PID" 2>/dev/null || die "temporary server exited"
        [ "$i" = 0 ] && die "Unable to start server."
        sleep 1
    done
    note "Temporary server started."

    RPW=$(sql_escape "$ROOT_PASSWORD")
    root_create=""
    if [ "$ROOT_HOST" != localhost ]; then
        root_create="CREATE USER 'root'@'$ROOT_HOST' IDENTIFIED BY '$RPW';
GRANT ALL ON *.* TO 'root'@'$ROOT_HOST' WITH GRANT OPTION;
GRANT PROXY ON ''@'%' TO 'root'@'$ROOT_HOST' WITH GRANT OPTION;"
    fi
    # A user for healthcheck.sh, as in the official image (password in the data dir).
    HC_PW=$(tr -dc 'A-Za-z0-9' </dev/urandom | head -c 32 || true)
    printf '[mariadb-client]\nport=3306\nsocket=%s\nuser=healthcheck\npassword=%s\n' \
        "$SOCKET" "$HC_PW" >"$DATADIR/.my-healthcheck.cnf"
    chmod 600 "$DATADIR/.my-healthcheck.cnf"
    db_sql=""
    if [ -n "$DATABASE" ]; then
        note "Creating database $DATABASE"
        db_sql="CREATE DATABASE IF NOT EXISTS \`$DATABASE\`;"
    fi
    user_sql=""
    if [ -n "$DB_USER" ] && [ -n "$DB_PASSWORD" ]; then
        note "Creating user $DB_USER"
        user_sql="CREATE USER '$DB_USER'@'%' IDENTIFIED BY '$(sql_escape "$DB_PASSWORD")';"
        if [ -n "$DATABASE" ]; then
            note "Giving user $DB_USER access to schema $DATABASE"
            # _ and % are wildcards in a GRANT's database name: escape them.
            esc=${DATABASE//_/\\_}; esc=${esc//%/\\%}
            user_sql="$user_sql
GRANT ALL ON \`$esc\`.* TO '$DB_USER'@'%';"
        fi
    fi
    note "Securing system users (equivalent to running mysql_secure_installation)"
    MYSQL_PWD= client --database=mysql --binary-mode <<-EOSQL
		SET @orig_sql_log_bin= @@SESSION.SQL_LOG_BIN;
		SET @@SESSION.SQL_LOG_BIN=0;
		SET @@SESSION.SQL_MODE=REPLACE(@@SESSION.SQL_MODE, 'NO_BACKSLASH_ESCAPES', '');
		DROP USER IF EXISTS root@'127.0.0.1', root@'::1';
		EXECUTE IMMEDIATE CONCAT('DROP USER IF EXISTS root@\'', @@hostname,'\'');
		DELETE FROM mysql.global_priv WHERE User='';
		SET PASSWORD FOR 'root'@'localhost'= PASSWORD('$RPW');
		$root_create
		CREATE USER 'healthcheck'@'127.0.0.1' IDENTIFIED BY '$HC_PW';
		CREATE USER 'healthcheck'@'::1' IDENTIFIED BY '$HC_PW';
		CREATE USER 'healthcheck'@'localhost' IDENTIFIED BY '$HC_PW';
		GRANT USAGE ON *.* TO 'healthcheck'@'127.0.0.1', 'healthcheck'@'::1', 'healthcheck'@'localhost';
		FLUSH PRIVILEGES;
		SET @@SESSION.SQL_LOG_BIN=@orig_sql_log_bin;
		$db_sql
		$user_sql
	EOSQL

    export MYSQL_PWD="$ROOT_PASSWORD"
    process_sql() { client ${DATABASE:+--database="$DATABASE"} "$@"; }
    for f in /docker-entrypoint-initdb.d/*; do
        case "$f" in
            *.sh)
                if [ -x "$f" ]; then note "$0: running $f"; "$f"
                else note "$0: sourcing $f"; . "$f"; fi ;;
            *.sql)     note "$0: running $f"; process_sql <"$f" ;;
            *.sql.gz)  note "$0: running $f"; gunzip -c "$f" | process_sql ;;
            *.sql.xz)  note "$0: running $f"; xzcat "$f" | process_sql ;;
            *.sql.zst) note "$0: running $f"; zstd -dc "$f" | process_sql ;;
            *)         note "$0: ignoring $f" ;;
        esac
    done
    unset MYSQL_PWD

    note "Stopping temporary server"
    kill "$TMP_PID"
    wait "$TMP_PID" || true
    note "Temporary server stopped"
    echo
    note "MariaDB init process done. Ready for start up."
    echo
fi

exec "$@"
