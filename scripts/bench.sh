#!/usr/bin/env bash
# The benchmark of QUALITY.md ("Performance"), as ratios to a bare page served in the same run:
# loads the `scale` demo dataset (2,040 platforms × 10 years), starts the app and the bare page
# (examples/bare.rs: axum + sqlx + askama, no middleware, no auth, the registry list's three
# statements) over the same database, drives each path with wrk at 32 connections, and prints per
# path req/s, p50/p99 and the ratio to the bare page; then the server's RSS, and the compliance
# refresh of every platform and of one platform (examples/refreshtime.rs).
#
#   scripts/bench.sh                      # release build, private PostgreSQL under var-bench/
#   SECONDS_PER_PATH=20 CONCURRENCY=64 scripts/bench.sh
#   SERVER_PRELOAD=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2 scripts/bench.sh   # another allocator
#
# Not part of the test suite: timings belong here, not in tests (QUALITY.md).
set -euo pipefail
cd "$(dirname "$0")/.."

PORT=${PORT:-8097}
BARE_PORT=${BARE_PORT:-8098}
CONCURRENCY=${CONCURRENCY:-32}
SECONDS_PER_PATH=${SECONDS_PER_PATH:-10}
export KECHUANG_DATA_DIR=${KECHUANG_DATA_DIR:-var-bench}
export RUST_LOG=${RUST_LOG:-warn,kechuang=info}

command -v wrk >/dev/null || { echo "wrk is needed: apt-get install -y wrk" >&2; exit 1; }
cargo build --release --bin kechuang --example bare --example refreshtime
BIN=target/release/kechuang
BASE=http://127.0.0.1:$PORT

echo "== loading the scale dataset and starting the server (port $PORT)"
env ${SERVER_PRELOAD:+LD_PRELOAD=$SERVER_PRELOAD} $BIN serve --demo scale --bind 127.0.0.1:$PORT > bench-server.log 2>&1 &
SERVER=$!
BARE=
trap 'kill -TERM $SERVER $BARE 2>/dev/null; wait $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 1200); do
    curl -fsS "$BASE/healthz" >/dev/null 2>&1 && break
    sleep 0.5
done
# The start-up compliance refresh of every platform runs in the background: wait for it.
for _ in $(seq 1 600); do
    grep -q "findings refreshed" bench-server.log && break
    sleep 0.5
done
STARTUP_REFRESH=$(grep "findings refreshed" bench-server.log | tail -1 | sed -n 's/.*elapsed_ms=\([0-9]*\).*/\1/p')
target/release/examples/bare --socket "$KECHUANG_DATA_DIR/postgres/run" --bind 127.0.0.1:$BARE_PORT &
BARE=$!
for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$BARE_PORT/one" >/dev/null 2>&1 && break
    sleep 0.2
done

# Signs in as a demo account and prints the session cookie.
sign_in() {
    local jar
    jar=$(mktemp)
    local token
    token=$(curl -fsS -c "$jar" "$BASE/login" | grep -o 'name="csrf_token" value="[^"]*"' | sed 's/.*value="//; s/"$//')
    curl -fsS -b "$jar" -c "$jar" -o /dev/null -H "Origin: $BASE" \
        --data-urlencode "csrf_token=$token" --data-urlencode "username=$1" \
        --data-urlencode 'password=Kechuang#2025' --data-urlencode 'next=/' "$BASE/login"
    awk '$6 == "kc_session" { print "kc_session=" $7 }' "$jar"
    rm -f "$jar"
}
LEADER=$(sign_in demo-leader)
STAFF=$(sign_in demo-staff)

