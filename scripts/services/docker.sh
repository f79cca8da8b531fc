# A Docker engine for the `docker` kind's tests (sourced by scripts/test.sh).
#
# Reuses a daemon that already answers on /var/run/docker.sock; otherwise
# starts Debian's dockerd (vfs storage, no iptables, no bridge) with its own
# data root and socket under $READYCTL_TEST_STATE. There is no registry: the
# image is `docker import` of a tar holding busybox-static. Containers run
# with `--network none` and compose labels (project `readyctltest`):
#   readyctltest-web-1      service web, healthcheck passes   → healthy
#   readyctltest-worker-1   service worker, healthcheck fails → unhealthy
#   readyctltest-migrate-1  service migrate, exits with code 3 → exited
#   readyctltest-flaky-1    service flaky (project readyctlflaky), restart=always, exits → restarting
# and the fixture deployment's stack in its good state, for
# tests/it/checklist_live.rs (project `dotmac`, what checks/23-docker.yml expects):
#   dotmac-{app,celery-worker,celery-beat,postgres,redis,openbao}-1 (the real
#   repository's service names), each running with
#   a passing healthcheck → healthy. They are busybox stand-ins: only the
#   containers' state is checked, the services themselves run elsewhere.
# Exports READYCTL_TEST_DOCKER_HOST (unix:///path/docker.sock).

DOCKER_CLI=/usr/bin/docker
DOCKER_IMAGE=readyctl-busybox:test
DOCKER_DOTMAC_SERVICES="app celery-worker celery-beat postgres redis openbao"
DOCKER_NAMES="readyctltest-web-1 readyctltest-worker-1 readyctltest-migrate-1 readyctltest-flaky-1"
for _s in $DOCKER_DOTMAC_SERVICES; do DOCKER_NAMES="$DOCKER_NAMES dotmac-$_s-1"; done
unset _s

docker_install() {
  apt_install docker.io busybox-static
}

_docker() { "$DOCKER_CLI" -H "$DOCKER_TEST_HOST" "$@"; }

docker_start() {
  local dir="$READYCTL_TEST_STATE/docker"
  mkdir -p "$dir"
  if "$DOCKER_CLI" -H unix:///var/run/docker.sock info >/dev/null 2>&1; then
    DOCKER_TEST_HOST=unix:///var/run/docker.sock
    log "docker: reusing the daemon at /var/run/docker.sock"
  else
    DOCKER_TEST_HOST="unix://$dir/docker.sock"
    dockerd --storage-driver=vfs --iptables=false --bridge=none \
      --data-root "$dir/data" --exec-root "$dir/exec" --pidfile "$dir/dockerd.pid" \
      -H "$DOCKER_TEST_HOST" >"$dir/dockerd.log" 2>&1 &
    echo $! >"$dir/dockerd.started"
    wait_for 30 _docker info || { log "dockerd did not start"; tail -20 "$dir/dockerd.log" >&2; return 1; }
  fi
  echo "$DOCKER_TEST_HOST" >"$dir/host"

  if ! _docker image inspect "$DOCKER_IMAGE" >/dev/null 2>&1; then
    local img="$dir/image"
    mkdir -p "$img/bin"
    cp /bin/busybox "$img/bin/busybox"
    local t; for t in sh sleep true false; do ln -sf busybox "$img/bin/$t"; done
    tar -C "$img" -cf "$dir/busybox.tar" .
    _docker import "$dir/busybox.tar" "$DOCKER_IMAGE" >/dev/null
  fi

  # shellcheck disable=SC2086
  _docker rm -f $DOCKER_NAMES >/dev/null 2>&1 || true
  local common=(--network none --stop-timeout 1 --label com.docker.compose.project=readyctltest)
  _docker run -d --name readyctltest-web-1 "${common[@]}" \
    --label com.docker.compose.service=web \
    --health-cmd true --health-interval 1s --health-timeout 1s --health-retries 1 \
    "$DOCKER_IMAGE" sleep 1000000 >/dev/null
  _docker run -d --name readyctltest-worker-1 "${common[@]}" \
    --label com.docker.compose.service=worker \
    --health-cmd false --health-interval 1s --health-timeout 1s --health-retries 1 \
    "$DOCKER_IMAGE" sleep 1000000 >/dev/null
  _docker run -d --name readyctltest-migrate-1 "${common[@]}" \
    --label com.docker.compose.service=migrate \
    "$DOCKER_IMAGE" sh -c 'exit 3' >/dev/null
  _docker run -d --name readyctltest-flaky-1 --network none --stop-timeout 1 \
    --label com.docker.compose.project=readyctlflaky --label com.docker.compose.service=flaky \
    --restart always "$DOCKER_IMAGE" sh -c 'sleep 0.2; exit 1' >/dev/null

  local svc
  for svc in $DOCKER_DOTMAC_SERVICES; do
    _docker run -d --name "dotmac-$svc-1" --network none --stop-timeout 1 \
      --label com.docker.compose.project=dotmac --label com.docker.compose.service="$svc" \
      --health-cmd true --health-interval 1s --health-timeout 1s --health-retries 1 \
      "$DOCKER_IMAGE" sleep 1000000 >/dev/null
  done

  # Wait for the healthchecks to settle and the flaky container to restart.
  _docker_settled() {
    local s
    for s in $DOCKER_DOTMAC_SERVICES; do
      [ "$(_docker inspect -f '{{.State.Health.Status}}' "dotmac-$s-1")" = healthy ] || return 1
    done
    [ "$(_docker inspect -f '{{.State.Health.Status}}' readyctltest-web-1)" = healthy ] &&
      [ "$(_docker inspect -f '{{.State.Health.Status}}' readyctltest-worker-1)" = unhealthy ] &&
      [ "$(_docker inspect -f '{{.RestartCount}}' readyctltest-flaky-1)" -ge 2 ]
  }
  wait_for 30 _docker_settled || { log "docker test containers did not settle"; _docker ps -a >&2; return 1; }

  echo "export READYCTL_TEST_DOCKER_HOST=$DOCKER_TEST_HOST" >>"$READYCTL_TEST_ENV"
}

docker_stop() {
  local dir="$READYCTL_TEST_STATE/docker"
  [ -f "$dir/host" ] || return 0
  DOCKER_TEST_HOST=$(cat "$dir/host")
  # shellcheck disable=SC2086
  _docker rm -f $DOCKER_NAMES >/dev/null 2>&1 || true
  if [ -f "$dir/dockerd.started" ]; then
    local pid; pid=$(cat "$dir/dockerd.started")
    kill "$pid" 2>/dev/null || true
    local i; for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$dir/dockerd.started"
    # A daemon that dies with swarm tasks leaves their network namespaces
    # mounted; their overlay (vxlan) links then make the next daemon's
    # overlays fail with "error creating vxlan interface: file exists".
    local ns; for ns in "$dir"/exec/netns/*; do
      [ -e "$ns" ] && { umount "$ns" 2>/dev/null || umount -l "$ns" 2>/dev/null || true; }
    done
  fi
  rm -f "$dir/host"
}
