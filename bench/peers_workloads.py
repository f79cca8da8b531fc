#!/usr/bin/env python3
"""Writes the issue-22 workloads under WORK/peers: the same job for readyctl
and for each peer (curl --parallel, hurl, dotenv-linter, dclint, docker
compose). Reads BENCH_DELAY_PORT (bench/delay_server.rs) and
READYCTL_TEST_NGINX_HTTP_PORT (scripts/services/nginx.sh) from the
environment. Usage: peers_workloads.py WORK
"""

import os
import sys

work = os.path.join(sys.argv[1], "peers")
env = os.environ
delay = env["BENCH_DELAY_PORT"]
nginx = env["READYCTL_TEST_NGINX_HTTP_PORT"]


def write(name, text, mode=None):
    path = os.path.join(work, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    if mode is not None:
        os.chmod(path, mode)
    return path


def http_set(name, n, url_of, status_only=True):
    """n checks for readyctl, one curl config, n hurl files (hurl runs
    files in parallel with --jobs; the requests of one file run in order)."""
    rc = ["version: 1", "checks:"]
    cc = []
    for i in range(n):
        u = url_of(i)
        rc.append(f"  - {{id: h.{i:04d}, kind: http, url: '{u}', timeout: 10s}}")
        cc += [f'url = "{u}"', "output = /dev/null"]
        write(f"{name}/hurl/{i:04d}.hurl", f"GET {u}\nHTTP 200\n")
    write(f"{name}/readyctl.yml", "\n".join(rc) + "\n")
    write(f"{name}/curl.cfg", "\n".join(cc) + "\n")


# 1. 200 slow checks (the endpoint answers after 200 ms) and 1,000 fast ones
#    (nginx answers a fixed `return 200 ok`: scripts/services/nginx.sh).
http_set("slow", 200, lambda i: f"http://127.0.0.1:{delay}/slow/{i}")
http_set("fast", 1000, lambda i: f"http://127.0.0.1:{nginx}/plain")

# 2. .env files. dotenv-linter lints for syntax and style; readyctl parses
#    as compose does and runs its full env_file check (required, forbidden,
#    values and the secret-strength rules over every secret-looking key).
big = ["# generated: 100,000 KEY=value lines"]
for i in range(100_000):
    if i % 10 == 0:
        big.append(f"APP_SECRET_{i:06d}=s3cr3t-{i:06d}-9f2c7e1a4b8d3f6e0a5c")
    elif i % 10 == 1:
        big.append(f'APP_QUOTED_{i:06d}="value with spaces {i}"')
    else:
        big.append(f"APP_KEY_{i:06d}=value-{i:06d}")
write("env-big/.env", "\n".join(big) + "\n")
write(
    "env-big/readyctl.yml",
    "version: 1\nchecks:\n"
    "  - {id: env.big, kind: env_file, path: .env, required: [APP_KEY_000002, APP_SECRET_000000],"
    " forbidden: [DEBUG], values: {APP_KEY_000003: value-000003}, secrets: {min_length: 16}}\n",
)
small = ["version: 1", "checks:"]
for i in range(1000):
    write(
        f"env-small/.env.{i:04d}",
        f"ENVIRONMENT=production\nSERVICE=s{i}\nSECRET_KEY=k{i:05d}-9f2c7e1a4b8d3f6e0a5c\n"
        f"DATABASE_URL=postgres://app@db:5432/s{i}\nLOG_LEVEL=info\n",
    )
    small.append(
        f"  - {{id: env.s{i:04d}, kind: env_file, path: .env.{i:04d}, required: [SECRET_KEY, DATABASE_URL],"
        f" forbidden: [DEBUG], values: {{ENVIRONMENT: production}}}}"
    )
write("env-small/readyctl.yml", "\n".join(small) + "\n")


# 3. Compose projects: N services over two files (bench/compose_load.sh's
#    shape: a `depends_on` chain, never a cycle, which compose refuses).
def compose(n):
    base = [
        "x-common: &common",
        "  restart: unless-stopped",
        '  logging: {driver: json-file, options: {max-size: "10m"}}',
        "services:",
    ]
    prod = ["services:"]
    for i in range(1, n + 1):
        base += [
            f"  svc{i}:",
            "    <<: *common",
            f"    image: registry.example.com/team/svc{i}:${{TAG:-1.0.{i}}}",
            "    environment:",
            f"      - SERVICE_NAME=svc{i}",
            "      - DATABASE__HOST=${DB_HOST:-postgres}",
            "      - LOG_LEVEL=info",
            f'    ports: ["127.0.0.1:{10000 + i % 50000}:8000"]',
            f'    volumes: ["data{i}:/data", "./conf/svc{i}:/etc/svc:ro"]',
            "    healthcheck:",
            '      test: ["CMD", "curl", "-fsS", "http://localhost:8000/health"]',
            "      interval: 10s",
        ]
        if i > 1:
            base.append(f"    depends_on: [svc{i - 1}]")
        prod += [
            f"  svc{i}:",
            "    environment:",
            "      LOG_LEVEL: warning",
            "      SECRET_KEY: ${SECRET_KEY:?SECRET_KEY is required}",
            f'    volumes: ["prod{i}:/data"]',
            "    deploy: {resources: {limits: {memory: 512m}}}",
        ]
    base.append("volumes:")
    for i in range(1, n + 1):
        base += [f"  data{i}:", f"  prod{i}:"]
    d = f"compose-{n}"
    write(f"{d}/compose.yml", "\n".join(base) + "\n")
    write(f"{d}/production.yml", "\n".join(prod) + "\n")
    write(f"{d}/.env", "SECRET_KEY=bench-secret-value-0123456789\nDB_HOST=db.internal\n")
    write(
        f"{d}/readyctl.yml",
        "version: 1\nchecks:\n"
        "  - {id: compose.lint, kind: compose, files: [compose.yml, production.yml]}\n",
    )


for n in (200, 2000, 10000):
    compose(n)

# 4. 100,000 `file` checks (issue 22's memory figure).
N_FILES = 100_000
fl = ["version: 1", "checks:"]
os.makedirs(os.path.join(work, "files100k/root"), exist_ok=True)
write("files100k/root/marker.sh", "#!/bin/sh\necho ok\n", 0o755)
for i in range(N_FILES):
    fl.append(f"  - {{id: f.{i:06d}, kind: file, path: marker.sh, not_empty: true}}")
write("files100k/readyctl.yml", "\n".join(fl) + "\n")
