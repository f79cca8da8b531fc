#!/usr/bin/env bash
# Compares readyctl's `latency` percentiles with wrk's on the same nginx URL,
# so we know readyctl measures nginx and not itself.
#
# Usage: bench/latency_vs_wrk.sh [URL]
#   Without URL, starts nginx from scripts/services/nginx.sh and uses /plain.
#   Needs a release build (cargo build --release) and wrk (apt-get install wrk).
# Env: REQUESTS (default 1000), CONCURRENCY (default 50), ROUNDS (default 3).
set -euo pipefail
cd "$(dirname "$0")/.."

REQUESTS=${REQUESTS:-1000}
CONCURRENCY=${CONCURRENCY:-50}
ROUNDS=${ROUNDS:-3}
BIN=target/release/readyctl
[ -x "$BIN" ] || { echo "build first: cargo build --release" >&2; exit 2; }
command -v wrk >/dev/null || { echo "install wrk: apt-get install wrk" >&2; exit 2; }

URL=${1:-}
if [ -z "$URL" ]; then
  export READYCTL_TEST_STATE=$(mktemp -d /tmp/readyctl-bench.XXXXXX)
  export READYCTL_TEST_ENV=$READYCTL_TEST_STATE/env.sh
  : > "$READYCTL_TEST_ENV"
  free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
  wait_for() { local secs=$1; shift; local end=$((SECONDS + secs)); until "$@" >/dev/null 2>&1; do (( SECONDS >= end )) && return 1; sleep 0.1; done; }
  apt_install() { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null; }
  # shellcheck source=/dev/null
  source scripts/services/nginx.sh
  nginx_install
  nginx_start
  trap 'nginx_stop; rm -rf "$READYCTL_TEST_STATE"' EXIT
  # shellcheck source=/dev/null
  source "$READYCTL_TEST_ENV"
  URL="http://127.0.0.1:$READYCTL_TEST_NGINX_HTTP_PORT/plain"
fi

CAT=$(mktemp /tmp/readyctl-bench-XXXXXX.yml)
cat > "$CAT" <<EOF
version: 1
checks:
  - id: bench
    kind: latency
    url: $URL
    requests: $REQUESTS
    concurrency: $CONCURRENCY
    warmup: $CONCURRENCY
    timeout: 120s
EOF

echo "URL $URL, $REQUESTS requests at concurrency $CONCURRENCY, $ROUNDS rounds"
printf '%-10s %8s %8s %8s %8s %10s\n' tool p50_ms p95_ms p99_ms max_ms req/s
for r in $(seq 1 "$ROUNDS"); do
  "$BIN" check -c "$CAT" --format json 2>/dev/null | python3 -c '
import json, sys
m = json.load(sys.stdin)["checks"][0]["metrics"]
print("%-10s %8.2f %8.2f %8.2f %8.2f %10.0f" % ("readyctl", m["p50_ms"], m["p95_ms"], m["p99_ms"], m["max_ms"], m["rps"]))'
  # wrk: same concurrency, one thread per core, a fixed time long enough for
  # many more requests than readyctl sends; --latency prints percentiles.
  THREADS=$(( CONCURRENCY < 2 ? CONCURRENCY : 2 ))
  wrk -t"$THREADS" -c"$CONCURRENCY" -d3s --latency "$URL" | python3 -c '
import re, sys
t = sys.stdin.read()
def ms(v):
    n, u = re.match(r"([\d.]+)(us|ms|s)", v).groups()
    return float(n) * {"us": 0.001, "ms": 1, "s": 1000}[u]
p = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", t, re.M))
mx = re.search(r"Latency\s+\S+\s+\S+\s+(\S+)", t).group(1)
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
print("%-10s %8.2f %8s %8.2f %8.2f %10.0f" % ("wrk", ms(p["50"]), "n/a", ms(p["99"]), ms(mx), rps))'
done
rm -f "$CAT"
