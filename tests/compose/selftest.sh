#!/usr/bin/env bash
# Proves the engine and the stand-ins work (run after setup.sh):
#  - mariadb:10.5: env contract, init SQL, user confined to its database, restart
#    keeps data (init not rerun), healthcheck.sh
#  - chrislusf/seaweedfs:4.48: bucket created at start, put/get from the host; in
#    compose, started like the real one (sh -c "... exec weed server ...")
#  - compose v2: build with network host + additional_contexts, node stage with
#    npm install hls.js, python stage with pip install flask, service-name DNS,
#    healthchecks, depends_on service_healthy, --wait
# Uses 127.0.0.1 ports 33306, 38333, 39333, 38080 (SELFTEST_*_PORT to change). Removes what
# it created; leaves the engine and the images.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. /var/tmp/docker-test/env.sh
DB_PORT=${SELFTEST_DB_PORT:-33306}
S3_PORT=${SELFTEST_S3_PORT:-38333}
S3_MASTER_PORT=${SELFTEST_S3_MASTER_PORT:-39333}
export SELFTEST_APP_PORT=${SELFTEST_APP_PORT:-38080}
NET=standin-selftest-net
TMP=$(mktemp -d /var/tmp/docker-test/selftest.XXXXXX)
pass=0; fail=0
ok()  { echo "  ok   $*"; pass=$((pass + 1)); }
bad() { echo "  FAIL $*"; fail=$((fail + 1)); }
check() { local what=$1; shift; if "$@" >/dev/null 2>&1; then ok "$what"; else bad "$what"; fi; }
cleanup() {
    docker rm -f -v standin-selftest-db standin-selftest-s3 >/dev/null 2>&1 || true
    (cd "$HERE/selftest" && docker compose down -v --remove-orphans >/dev/null 2>&1) || true
    docker network rm "$NET" >/dev/null 2>&1 || true
    rm -rf "$TMP"
}
trap cleanup EXIT
cleanup; TMP=$(mktemp -d /var/tmp/docker-test/selftest.XXXXXX)
docker network create "$NET" >/dev/null

wait_healthy() {   # wait_healthy CONTAINER SECONDS
    local i s
    for i in $(seq 1 "$2"); do
        s=$(docker inspect -f '{{.State.Health.Status}}' "$1" 2>/dev/null || echo gone)
        [ "$s" = healthy ] && return 0
        sleep 1
    done
    docker logs --tail 30 "$1" >&2; return 1
}

# No mariadb client on the host: use the image's, in the host's network namespace.
if [ -n "${SELFTEST_NO_HOST_CLIENT:-}" ] || ! command -v mariadb >/dev/null 2>&1; then
    mariadb() { docker run --rm -i --network host -e MYSQL_PWD mariadb:10.5 mariadb "$@"; }
    export -f mariadb
fi

echo "== mariadb:10.5"
mkdir -p "$TMP/data"
run_db() {
    docker run -d --name standin-selftest-db --network "$NET" -p "127.0.0.1:$DB_PORT:3306" \
        -e MYSQL_ROOT_PASSWORD=root-pass -e MYSQL_DATABASE=video_db \
        -e MYSQL_USER=appuser -e MYSQL_PASSWORD="app'pass" \
        -v "$HERE/selftest/initdb:/docker-entrypoint-initdb.d:ro" -v "$TMP/data:/var/lib/mysql" \
        --health-cmd 'healthcheck.sh --connect --innodb_initialized' --health-interval 1s \
        mariadb:10.5 >/dev/null
}
run_db
check "becomes healthy (healthcheck.sh --connect --innodb_initialized)" wait_healthy standin-selftest-db 90
my() { MYSQL_PWD="$2" mariadb -h127.0.0.1 -P"$DB_PORT" -u"$1" -N -B "${@:3}"; }
check "user logs in from the host and sees the init table" \
    bash -c "[ \"\$(MYSQL_PWD=\"app'pass\" mariadb -h127.0.0.1 -P$DB_PORT -uappuser -N -B video_db -e 'SELECT video_name FROM selftest_videos')\" = first ]"
check "user can create a table in video_db" my appuser "app'pass" video_db -e 'CREATE TABLE t2 (x INT)'
check "user sees only information_schema and video_db" \
    bash -c "[ \"\$(MYSQL_PWD=\"app'pass\" mariadb -h127.0.0.1 -P$DB_PORT -uappuser -N -B -e 'SHOW DATABASES' | tr '\n' ' ')\" = 'information_schema video_db ' ]"
if my appuser "app'pass" mysql -e 'SELECT 1' >/dev/null 2>&1; then bad "user denied the mysql database"; else ok "user denied the mysql database"; fi
if my appuser "app'pass" -e 'CREATE DATABASE other' >/dev/null 2>&1; then bad "user cannot create other databases"; else ok "user cannot create other databases"; fi
check "root@'%' logs in over TCP" my root root-pass -e 'SELECT 1'
check "root@localhost has the password (socket, in the container)" \
    docker exec -e MYSQL_PWD=root-pass standin-selftest-db mariadb -uroot -e 'SELECT 1'
