# A one-node Docker Swarm on the test engine, for the `swarm` kind's tests
# (tests/it/swarm.rs). Sourced by scripts/test.sh after docker.sh, whose daemon
# and busybox image (`docker import`, no registry) it uses.
#
# start: `docker swarm init --advertise-addr 127.0.0.1` (the cluster port on
#        a spare loopback port) unless the engine already is a swarm manager.
#        The tests deploy and remove their own stacks (services on the stack's
#        overlay network: `--network none` is refused for services), so
#        nothing here waits for tasks to settle.
# stop:  removes the test stacks and `docker swarm leave --force` — only when
#        start made the swarm.
# Exports READYCTL_TEST_SWARM (the manager's unix:// address) and
# READYCTL_TEST_DOCKER_CLI (the docker client the tests drive it with).

SWARM_CLI=/usr/bin/docker

swarm_install() {
  apt_install docker.io busybox-static
}

_swarm() { "$SWARM_CLI" -H "$SWARM_HOST" "$@"; }

swarm_start() {
  local dir="$READYCTL_TEST_STATE/swarm"
  mkdir -p "$dir"
  [ -f "$READYCTL_TEST_STATE/docker/host" ] || { log "swarm: needs the docker service"; return 1; }
  SWARM_HOST=$(cat "$READYCTL_TEST_STATE/docker/host")
  local state
  state=$(_swarm info --format '{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}' 2>/dev/null) || return 1
  case "$state" in
    "active true") log "swarm: reusing the engine's swarm (it is a manager)" ;;
    "active false") log "swarm: the engine is a swarm worker; the tests need a manager"; return 1 ;;
    *)
      _swarm swarm init --advertise-addr 127.0.0.1 --listen-addr "127.0.0.1:$(free_port)" >/dev/null ||
        { log "swarm: docker swarm init failed"; return 1; }
      touch "$dir/initialised"
      ;;
  esac
  wait_for 30 _swarm node ls || { log "swarm: the manager does not answer"; return 1; }
  echo "$SWARM_HOST" >"$dir/host"
  {
    echo "export READYCTL_TEST_SWARM=$SWARM_HOST"
    echo "export READYCTL_TEST_DOCKER_CLI=$SWARM_CLI"
  } >>"$READYCTL_TEST_ENV"
}

swarm_stop() {
  local dir="$READYCTL_TEST_STATE/swarm"
  [ -f "$dir/host" ] || return 0
  SWARM_HOST=$(cat "$dir/host")
  local s
  for s in $(_swarm stack ls --format '{{.Name}}' 2>/dev/null); do
    case "$s" in rt*) _swarm stack rm "$s" >/dev/null 2>&1 || true ;; esac
  done
  if [ -f "$dir/initialised" ]; then
    _swarm swarm leave --force >/dev/null 2>&1 || true
    rm -f "$dir/initialised"
  fi
  rm -f "$dir/host"
}
