# Redis 7 for the redis kind's tests (sourced by scripts/test.sh).
# Three servers on spare loopback ports:
#   prod     — started from fixtures/dotmac/fixed/redis/redis.conf (appendonly yes,
#              maxmemory 256mb, allkeys-lru, requirepass), so the fixture file and
#              the live server describe the same configuration;
#   open     — appendonly no, no password, default memory settings;
#   noconfig — like prod, with CONFIG renamed away (tests the INFO fallback).

redis_install() {
  command -v redis-server >/dev/null 2>&1 || apt_install redis-server
}

REDIS_FIXTURE_PASSWORD="redis-Fixture-Strong-Passw0rd-25"

_redis_run() { # name port extra-args...
  local name=$1 port=$2; shift 2
  local dir="$READYCTL_TEST_STATE/redis-$name"
  mkdir -p "$dir"
  redis-server "$@" --port "$port" --bind 127.0.0.1 --dir "$dir" \
    --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" >/dev/null
}

redis_start() {
  local p_prod p_open p_nocfg
  p_prod=$(free_port); p_open=$(free_port); p_nocfg=$(free_port)
  _redis_run prod "$p_prod" "$ROOT/fixtures/dotmac/fixed/redis/redis.conf"
  _redis_run open "$p_open" --appendonly no --save ""
  _redis_run noconfig "$p_nocfg" "$ROOT/fixtures/dotmac/fixed/redis/redis.conf" \
    --rename-command CONFIG ""
  wait_for 10 redis-cli -p "$p_prod" -a "$REDIS_FIXTURE_PASSWORD" --no-auth-warning ping || return 1
  wait_for 10 redis-cli -p "$p_open" ping || return 1
  wait_for 10 redis-cli -p "$p_nocfg" -a "$REDIS_FIXTURE_PASSWORD" --no-auth-warning ping || return 1
  {
    echo "export READYCTL_TEST_REDIS_URL=redis://default:$REDIS_FIXTURE_PASSWORD@127.0.0.1:$p_prod"
    echo "export READYCTL_TEST_REDIS_PASSWORD=$REDIS_FIXTURE_PASSWORD"
    echo "export READYCTL_TEST_REDIS_OPEN_URL=redis://127.0.0.1:$p_open"
    echo "export READYCTL_TEST_REDIS_NOCONFIG_URL=redis://default:$REDIS_FIXTURE_PASSWORD@127.0.0.1:$p_nocfg"
  } >> "$READYCTL_TEST_ENV"
}

redis_stop() {
  local name pid
  for name in prod open noconfig; do
    pid=$(cat "$READYCTL_TEST_STATE/redis-$name/redis.pid" 2>/dev/null) || continue
    kill "$pid" 2>/dev/null || true
  done
}
