#!/usr/bin/env bash
# The sign-in storm of QUALITY.md: 1,000 sign-in attempts to unknown accounts, 64 at a time, each
# from its own address (the server trusts X-Forwarded-For here, so the per-address limit does not
# help and only the global limit and the bounded hashing queue hold). Prints the answers by status
# and the server's RSS (bar: ≤ 250 MB).
#
#   scripts/login_storm.sh                 # debug build (argon2 is optimised in dev builds too)
#   PROFILE=release scripts/login_storm.sh
set -euo pipefail
cd "$(dirname "$0")/.."

PORT=${PORT:-8098}
PROFILE=${PROFILE:-dev}
export KECHUANG_DATA_DIR=${KECHUANG_DATA_DIR:-var-storm}
export RUST_LOG=${RUST_LOG:-warn}
cargo build --profile "$PROFILE" --bin kechuang --example login_storm
DIR=target/$([ "$PROFILE" = dev ] && echo debug || echo "$PROFILE")

$DIR/kechuang serve --demo --trust-proxy --bind 127.0.0.1:$PORT > storm-server.log 2>&1 &
SERVER=$!
trap 'kill -TERM $SERVER 2>/dev/null; wait $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do
    curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
    sleep 0.5
done
sleep 2
$DIR/examples/login_storm --base http://127.0.0.1:$PORT --pid $SERVER \
    --attempts "${ATTEMPTS:-1000}" --concurrency "${CONCURRENCY:-64}"
