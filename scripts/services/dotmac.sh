# The front of the fixture deployment (fixtures/dotmac/fixed) in its good
# state, for tests/it/checklist_live.rs. Sourced by scripts/test.sh.
#
# The fixture's API and frontend are fictional: there is no DotMac software to
# run. So a REAL nginx (the same reverse proxy a production deployment puts in
# front of the app) serves static stand-in responses for the endpoints the
# bundled catalogue probes, with the deployment's real front-end behaviour
# around them — TLS from a private CA, security headers, trusted hosts,
# rate limiting, bearer-token checks and a proxied WebSocket:
#   API (HTTPS, API_PORT)
#     /health                      {"status": "healthy"}
#     POST /api/v1/auth/login      {"access_token": TOKEN} for admin@dotmac.com
#                                  and the per-start smoke password, else 401;
#                                  limit_req (5 r/s, burst 10) → 429 in a burst
#     /api/v1/diagnostics/alarms   401 without `Authorization: Bearer TOKEN`,
#                                  else a JSON list of alarms with UUID ids
#     /metrics                     Prometheus text exposition
#     /ws                          WebSocket (401 without the token), proxied
#                                  to a python3-websockets server that answers
#                                  {"type": "ping"} with {"type": "pong"}
#     unknown Host header          444 (connection closed); no CORS headers
#   FRONTEND (HTTPS, FRONTEND_PORT): 200 with a static HTML page on every path
#                                  (a single-page app's fallback), same headers
# TOKEN and the smoke password are random per start. The certificate is a
# CA:FALSE leaf with SAN localhost/127.0.0.1 signed by a test CA made here.
# Exports READYCTL_TEST_DOTMAC_{API_URL,FRONTEND_URL,CA,SMOKE_PASSWORD,TOKEN}.

dotmac_install() {
  command -v nginx >/dev/null 2>&1 || apt_install nginx
  command -v openssl >/dev/null 2>&1 || apt_install openssl
  # Debian's python3-websockets belongs to the system interpreter.
  /usr/bin/python3 -c 'import websockets' 2>/dev/null || apt_install python3-websockets
}

_dotmac_dir() { echo "$READYCTL_TEST_STATE/dotmac"; }

_dotmac_certs() {
  local d=$1
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=readyctl dotmac test CA" \
    -keyout "$d/ca.key" -out "$d/ca.crt" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null || return 1
  openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
    -keyout "$d/server.key" -out "$d/server.csr" 2>/dev/null || return 1
  printf 'basicConstraints=critical,CA:FALSE\nsubjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >"$d/server.ext"
  openssl x509 -req -in "$d/server.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial \
    -days 365 -extfile "$d/server.ext" -out "$d/server.crt" 2>/dev/null
}

