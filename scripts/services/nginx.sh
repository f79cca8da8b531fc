# nginx for the HTTP, security-header, TLS and latency tests. Sourced by
# scripts/test.sh. Generates a test CA and four server certificates with
# openssl (valid, expiring in 5 days, wrong host name, self-signed), writes
# its own nginx.conf under $READYCTL_TEST_STATE/nginx and serves:
#   HTTP  (NGINX_HTTP_PORT): header-combination locations, /health, /limited
#         (limit_req → 429); unknown Host headers get 444 (connection closed)
#   OPEN  (NGINX_OPEN_PORT): accepts any Host and reflects any Origin with
#         credentials (the bad example for trusted hosts / CORS)
#   HTTPS (NGINX_HTTPS_PORT, _EXPIRING_, _WRONGHOST_, _SELFSIGNED_): the same
#         locations behind each certificate
# Exports READYCTL_TEST_NGINX_{HTTP,OPEN,HTTPS,EXPIRING,WRONGHOST,SELFSIGNED}_PORT,
# READYCTL_TEST_NGINX_CA (PEM of the test CA), READYCTL_TEST_NGINX_SELFSIGNED_CERT and
# READYCTL_TEST_NGINX_BIN (the nginx binary, for tests that run it on their own config).

nginx_install() {
  command -v nginx >/dev/null 2>&1 || apt_install nginx
  command -v openssl >/dev/null 2>&1 || apt_install openssl
}

_nginx_dir() { echo "$READYCTL_TEST_STATE/nginx"; }

_nginx_certs() {
  local d=$1
  local san="subjectAltName=DNS:localhost,IP:127.0.0.1"
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=readyctl test CA" \
    -keyout "$d/ca.key" -out "$d/ca.crt" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  # name days san
  local spec
  for spec in "valid 365 $san" "expiring 5 $san" "wronghost 365 subjectAltName=DNS:wrong.example"; do
    set -- $spec
    openssl req -newkey rsa:2048 -nodes -subj "/CN=readyctl $1" \
      -keyout "$d/$1.key" -out "$d/$1.csr" 2>/dev/null
    printf 'basicConstraints=critical,CA:FALSE\n%s\nextendedKeyUsage=serverAuth\n' "$3" > "$d/$1.ext"
    openssl x509 -req -in "$d/$1.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial \
      -days "$2" -extfile "$d/$1.ext" -out "$d/$1.crt" 2>/dev/null
  done
  # Self-signed leaf: CA:FALSE with a SAN, as webpki wants (see FACTS.md).
  openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj "/CN=localhost" \
    -keyout "$d/selfsigned.key" -out "$d/selfsigned.crt" \
    -addext "basicConstraints=critical,CA:FALSE" -addext "$san" 2>/dev/null
}

