#!/usr/bin/env bash
# The one test command: installs what the tests need when it is missing,
# starts real services on spare loopback ports, runs `cargo test`, and stops
# what it started. Usage: scripts/test.sh [extra cargo test args]
#
# Each service lives in scripts/services/NAME.sh and defines
#   NAME_install   (install packages when missing; idempotent)
#   NAME_start     (start on loopback; append `export VAR=…` lines to $READYCTL_TEST_ENV)
#   NAME_stop      (stop what NAME_start started)
# Tests read the exported variables; a test whose service variable is missing
# skips loudly on a developer machine and fails under CI=true.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
export READYCTL_TEST_STATE="${READYCTL_TEST_STATE:-$(mktemp -d /tmp/readyctl-test.XXXXXX)}"
export READYCTL_TEST_ENV="$READYCTL_TEST_STATE/env.sh"
: > "$READYCTL_TEST_ENV"

log() { printf '\033[1m[test.sh]\033[0m %s\n' "$*" >&2; }

# A free TCP port on 127.0.0.1 (the kernel picks; we release it at once).
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

# Waits until a command succeeds, up to $1 seconds.
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

SERVICES=()
for f in scripts/services/*.sh; do
  [ -e "$f" ] || continue
  # shellcheck source=/dev/null
  source "$f"
  SERVICES+=("$(basename "$f" .sh)")
done

STARTED=()
cleanup() {
  for s in "${STARTED[@]}"; do "${s}_stop" >/dev/null 2>&1 || true; done
  [ "${READYCTL_KEEP_STATE:-0}" = 1 ] || rm -rf "$READYCTL_TEST_STATE"
}
trap cleanup EXIT INT TERM

for s in "${SERVICES[@]}"; do
  if [ "${READYCTL_SKIP_SERVICES:-0}" = 1 ]; then break; fi
  log "service $s: install"
  if ! "${s}_install"; then log "service $s: install FAILED"; [ "${CI:-}" = true ] && exit 1; continue; fi
  log "service $s: start"
  if "${s}_start"; then STARTED+=("$s"); else log "service $s: start FAILED"; [ "${CI:-}" = true ] && exit 1; fi
done

# shellcheck source=/dev/null
source "$READYCTL_TEST_ENV"
log "running cargo test"
# A target named on the command line (`--test NAME`, `--lib`) runs alone;
# with `--all-targets` next to it cargo would run every target anyway.
if printf '%s\n' "$@" | grep -qE '^--(test|lib|bin|bench|example)$|^--test='; then
  cargo test "$@"
else
  cargo test --all-targets "$@"
  # Doc tests are not part of --all-targets.
  cargo test --doc --quiet
fi
