#!/usr/bin/env python3
"""Load benchmark: N checks (default 5000) at concurrency 256 against local
services: tcp to a listener, file checks, http to a local server (and redis /
postgres when READYCTL_TEST_REDIS_URL / READYCTL_TEST_PG_URL are set).
Runs readyctl twice, checks one result per check in catalogue order on both
runs, and prints wall time and peak RSS of each run (getrusage on the child).

Usage: bench/load.py [--bin target/debug/readyctl] [--checks 5000] [--concurrency 256]
"""
import argparse, http.server, json, os, resource, socket, socketserver, subprocess, sys, tempfile, threading, time

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")
    def log_message(self, *a):
        pass

class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    request_queue_size = 1024

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="target/debug/readyctl")
    ap.add_argument("--checks", type=int, default=5000)
    ap.add_argument("--concurrency", type=int, default=256)
    a = ap.parse_args()
    httpd = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    tcp = socket.socket(); tcp.bind(("127.0.0.1", 0)); tcp.listen(4096)
    def accept():
        while True:
            c, _ = tcp.accept(); c.close()
    threading.Thread(target=accept, daemon=True).start()
    redis = os.environ.get("READYCTL_TEST_REDIS_URL"); pg = os.environ.get("READYCTL_TEST_PG_URL")
    root = tempfile.mkdtemp(prefix="readyctl-load.")
    for i in range(100):
        open(os.path.join(root, f"f{i}.txt"), "w").write(f"line {i}\n")
    lines, ids = ["version: 1", "checks:"], []
    n = a.checks
    for i in range(n):
        cid = "c%05d" % ((i * 7919) % n)
        m = i % 10
        if m <= 3:
            spec = f'kind: tcp, address: "127.0.0.1:{tcp.getsockname()[1]}"'
        elif m <= 6:
            spec = f"kind: file, path: f{i % 100}.txt"
        elif i % 100 == 7 and redis:
            spec = f'kind: redis, url: "{redis}"'
        elif i % 100 == 8 and pg:
            spec = f'kind: postgres, url: "{pg}", tls: disable'
        else:
            spec = f'kind: http, url: "http://127.0.0.1:{httpd.server_address[1]}/h{i}"'
        lines.append(f"  - {{id: {cid}, {spec}, timeout: 60s}}")
        ids.append(cid)
    cat = os.path.join(root, "readyctl.yml")
    open(cat, "w").write("\n".join(lines) + "\n")
    orders = []
    for run in (1, 2):
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        t0 = time.monotonic()
        p = subprocess.run([a.bin, "check", "--format", "json", "--concurrency", str(a.concurrency),
                            "-c", cat, "--root", root], capture_output=True)
        wall = time.monotonic() - t0
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB, max over children so far
        rep = json.loads(p.stdout)
        got = [c["id"] for c in rep["checks"]]
        statuses = {}
        for c in rep["checks"]:
            statuses[c["status"]] = statuses.get(c["status"], 0) + 1
        ok = got == ids
        orders.append(got)
        print(f"run {run}: {n} checks, concurrency {a.concurrency}: wall {wall:.1f} s, "
              f"peak RSS {peak / 1024:.0f} MiB{'' if peak > before else ' (max so far)'}, "
              f"statuses {statuses}, one result per check in catalogue order: {ok}")
        if p.stderr.strip():
            print("  stderr:", p.stderr.decode(errors="replace").strip()[:500])
        if not ok:
            sys.exit(1)
    print("report order stable across runs:", orders[0] == orders[1])

if __name__ == "__main__":
    main()
