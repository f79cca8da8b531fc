#!/usr/bin/env bash
# Static-scale benchmark: a catalogue of N `file` checks over a generated tree,
# and M `tcp` checks against a closed loopback port.
# Usage: bench/static.sh [N_FILE_CHECKS=10000] [M_TCP_CHECKS=500]
# Needs a release build (cargo build --release); uses hyperfine when present.
# bench/run.sh measures the same (and env_file checks, peak memory) for BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-10000}
M=${2:-500}
BIN=${READYCTL_BIN:-target/release/readyctl}
[ -x "$BIN" ] || cargo build --release --quiet
WORK=$(mktemp -d /tmp/readyctl-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

python3 - "$WORK" "$N" "$M" <<'PY'
import os, sys
work, n, m = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
root = os.path.join(work, "root")
os.makedirs(os.path.join(root, "files"), exist_ok=True)
with open(os.path.join(work, "files.yml"), "w") as cat:
    cat.write("version: 1\nchecks:\n")
    for i in range(n):
        p = f"files/f{i:05d}.sh"
        with open(os.path.join(root, p), "w") as f:
            f.write("#!/bin/sh\necho ok\n")
        os.chmod(os.path.join(root, p), 0o755)
        cat.write(f"  - {{id: file.f{i:05d}, kind: file, path: {p}, executable: true, not_empty: true}}\n")
with open(os.path.join(work, "tcp.yml"), "w") as cat:
    cat.write("version: 1\nchecks:\n")
    for i in range(m):
        cat.write(f"  - {{id: tcp.closed{i:04d}, kind: tcp, address: '127.0.0.1:1', timeout: 10s}}\n")
PY

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -r)"
echo "binary: $BIN ($("$BIN" --version))"
run() {
  local name=$1; shift
  if command -v hyperfine >/dev/null; then
    hyperfine --warmup 1 --runs 10 -i --export-json "$WORK/$name.json" -n "$name" "$*" >/dev/null 2>&1
    python3 -c "import json,sys; r=json.load(open('$WORK/$name.json'))['results'][0]; print(f\"$name: median {r['median']*1000:.1f} ms (min {r['min']*1000:.1f}, max {r['max']*1000:.1f}, {len(r['times'])} runs)\")"
  else
    local t0 t1; t0=$(date +%s%N); "$@" >/dev/null 2>&1 || true; t1=$(date +%s%N)
    echo "$name: $(( (t1 - t0) / 1000000 )) ms (one run; install hyperfine for medians)"
  fi
}
run "file-checks-$N" "$BIN" check --catalog "$WORK/files.yml" --root "$WORK/root" --format json
run "tcp-closed-$M" "$BIN" check --catalog "$WORK/tcp.yml" --root "$WORK/root" --format json
# Peak memory of one static run (GNU time is not always installed: use python's rusage).
python3 - "$BIN" "$WORK" "$N" <<'PY'
import resource, subprocess, sys
bin, work, n = sys.argv[1:4]
subprocess.run([bin, "check", "--catalog", f"{work}/files.yml", "--root", f"{work}/root", "--format", "json"], stdout=subprocess.DEVNULL)
print(f"file-checks-{n}: peak RSS {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss/1024:.1f} MiB")
PY
