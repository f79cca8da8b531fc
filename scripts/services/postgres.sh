# PostgreSQL 15 for the postgres kind's tests (sourced by scripts/test.sh).
# One throwaway cluster on a spare loopback port, password (scram) auth over
# TCP, TLS on with a self-signed certificate for localhost/127.0.0.1:
#   dotmac_prod — uuid-ossp, pg_trgm, btree_gin; work_mem 16MB; alembic_version at
#                 the head of fixtures/dotmac/fixed/alembic/versions;
#   dotmac_bare — no extensions, default settings, alembic_version behind head.
# The cluster runs with max_connections=200. Role dotmac's password is the
# fixture's POSTGRES_PASSWORD (fixtures/dotmac/fixed/.env.production), so the
# bundled catalogue run on the fixed fixture logs in with the fixture's own
# credentials.

PG_TEST_PASSWORD="pg-Fixture-Strong-Passw0rd-2025"
PG_HEAD_REVISION="9a8b7c6d5e4f"
PG_BEHIND_REVISION="c91f0e6a3b57"

_pg_bin() {
  local d
  for d in /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin; do
    [ -x "$d/pg_ctl" ] && { echo "$d"; return 0; }
  done
  command -v pg_ctl >/dev/null 2>&1 && dirname "$(command -v pg_ctl)"
}

postgres_install() {
  apt_install postgresql postgresql-contrib openssl
}

postgres_start() {
  local bin port dir
  bin=$(_pg_bin) || return 1
  port=$(free_port)
  dir="$READYCTL_TEST_STATE/postgres"
  # The server runs as user postgres and must reach its directory.
  chmod o+x "$READYCTL_TEST_STATE"
  mkdir -p "$dir"
  chown postgres "$dir"
  printf '%s\n' "$PG_TEST_PASSWORD" > "$dir/pwfile"
  chown postgres "$dir/pwfile"
  runuser -u postgres -- "$bin/initdb" -D "$dir/data" --username=postgres \
    --pwfile="$dir/pwfile" --auth-local=trust --auth-host=scram-sha-256 >/dev/null || return 1
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=localhost" \
    -addext "basicConstraints=critical,CA:FALSE" \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -keyout "$dir/data/server.key" -out "$dir/data/server.crt" >/dev/null 2>&1 || return 1
  cp "$dir/data/server.crt" "$dir/ca.crt"
  chown postgres "$dir/data/server.key" "$dir/data/server.crt"
  chmod 600 "$dir/data/server.key"
  runuser -u postgres -- "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 30 \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=200 -c ssl=on" \
    start >/dev/null || return 1
  local psql=("$bin/psql" -h "$dir" -p "$port" -U postgres -v ON_ERROR_STOP=1 -q)
  runuser -u postgres -- "${psql[@]}" -d postgres >/dev/null <<SQL || return 1
CREATE ROLE dotmac LOGIN PASSWORD '$PG_TEST_PASSWORD';
CREATE DATABASE dotmac_prod OWNER dotmac;
CREATE DATABASE dotmac_bare OWNER dotmac;
ALTER DATABASE dotmac_prod SET work_mem = '16MB';
SQL
  runuser -u postgres -- "${psql[@]}" -d dotmac_prod >/dev/null <<SQL || return 1
CREATE EXTENSION IF NOT EXISTS "uuid-ossp";
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS btree_gin;
CREATE TABLE alembic_version (version_num varchar(32) NOT NULL PRIMARY KEY);
INSERT INTO alembic_version VALUES ('$PG_HEAD_REVISION');
CREATE TABLE tenants (id uuid PRIMARY KEY DEFAULT uuid_generate_v4(), name text NOT NULL);
INSERT INTO tenants (name) VALUES ('acme'), ('globex'), ('initech');
ALTER TABLE alembic_version OWNER TO dotmac;
ALTER TABLE tenants OWNER TO dotmac;
SQL
  runuser -u postgres -- "${psql[@]}" -d dotmac_bare >/dev/null <<SQL || return 1
CREATE TABLE alembic_version (version_num varchar(32) NOT NULL PRIMARY KEY);
INSERT INTO alembic_version VALUES ('$PG_BEHIND_REVISION');
ALTER TABLE alembic_version OWNER TO dotmac;
SQL
  {
    echo "export READYCTL_TEST_PG_URL=postgres://dotmac:$PG_TEST_PASSWORD@127.0.0.1:$port/dotmac_prod"
    echo "export READYCTL_TEST_PG_BARE_URL=postgres://dotmac:$PG_TEST_PASSWORD@127.0.0.1:$port/dotmac_bare"
    echo "export READYCTL_TEST_PG_PASSWORD=$PG_TEST_PASSWORD"
    echo "export READYCTL_TEST_PG_CA=$dir/ca.crt"
  } >> "$READYCTL_TEST_ENV"
}

postgres_stop() {
  local bin
  bin=$(_pg_bin) || return 0
  [ -d "$READYCTL_TEST_STATE/postgres/data" ] || return 0
  runuser -u postgres -- "$bin/pg_ctl" -D "$READYCTL_TEST_STATE/postgres/data" -m fast -w stop >/dev/null 2>&1 || true
}
