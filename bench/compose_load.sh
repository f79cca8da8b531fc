#!/usr/bin/env bash
# Benchmark: load + merge + interpolate a generated N-service, two-file
# compose project with `readyctl compose config` and with the real docker
# compose (v2.40.3) on the same files, in one hyperfine run.
# Targets (issue 15): 2,000 services at least 15x faster than
# `docker compose config`; 10,000 services load.
#
#   cargo build --release && bench/compose_load.sh [SERVICES] [RUNS]
#
# DOCKER_COMPOSE overrides the oracle's path (default: the venv's binary).
set -euo pipefail
cd "$(dirname "$0")/.."
services=${1:-2000}
runs=${2:-10}
bin=${READYCTL_BIN:-target/release/readyctl}
[ -x "$bin" ] || { echo "build first: cargo build --release" >&2; exit 2; }
dc=${DOCKER_COMPOSE:-$(ls /opt/readyctl-venv/lib/python3.*/site-packages/compose/docker-compose 2>/dev/null | head -1)}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

# Each service depends on the one before it (a chain, no cycle: compose
# refuses cycles, and so does readyctl); every named volume is declared.
{
  echo 'x-common: &common'
  echo '  restart: unless-stopped'
  echo '  logging: {driver: json-file, options: {max-size: "10m"}}'
  echo 'services:'
  for i in $(seq 1 "$services"); do
    cat <<YAML
  svc$i:
    <<: *common
    image: registry.example.com/team/svc$i:\${TAG:-1.0.$i}
    environment:
      - SERVICE_NAME=svc$i
      - DATABASE__HOST=\${DB_HOST:-postgres}
      - DATABASE__PORT=5432
      - LOG_LEVEL=info
    ports: ["127.0.0.1:$((10000 + i % 50000)):8000"]
    volumes: ["data$i:/data", "./conf/svc$i:/etc/svc:ro"]
    healthcheck:
      test: ["CMD", "curl", "-fsS", "http://localhost:8000/health"]
      interval: 10s
YAML
    if [ "$i" -gt 1 ]; then echo "    depends_on: [svc$((i - 1))]"; fi
  done
  echo 'volumes:'
  for i in $(seq 1 "$services"); do echo "  data$i:"; echo "  prod$i:"; done
} > "$dir/base.yml"
{
  echo 'services:'
  for i in $(seq 1 "$services"); do
    cat <<YAML
  svc$i:
    environment:
      LOG_LEVEL: warning
      SECRET_KEY: \${SECRET_KEY:?SECRET_KEY is required}
    volumes: ["prod$i:/data"]
    deploy: {resources: {limits: {memory: 512m}}}
YAML
  done
} > "$dir/production.yml"
printf 'SECRET_KEY=bench-secret-value-0123456789\nDB_HOST=db.internal\n' > "$dir/.env"
echo "project: $services services, $(wc -l < "$dir/base.yml") + $(wc -l < "$dir/production.yml") lines"

(cd "$dir" && "$OLDPWD/$bin" compose config -f base.yml -f production.yml --format json --show-secrets > "$dir/readyctl.json")
cmds=("cd $dir && $PWD/$bin compose config -f base.yml -f production.yml --format json")
if [ -x "$dc" ]; then
  (cd "$dir" && "$dc" -f base.yml -f production.yml config --format json > "$dir/compose.json")
  cmds+=("cd $dir && $dc -f base.yml -f production.yml config --format json")
fi

if command -v hyperfine > /dev/null; then
  hyperfine --warmup 1 --runs "$runs" --export-json "${BENCH_JSON:-/dev/null}" "${cmds[@]}"
else
  for c in "${cmds[@]}"; do
    t0=$(date +%s%N); for _ in $(seq 1 "$runs"); do bash -c "$c" > /dev/null; done; t1=$(date +%s%N)
    echo "$c: mean $(( (t1 - t0) / runs / 1000000 )) ms"
  done
fi