check "no anonymous users" bash -c "[ \"\$(MYSQL_PWD=root-pass mariadb -h127.0.0.1 -P$DB_PORT -uroot -N -B -e \"SELECT COUNT(*) FROM mysql.user WHERE user=''\")\" = 0 ]"
check "mariadbd runs as mysql (uid 999)" \
    bash -c "[ \"\$(docker top standin-selftest-db -o pid,uid,comm | awk '\$3==\"mariadbd\"{print \$2}')\" = 999 ]"
check "listens on 0.0.0.0:3306" bash -c "docker logs standin-selftest-db 2>&1 | grep -q \"Server socket created on IP: '0.0.0.0', port: '3306'\""
docker rm -f standin-selftest-db >/dev/null
run_db
check "restart on the same data: healthy again" wait_healthy standin-selftest-db 60
check "restart: data kept, init scripts not rerun" \
    bash -c "[ \"\$(MYSQL_PWD=root-pass mariadb -h127.0.0.1 -P$DB_PORT -uroot -N -B video_db -e 'SELECT COUNT(*) FROM selftest_videos; SHOW TABLES LIKE \"t2\"' | tr '\n' ' ')\" = '1 t2 ' ]"
check "restart: log says nothing about initialising" bash -c "! docker logs standin-selftest-db 2>&1 | grep -q 'Initializing database files'"
docker rm -f -v standin-selftest-db >/dev/null

echo "== chrislusf/seaweedfs:4.48"
docker run -d --name standin-selftest-s3 --network "$NET" -p "127.0.0.1:$S3_PORT:8333" \
    -p "127.0.0.1:$S3_MASTER_PORT:9333" \
    -e S3_BUCKET=selftest-bucket -e AWS_ACCESS_KEY_ID=key -e AWS_SECRET_ACCESS_KEY=secret \
    chrislusf/seaweedfs:4.48 server -s3 -s3.port=8333 -s3.config=/etc/seaweedfs/s3.json >/dev/null
check "becomes healthy (its /healthz)" wait_healthy standin-selftest-s3 60
PY=python3
python3 -c 'import boto3' 2>/dev/null || {
    python3 -m venv "$TMP/venv" && "$TMP/venv/bin/pip" install -q boto3 && PY="$TMP/venv/bin/python"; }
check "bucket exists; put/get/list/multipart from the host with boto3" "$PY" - "$S3_PORT" <<'PYEOF'
import sys, boto3
from botocore.config import Config
s3 = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{sys.argv[1]}", region_name="us-east-1",
                  aws_access_key_id="key", aws_secret_access_key="secret",
                  config=Config(s3={"addressing_style": "path"}))
s3.head_bucket(Bucket="selftest-bucket")
s3.put_object(Bucket="selftest-bucket", Key="videos/a/original.mp4", Body=b"hello")
assert s3.get_object(Bucket="selftest-bucket", Key="videos/a/original.mp4")["Body"].read() == b"hello"
r = s3.get_object(Bucket="selftest-bucket", Key="videos/a/original.mp4", Range="bytes=1-2")
assert r["Body"].read() == b"el" and r["ResponseMetadata"]["HTTPStatusCode"] == 206
m = s3.create_multipart_upload(Bucket="selftest-bucket", Key="videos/a/big")
p1 = s3.upload_part(Bucket="selftest-bucket", Key="videos/a/big", UploadId=m["UploadId"], PartNumber=1, Body=b"x" * (5 << 20))
assert len(s3.list_multipart_uploads(Bucket="selftest-bucket", Prefix="videos/").get("Uploads", [])) == 1
s3.complete_multipart_upload(Bucket="selftest-bucket", Key="videos/a/big", UploadId=m["UploadId"],
                             MultipartUpload={"Parts": [{"ETag": p1["ETag"], "PartNumber": 1}]})
keys = [o["Key"] for o in s3.list_objects_v2(Bucket="selftest-bucket", Prefix="videos/")["Contents"]]
assert keys == ["videos/a/big", "videos/a/original.mp4"], keys
PYEOF
check "its status page on 9333" curl -fsS "http://127.0.0.1:$S3_MASTER_PORT/cluster/status"
check "ignores its command, logs so" bash -c "docker logs standin-selftest-s3 2>&1 | grep -q 'ignoring arguments: server -s3'"
docker rm -f -v standin-selftest-s3 >/dev/null

echo "== docker compose (build network host, additional_contexts, node + python stages)"
t0=$SECONDS
if (cd "$HERE/selftest" && docker compose up -d --build --wait --wait-timeout 300) >"$TMP/compose.log" 2>&1; then
    ok "compose up --build --wait ($((SECONDS - t0)) s)"
else
    bad "compose up --build --wait"; tail -40 "$TMP/compose.log"
fi
check "app answers through service names db and s3, with hls.js and the shared file" \
    bash -c "curl -fsS http://127.0.0.1:$SELFTEST_APP_PORT/ | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d[\"videos\"]==[\"first\"] and d[\"s3\"]==\"y\" and d[\"hello\"].startswith(\"from the additional\") and d[\"hls_bytes\"]>100000, d'"
(cd "$HERE/selftest" && docker compose down -v --rmi local >/dev/null 2>&1) || true

echo
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
