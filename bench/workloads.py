#!/usr/bin/env python3
"""Writes every benchmark workload under WORK (catalogues, shell scripts,
pytest-testinfra tests, file trees, a compose project). Reads the service
addresses from the environment (scripts/services/*.sh and bench/delay_server.rs
export them). Usage: workloads.py WORK
"""

import os
import sys
from urllib.parse import urlparse

work = sys.argv[1]
env = os.environ
os.makedirs(work, exist_ok=True)


def write(name, text, mode=None):
    path = os.path.join(work, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    if mode is not None:
        os.chmod(path, mode)
    return path


def q(s):
    """A YAML single-quoted scalar."""
    return "'" + str(s).replace("'", "''") + "'"


delay_port = env["BENCH_DELAY_PORT"]
tcp_ports = env["BENCH_TCP_PORTS"].split()
nginx_http = env["READYCTL_TEST_NGINX_HTTP_PORT"]
nginx_https = env["READYCTL_TEST_NGINX_HTTPS_PORT"]
nginx_ca = env["READYCTL_TEST_NGINX_CA"]
redis_url = env["READYCTL_TEST_REDIS_URL"]
pg = urlparse(env["READYCTL_TEST_PG_URL"])
bao_addr = env["READYCTL_TEST_BAO_ADDR"]
bao_token = env["READYCTL_TEST_BAO_TOKEN"]
bao_bin = env["BENCH_BAO_BIN"]

# 1. Concurrency: 200 http checks against the 200 ms endpoint, and the shell loop.
N_CONC = 200
lines = ["version: 1", "checks:"]
for i in range(N_CONC):
    lines.append(
        f"  - {{id: slow.{i:03d}, kind: http, url: 'http://127.0.0.1:{delay_port}/slow/{i}', timeout: 10s}}"
    )
write("conc/readyctl.yml", "\n".join(lines) + "\n")
write(
    "conc/curl-loop.sh",
    "#!/bin/sh\n# 200 sequential curl calls: what a shell readiness script does.\nset -e\n"
    f"i=0\nwhile [ $i -lt {N_CONC} ]; do\n"
    f"  curl -fsS -o /dev/null --max-time 10 http://127.0.0.1:{delay_port}/slow/$i\n"
    "  i=$((i + 1))\ndone\n",
    0o755,
)

# 2. The seed checklist's verification commands, against the local services.
health = f"http://127.0.0.1:{nginx_http}/health"
front = f"http://127.0.0.1:{nginx_http}/plain"
headers_url = f"https://localhost:{nginx_https}/h/short-hsts"
write(
    "seed/seed.sh",
    f"""#!/bin/sh
# The seed checklist's verification commands (PRODUCTION_READINESS_CHECKLIST.md),
# run directly against the local services (the seed runs them through
# `docker compose exec`, which adds a container exec to each), one after another,
# each output checked the way the checklist says ("Should return: PONG").
set -e
export REDISCLI_AUTH={q(urlparse(redis_url).password)}
export BAO_ADDR={bao_addr} BAO_TOKEN={bao_token}
redis-cli -h 127.0.0.1 -p {urlparse(redis_url).port} ping | grep -qx PONG
redis-cli -h 127.0.0.1 -p {urlparse(redis_url).port} CONFIG GET appendonly | grep -qx yes
curl -fsS {health} | grep -q '"status": "healthy"'
curl -fsS -o /dev/null {front}
h=$(curl -fsSI --cacert {nginx_ca} {headers_url})
for want in '^strict-transport-security:' '^x-content-type-options: nosniff' '^x-frame-options: deny' '^content-security-policy:'; do
  printf '%s\\n' "$h" | grep -qi "$want"
done
pg_isready -q -h 127.0.0.1 -p {pg.port}
{bao_bin} status >/dev/null
{bao_bin} kv get -field=value secret/auth/jwt_secret >/dev/null
""",
    0o755,
)
write(
    "seed/readyctl.yml",
    f"""version: 1
targets:
  redis: {{url: {q(redis_url)}}}
  postgres: {{url: {q(env["READYCTL_TEST_PG_URL"])}, ca_file: {q(env["READYCTL_TEST_PG_CA"])}, tls: require}}
  vault: {{url: {q(bao_addr)}}}
  vault-app: {{url: {q(bao_addr)}, token: {q(bao_token)}}}
checks:
  - {{id: redis.ping, kind: redis, target: redis}}
  - {{id: redis.aof, kind: redis, target: redis, config: {{appendonly: "yes"}}}}
  - id: api.health
    kind: http
    url: {q(health)}
    expect: {{status: 200, json: [{{path: $.status, equals: healthy}}]}}
  - {{id: frontend, kind: http, url: {q(front)}, expect: {{status: 200}}}}
  - id: security.headers
    kind: http
    method: HEAD
    url: {q(headers_url)}
    ca_file: {q(nginx_ca)}
    expect:
      headers:
        strict-transport-security: {{present: true}}
        x-content-type-options: nosniff
        x-frame-options: {{matches: '(?i)^deny$'}}
        content-security-policy: {{present: true}}
  - {{id: postgres.ready, kind: postgres, target: postgres}}
  - {{id: vault.status, kind: vault, target: vault}}
  - id: vault.jwt
    kind: vault
    target: vault-app
    secrets: [{{path: secret/auth/jwt_secret, keys: [value]}}]
""",
)

# 3. pytest-testinfra vs readyctl: 50 files, 20 ports, 20 HTTP URLs.
N_FILES, N_URLS = 50, 20
root = os.path.join(work, "infra", "root")
files = []
for i in range(N_FILES):
    p = f"etc/app/conf{i:02d}.ini"
    full = write(f"infra/root/{p}", f"[app]\nid = {i}\n", 0o644)
    files.append((p, full))
urls = [f"http://127.0.0.1:{nginx_http}/plain?n={i}" for i in range(N_URLS)]
write(
    "infra/test_infra.py",
    f'''"""pytest-testinfra: the same file, port and HTTP checks as readyctl.yml."""
import pytest

FILES = {[full for _, full in files]!r}
PORTS = {[int(p) for p in tcp_ports]!r}
URLS = {urls!r}


@pytest.mark.parametrize("path", FILES)
def test_file(host, path):
    f = host.file(path)
    assert f.is_file
    assert f.mode == 0o644


@pytest.mark.parametrize("port", PORTS)
def test_port(host, port):
    assert host.socket(f"tcp://127.0.0.1:{{port}}").is_listening


@pytest.mark.parametrize("url", URLS)
def test_http(host, url):
    # testinfra has no HTTP module; its documented way is a command.
    out = host.run(f"curl -sS -o /dev/null -w %{{{{http_code}}}} {{url}}")
    assert out.rc == 0 and out.stdout == "200"
''',
)
write(
    "infra/test_infra_urllib.py",
    f'''"""pytest-testinfra with HTTP done in-process (urllib): the kindest variant."""
import urllib.request

import pytest

FILES = {[full for _, full in files]!r}
PORTS = {[int(p) for p in tcp_ports]!r}
URLS = {urls!r}


@pytest.mark.parametrize("path", FILES)
def test_file(host, path):
    f = host.file(path)
    assert f.is_file
    assert f.mode == 0o644


@pytest.mark.parametrize("port", PORTS)
def test_port(host, port):
    assert host.socket(f"tcp://127.0.0.1:{{port}}").is_listening


@pytest.mark.parametrize("url", URLS)
def test_http(url):
    with urllib.request.urlopen(url, timeout=10) as r:
        assert r.status == 200
''',
)
lines = ["version: 1", "checks:"]
for i, (p, _) in enumerate(files):
    lines.append(f"  - {{id: file.{i:02d}, kind: file, path: {p}, mode: '0644'}}")
for p in tcp_ports:
    lines.append(f"  - {{id: port.{p}, kind: tcp, address: '127.0.0.1:{p}'}}")
for i, u in enumerate(urls):
    lines.append(f"  - {{id: http.{i:02d}, kind: http, url: {q(u)}, expect: {{status: 200}}}}")
write("infra/readyctl.yml", "\n".join(lines) + "\n")

# 4. Static scale: 10,000 file checks, 10,000 env_file checks, 200-service compose.
N_STATIC = int(env.get("BENCH_STATIC_N", "10000"))
sroot = os.path.join(work, "static", "root")
os.makedirs(os.path.join(sroot, "bin"), exist_ok=True)
os.makedirs(os.path.join(sroot, "env"), exist_ok=True)
fl = ["version: 1", "checks:"]
el = ["version: 1", "checks:"]
for i in range(N_STATIC):
    p = f"bin/f{i:05d}.sh"
    with open(os.path.join(sroot, p), "w") as f:
        f.write("#!/bin/sh\necho ok\n")
    os.chmod(os.path.join(sroot, p), 0o755)
    fl.append(f"  - {{id: file.f{i:05d}, kind: file, path: {p}, executable: true, not_empty: true, contains: '^#!'}}")
    e = f"env/s{i:05d}.env"
    with open(os.path.join(sroot, e), "w") as f:
        f.write(
            f"ENVIRONMENT=production\nSERVICE=s{i}\nSECRET_KEY=k{i:05d}-9f2c7e1a4b8d3f6e0a5c\n"
            f"DATABASE_URL=postgres://app@db:5432/s{i}\nLOG_LEVEL=info\n"
        )
    el.append(
        f"  - {{id: env.s{i:05d}, kind: env_file, path: {e}, required: [SECRET_KEY, DATABASE_URL],"
        f" forbidden: [DEBUG], values: {{ENVIRONMENT: production}}}}"
    )
write("static/files.yml", "\n".join(fl) + "\n")
# bench/static.sh's second figure: 500 tcp checks against a closed port.
tl = ["version: 1", "checks:"]
for i in range(500):
    tl.append(f"  - {{id: tcp.closed{i:03d}, kind: tcp, address: '127.0.0.1:1', expect: closed}}")
write("static/tcp-closed.yml", "\n".join(tl) + "\n")
write("static/env.yml", "\n".join(el) + "\n")

N_SVC = 200
cl = ["services:"]
for i in range(N_SVC):
    cl += [
        f"  svc{i:03d}:",
        f"    image: registry.example/app/svc{i:03d}:1.{i}",
        "    env_file: [.env]",
        "    environment:",
        f"      SERVICE_NAME: svc{i:03d}",
        f"    ports: ['{20000 + i}:8000']",
        "    healthcheck:",
        "      test: [CMD, curl, -f, http://localhost:8000/health]",
        "      interval: 10s",
    ]
    if i:
        cl += ["    depends_on: [svc000]"]
write("compose/compose.yml", "\n".join(cl) + "\n")
write("compose/.env", "ENVIRONMENT=production\nSECRET_KEY=0123456789abcdef0123456789abcdef\n")

# 5. Start-up: one check.
write("startup/one/marker", "ok\n")
write("startup/one.yml", "version: 1\nchecks:\n  - {id: one, kind: file, path: marker}\n")
