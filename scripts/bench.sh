#!/usr/bin/env bash
# Benchmarks the app on the `scale` demo dataset (2,000 platforms × 10 years on top of the demo city):
# p50/p95/p99 latency, requests/s and server RSS for the dashboards and the platform list, at 32
# concurrent connections, plus the time of one full compliance evaluation of every platform, and
# the leadership dashboard at one connection next to the time of its SQL alone (examples/sqltime.rs).
#
#   scripts/bench.sh            # release build, private PostgreSQL under var-bench/, port 8097
#   SECONDS_PER_PATH=20 CONCURRENCY=64 scripts/bench.sh
#
# Not part of the test suite: timings belong here, not in tests (QUALITY.md).
set -euo pipefail
cd "$(dirname "$0")/.."

PORT=${PORT:-8097}
CONCURRENCY=${CONCURRENCY:-32}
SECONDS_PER_PATH=${SECONDS_PER_PATH:-10}
export KECHUANG_DATA_DIR=${KECHUANG_DATA_DIR:-var-bench}
export RUST_LOG=${RUST_LOG:-warn,kechuang=info}

cargo build --release --bin kechuang --example loadgen --example sqltime
BIN=target/release/kechuang

echo "== loading the scale dataset and starting the server (port $PORT)"
$BIN serve --demo scale --bind 127.0.0.1:$PORT > bench-server.log 2>&1 &
SERVER=$!
trap 'kill -TERM $SERVER 2>/dev/null; wait $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do
    curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
    sleep 0.5
done
# Wait for the start-up compliance refresh of every platform to finish, and report its time.
for _ in $(seq 1 240); do
    grep -q "findings refreshed" bench-server.log && break
    sleep 0.5
done
echo "== compliance evaluation of all platforms at start-up:"
grep "findings refreshed" bench-server.log | tail -1 | sed 's/.*findings refreshed/  findings refreshed/' || true

PLATFORM_ID=1000   # one of the scale platforms
echo "== load: $CONCURRENCY connections, ${SECONDS_PER_PATH}s per path, machine: $(nproc) cores"
LOAD="target/release/examples/loadgen --base http://127.0.0.1:$PORT --pid $SERVER --concurrency $CONCURRENCY --seconds $SECONDS_PER_PATH"
$LOAD --user demo-leader /platforms "/platforms?q=SC-01&sort=name" "/platforms/$PLATFORM_ID" /compliance
$LOAD --user demo-leader /leadership
$LOAD --user demo-staff /workbench
echo "== the leadership dashboard against its SQL alone (one connection each)"
target/release/examples/loadgen --base http://127.0.0.1:$PORT --pid $SERVER --concurrency 1 \
    --seconds $SECONDS_PER_PATH --user demo-leader /leadership
target/release/examples/sqltime --socket "$KECHUANG_DATA_DIR/postgres/run" --runs 200
echo "== done (server log: bench-server.log)"