nginx_start() {
  local d; d=$(_nginx_dir)
  mkdir -p "$d/tmp" "$d/www"
  echo limited > "$d/www/limited"
  _nginx_certs "$d"
  local http open https expiring wronghost selfsigned
  http=$(free_port); open=$(free_port); https=$(free_port)
  expiring=$(free_port); wronghost=$(free_port); selfsigned=$(free_port)

  cat > "$d/locations.conf" <<'EOF'
default_type text/plain;
location = /health { default_type application/json; return 200 '{"status": "healthy"}'; }
location = /plain { return 200 'ok'; }
location = /h/none { return 200 'none'; }
location = /h/basic {
  add_header Strict-Transport-Security "max-age=31536000; includeSubDomains" always;
  add_header X-Content-Type-Options nosniff always;
  add_header X-Frame-Options DENY always;
  add_header Referrer-Policy no-referrer always;
  return 200 'basic';
}
location = /h/strict {
  add_header Strict-Transport-Security "max-age=63072000; includeSubDomains; preload" always;
  add_header X-Content-Type-Options nosniff always;
  add_header Content-Security-Policy "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'" always;
  add_header Referrer-Policy strict-origin-when-cross-origin always;
  add_header Cross-Origin-Resource-Policy same-origin always;
  add_header Set-Cookie "sessionid=abc; Path=/; Secure; HttpOnly; SameSite=Strict" always;
  return 200 'strict';
}
location = /h/unsafe-csp {
  add_header Strict-Transport-Security "max-age=31536000" always;
  add_header X-Content-Type-Options nosniff always;
  add_header X-Frame-Options SAMEORIGIN always;
  add_header Content-Security-Policy "default-src 'self' 'unsafe-inline' 'unsafe-eval'" always;
  return 200 'unsafe-csp';
}
location = /h/short-hsts {
  add_header Strict-Transport-Security "max-age=86400" always;
  add_header X-Content-Type-Options nosniff always;
  add_header X-Frame-Options DENY always;
  add_header Content-Security-Policy "default-src 'self'" always;
  return 200 'short-hsts';
}
location = /h/bad-cookies {
  add_header Strict-Transport-Security "max-age=31536000" always;
  add_header X-Content-Type-Options nosniff always;
  add_header X-Frame-Options DENY always;
  add_header Content-Security-Policy "default-src 'self'" always;
  add_header Set-Cookie "sessionid=abc; Path=/" always;
  return 200 'bad-cookies';
}
location = /h/cors-reflect {
  add_header Strict-Transport-Security "max-age=31536000" always;
  add_header X-Content-Type-Options nosniff always;
  add_header X-Frame-Options DENY always;
  add_header Content-Security-Policy "default-src 'self'" always;
  add_header Access-Control-Allow-Origin $http_origin always;
  add_header Access-Control-Allow-Credentials true always;
  return 200 'cors-reflect';
}
# limit_req runs after `return` would, so this one serves a file.
location = /limited { limit_req zone=burst nodelay; limit_req_status 429; }
EOF

  local tls_servers="" port name
  for spec in "$https valid" "$expiring expiring" "$wronghost wronghost" "$selfsigned selfsigned"; do
    set -- $spec
    tls_servers="$tls_servers
  server {
    listen 127.0.0.1:$1 ssl;
    ssl_certificate $d/$2.crt;
    ssl_certificate_key $d/$2.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    # An https -> http downgrade (tests/it/hostile_redirect.rs).
    location = /downgrade { return 302 http://127.0.0.1:$http/plain; }
    include $d/locations.conf;
  }"
  done

  cat > "$d/nginx.conf" <<EOF
user root;
worker_processes 2;
pid $d/nginx.pid;
error_log $d/error.log warn;
events { worker_connections 2048; }
http {
  access_log off;
  client_body_temp_path $d/tmp/body;
  proxy_temp_path $d/tmp/proxy;
  fastcgi_temp_path $d/tmp/fastcgi;
  uwsgi_temp_path $d/tmp/uwsgi;
  scgi_temp_path $d/tmp/scgi;
  keepalive_requests 100000;
  root $d/www;
  limit_req_zone \$binary_remote_addr zone=burst:1m rate=5r/s;
  server {
    listen 127.0.0.1:$http default_server;
    return 444;
  }
  server {
    listen 127.0.0.1:$http;
    server_name 127.0.0.1 localhost;
    include $d/locations.conf;
  }
  server {
    listen 127.0.0.1:$open;
    server_name _;
    location / {
      add_header Access-Control-Allow-Origin \$http_origin always;
      add_header Access-Control-Allow-Credentials true always;
      return 200 'open';
    }
  }
$tls_servers
}
EOF
  nginx -t -c "$d/nginx.conf" -p "$d" >"$d/test.log" 2>&1 || { cat "$d/test.log" >&2; return 1; }
  nginx -c "$d/nginx.conf" -p "$d" || return 1
  wait_for 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$http" || return 1
  cat >> "$READYCTL_TEST_ENV" <<EOF
export READYCTL_TEST_NGINX_HTTP_PORT=$http
export READYCTL_TEST_NGINX_OPEN_PORT=$open
export READYCTL_TEST_NGINX_HTTPS_PORT=$https
export READYCTL_TEST_NGINX_EXPIRING_PORT=$expiring
export READYCTL_TEST_NGINX_WRONGHOST_PORT=$wronghost
export READYCTL_TEST_NGINX_SELFSIGNED_PORT=$selfsigned
export READYCTL_TEST_NGINX_CA=$d/ca.crt
export READYCTL_TEST_NGINX_SELFSIGNED_CERT=$d/selfsigned.crt
export READYCTL_TEST_NGINX_BIN=$(command -v nginx)
EOF
}

nginx_stop() {
  local d; d=$(_nginx_dir)
  [ -f "$d/nginx.pid" ] && kill "$(cat "$d/nginx.pid")" 2>/dev/null
  return 0
}