# wrk's summary as "req/s p50_ms p99_ms errors" (latencies converted to ms).
measure() {
    local url=$1 cookie=${2:-}
    local args=(-t2 -c"$CONCURRENCY" -d"${SECONDS_PER_PATH}s" --latency)
    [ -n "$cookie" ] && args+=(-H "Cookie: $cookie")
    curl -fsS -o /dev/null ${cookie:+-H "Cookie: $cookie"} "$url" # warm up, and fail on an error
    wrk "${args[@]}" "$url" | awk '
        function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
        $1 == "50%" { p50 = ms($2) } $1 == "99%" { p99 = ms($2) }
        $1 == "Requests/sec:" { rps = $2 }
        /Non-2xx or 3xx responses:/ { err = $5 }
        END { printf "%.0f %.1f %.1f %d\n", rps, p50, p99, err + 0 }'
}

echo "== $CONCURRENCY connections, ${SECONDS_PER_PATH}s per path, $(nproc) cores, wrk on the same machine"
read -r BARE_RPS BARE_P50 BARE_P99 _ < <(measure "http://127.0.0.1:$BARE_PORT/list?page=50")
read -r ONE_RPS _ _ _ < <(measure "http://127.0.0.1:$BARE_PORT/one")
printf '| %-44s | %8s | %7s | %7s | %7s | %6s |\n' page req/s "× bare" "p50 ms" "p99 ms" target
printf '|%s|%s|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..46})" "---------:" "--------:" "--------:" "--------:" "-------:"
printf '| %-44s | %8s | %7s | %7s | %7s | %6s |\n' "bare page (3 statements)" "$BARE_RPS" "1.00" "$BARE_P50" "$BARE_P99" ""
printf '| %-44s | %8s | %7s | %7s | %7s | %6s |\n' "bare page (1 statement)" "$ONE_RPS" \
    "$(awk -v a="$ONE_RPS" -v b="$BARE_RPS" 'BEGIN { printf "%.2f", a / b }')" "" "" ""
row() {
    local label=$1 path=$2 cookie=$3 target=$4
    read -r rps p50 p99 err < <(measure "$BASE$path" "$cookie")
    local ratio
    ratio=$(awk -v a="$rps" -v b="$BARE_RPS" 'BEGIN { printf "%.2f", a / b }')
    [ "$err" != 0 ] && label="$label ($err errors)"
    printf '| %-44s | %8s | %7s | %7s | %7s | %6s |\n' "$label" "$rps" "$ratio" "$p50" "$p99" "≥ $target"
}
PLATFORM_ID=1000 # one of the scale platforms
row "\`/platforms?page=50\` (registry list)" "/platforms?page=50" "$LEADER" 0.9
row "\`/platforms/$PLATFORM_ID\` (platform dashboard)" "/platforms/$PLATFORM_ID" "$LEADER" 0.9
row "\`/platforms?q=SC-01&sort=name\` (search)" "/platforms?q=SC-01&sort=name" "$LEADER" 0.9
row "\`/platforms?q=船舶\` (search, Chinese)" "/platforms?q=%E8%88%B9%E8%88%B6" "$LEADER" 0.9
row "\`/leadership\` (whole city)" "/leadership" "$LEADER" 0.5
row "\`/api/leadership/revenue.json\`" "/api/leadership/revenue.json" "$LEADER" 0.5
row "\`/workbench\` (city staff)" "/workbench" "$STAFF" 0.5
row "\`/compliance\` (matrix, all platforms)" "/compliance" "$LEADER" 0.5
row "\`/annual/overdue\` (overdue list)" "/annual/overdue" "$STAFF" 0.5
echo
[ -n "${SERVER_PRELOAD:-}" ] && echo "server allocator: $SERVER_PRELOAD (LD_PRELOAD)"
echo "server RSS after the run: $(awk '/VmRSS/ { printf "%.0f MB", $2 / 1024 }' /proc/$SERVER/status) (bar 150 MB)"
echo "compliance refresh of every platform at start-up (first evaluation of the loaded data): ${STARTUP_REFRESH} ms"
target/release/examples/refreshtime --socket "$KECHUANG_DATA_DIR/postgres/run"
echo "== done (server log: bench-server.log)"