dotmac_start() {
  local d; d=$(_dotmac_dir)
  mkdir -p "$d/tmp" "$d/www"
  _dotmac_certs "$d" || { log "dotmac: certificate generation failed"; return 1; }
  local token password api frontend
  token=$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')
  password=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
  api=$(free_port); frontend=$(free_port)

  # The WebSocket endpoint behind nginx (unix socket, so nothing else listens).
  cat >"$d/ws.py" <<'PY'
import asyncio, json, sys
import websockets

async def handler(ws, *_):
    async for msg in ws:
        try:
            kind = json.loads(msg).get("type")
        except (ValueError, AttributeError):
            kind = None
        await ws.send(json.dumps({"type": "pong"}) if kind == "ping" else msg)

async def main(path):
    async with websockets.unix_serve(handler, path):
        await asyncio.Future()

asyncio.run(main(sys.argv[1]))
PY
  rm -f "$d/ws.sock"
  /usr/bin/python3 "$d/ws.py" "$d/ws.sock" >"$d/ws.log" 2>&1 &
  echo $! >"$d/ws.pid"
  wait_for 10 test -S "$d/ws.sock" || { log "dotmac: websocket server did not start"; cat "$d/ws.log" >&2; return 1; }

  cat >"$d/metrics.txt" <<'EOF'
# HELP http_requests_total Requests handled, by route and status.
# TYPE http_requests_total counter
http_requests_total{route="/health",status="200"} 1027
http_requests_total{route="/api/v1/diagnostics/alarms",status="200"} 311
# HELP celery_tasks_total Celery tasks by state.
# TYPE celery_tasks_total counter
celery_tasks_total{state="succeeded"} 842
EOF
  cat >"$d/www/index.html" <<'EOF'
<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>DotMac Platform</title>
<link rel="stylesheet" href="/static/app.css"></head>
<body><div id="root"></div><script src="/static/app.js"></script></body></html>
EOF

  local alarms='[{"id": "3f8e2a61-9c4d-4b7e-a1f0-6d2c8b9e5a17", "severity": "critical", "source": "olt-ber-02", "message": "PON port 1/3 loss of signal", "raised_at": "2025-10-17T08:41:09Z"}, {"id": "b71c0d94-2e5a-4f63-8d1b-0a9e7c3f6b22", "severity": "major", "source": "core-rtr-01", "message": "BGP session to 10.20.0.1 down", "raised_at": "2025-10-17T09:02:51Z"}]'

  cat >"$d/security-headers.conf" <<'EOF'
add_header Strict-Transport-Security "max-age=63072000; includeSubDomains" always;
add_header X-Content-Type-Options nosniff always;
add_header X-Frame-Options DENY always;
add_header Referrer-Policy strict-origin-when-cross-origin always;
add_header Cross-Origin-Resource-Policy same-origin always;
EOF

  cat >"$d/nginx.conf" <<EOF
user root;
worker_processes 1;
pid $d/nginx.pid;
error_log $d/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  server_tokens off;
  client_body_temp_path $d/tmp/body;
  proxy_temp_path $d/tmp/proxy;
  fastcgi_temp_path $d/tmp/fastcgi;
  uwsgi_temp_path $d/tmp/uwsgi;
  scgi_temp_path $d/tmp/scgi;
  ssl_certificate $d/server.crt;
  ssl_certificate_key $d/server.key;
  ssl_protocols TLSv1.2 TLSv1.3;
  limit_req_zone \$binary_remote_addr zone=dotmac_login:1m rate=5r/s;
  map_hash_bucket_size 128;

  # Credentials check for the login stand-in: \$request_body is read by the
  # time proxy_set_header is evaluated.
  map \$request_body \$dotmac_login_user {
    default 0;
    "~\"username\"\\s*:\\s*\"admin@dotmac\\.com\"" 1;
  }
  map \$request_body \$dotmac_login_password {
    default 0;
    "~\"password\"\\s*:\\s*\"$password\"" 1;
  }
  map "\$dotmac_login_user\$dotmac_login_password" \$dotmac_login_ok {
    default 0;
    11 1;
  }
  map \$http_authorization \$dotmac_authorized {
    default 0;
    "Bearer $token" 1;
  }

  # Unknown Host headers: close the connection (trusted hosts).
  server {
    listen 127.0.0.1:$api ssl default_server;
    listen 127.0.0.1:$frontend ssl default_server;
    return 444;
  }

  # API
  server {
    listen 127.0.0.1:$api ssl;
    server_name 127.0.0.1 localhost;
    default_type application/json;
    include $d/security-headers.conf;
    add_header Content-Security-Policy "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'" always;

    location = /health { return 200 '{"status": "healthy", "timestamp": "$(date -u +%Y-%m-%dT%H:%M:%SZ)"}'; }
    location = /metrics {
      default_type "text/plain; version=0.0.4";
      alias $d/metrics.txt;
    }
    location = /api/v1/auth/login {
      limit_except POST { deny all; }
      limit_req zone=dotmac_login burst=10 nodelay;
      limit_req_status 429;
      proxy_pass http://unix:$d/internal.sock:/login;
      proxy_set_header X-Login-Ok \$dotmac_login_ok;
      proxy_set_header Host localhost;
    }
    location = /api/v1/diagnostics/alarms {
      if (\$dotmac_authorized = 0) { return 401 '{"detail": "Not authenticated"}'; }
      return 200 '$alarms';
    }
    location = /ws {
      if (\$dotmac_authorized = 0) { return 401 '{"detail": "Not authenticated"}'; }
      proxy_pass http://unix:$d/ws.sock;
      proxy_http_version 1.1;
      proxy_set_header Upgrade \$http_upgrade;
      proxy_set_header Connection "upgrade";
      proxy_read_timeout 60s;
    }
    location / { return 404 '{"detail": "Not Found"}'; }
  }

  # Login stand-in behind the API server block.
  server {
    listen unix:$d/internal.sock;
    default_type application/json;
    location = /login {
      if (\$http_x_login_ok = 1) { return 200 '{"access_token": "$token", "token_type": "bearer"}'; }
      return 401 '{"detail": "Incorrect username or password"}';
    }
  }

  # Frontend: every path answers the single-page app's index.html.
  server {
    listen 127.0.0.1:$frontend ssl;
    server_name 127.0.0.1 localhost;
    include $d/security-headers.conf;
    add_header Content-Security-Policy "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self' https://127.0.0.1:$api wss://127.0.0.1:$api; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'" always;
    root $d/www;
    location / {
      default_type text/html;
      try_files /index.html =404;
    }
  }
}
EOF
  nginx -t -c "$d/nginx.conf" -p "$d" >"$d/test.log" 2>&1 || { cat "$d/test.log" >&2; return 1; }
  nginx -c "$d/nginx.conf" -p "$d" || return 1
  wait_for 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$api" || return 1
  cat >>"$READYCTL_TEST_ENV" <<EOF
export READYCTL_TEST_DOTMAC_API_URL=https://127.0.0.1:$api
export READYCTL_TEST_DOTMAC_FRONTEND_URL=https://127.0.0.1:$frontend
export READYCTL_TEST_DOTMAC_CA=$d/ca.crt
export READYCTL_TEST_DOTMAC_SMOKE_PASSWORD=$password
export READYCTL_TEST_DOTMAC_TOKEN=$token
EOF
}

dotmac_stop() {
  local d; d=$(_dotmac_dir)
  [ -f "$d/nginx.pid" ] && kill "$(cat "$d/nginx.pid")" 2>/dev/null
  [ -f "$d/ws.pid" ] && kill "$(cat "$d/ws.pid")" 2>/dev/null
  rm -f "$d/nginx.pid" "$d/ws.pid"
  return 0
}
