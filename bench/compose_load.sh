#!/usr/bin/env bash
# Benchmark: load + merge + interpolate a generated 200-service, two-file
# compose project with `readyctl compose config` (release build).
# Target (issue 3): under 50 ms.
#
#   cargo build --release && bench/compose_load.sh [SERVICES] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
services=${1:-200}
runs=${2:-30}
bin=${READYCTL_BIN:-target/release/readyctl}
[ -x "$bin" ] || { echo "build first: cargo build --release" >&2; exit 2; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

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
    ports: ["127.0.0.1:$((10000 + i)):8000"]
    volumes: ["data$i:/data", "./conf/svc$i:/etc/svc:ro"]
    healthcheck:
      test: ["CMD", "curl", "-fsS", "http://localhost:8000/health"]
      interval: 10s
    depends_on: [svc$(( (i % services) + 1 ))]
YAML
  done
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

cmd=("$bin" compose config -f "$dir/base.yml" -f "$dir/production.yml" --format json)
"${cmd[@]}" > /dev/null  # must succeed

if command -v hyperfine > /dev/null; then
  hyperfine --warmup 3 --runs "$runs" -N "${cmd[*]}"
else
  total=0; best=999999999
  for _ in $(seq 1 "$runs"); do
    t0=$(date +%s%N); "${cmd[@]}" > /dev/null; t1=$(date +%s%N)
    ns=$((t1 - t0)); total=$((total + ns)); [ $ns -lt $best ] && best=$ns
  done
  echo "runs: $runs  mean: $((total / runs / 1000)) us  min: $((best / 1000)) us (process start included)"
fi
