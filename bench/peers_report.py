#!/usr/bin/env python3
"""Renders the issue-22 section of BENCHMARKS.md (readyctl beside its peers)
from bench/run.sh's results directory. Usage: peers_report.py RESULTS WORK
"""

import json
import os
import sys

res, work = sys.argv[1], sys.argv[2]
state = os.path.dirname(work.rstrip("/"))


def load(name):
    path = os.path.join(res, name + ".json")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return json.load(f)["results"]


def cmds(name):
    path = os.path.join(res, name + ".cmds")
    return open(path).read().splitlines() if os.path.exists(path) else []


def loadavg(name):
    path = os.path.join(res, name + ".load")
    if not os.path.exists(path):
        return ""
    kv = dict(line.split("=", 1) for line in open(path).read().splitlines() if "=" in line)
    return f"load average {kv.get('before', '?')} before, {kv.get('after', '?')} after"


def rss(name):
    path = os.path.join(res, name + ".rss")
    return float(open(path).read()) if os.path.exists(path) else None


def ms(s):
    v = s * 1000
    if v >= 1000:
        return f"{v / 1000:.2f} s"
    if v >= 100:
        return f"{v:.0f} ms"
    if v >= 10:
        return f"{v:.1f} ms"
    return f"{v:.2f} ms"


def shown(c):
    c = c.replace(work, "$W").replace(state, "$STATE")
    return c.replace(os.getcwd() + "/", "")


def find(results, prefix):
    for r in results:
        if r["command"].startswith(prefix):
            return r
    return None


def section(name, title, note=""):
    rs = load(name)
    if not rs:
        print(f"### {title}\n\nnot measured in this run.\n")
        return rs
    ours = rs[0]
    print(f"### {title}\n")
    if note:
        print(note + "\n")
    print("| command | median | mean ± σ | min | max | runs | readyctl vs this |")
    print("|---|---|---|---|---|---|---|")
    for r in rs:
        ratio = r["median"] / ours["median"]
        rel = "—" if r is ours else (f"{ratio:.2f}× faster" if ratio >= 1 else f"{1 / ratio:.2f}× slower")
        print(
            f"| {r['command']} | **{ms(r['median'])}** | {ms(r['mean'])} ± {ms(r['stddev'] or 0)}"
            f" | {ms(r['min'])} | {ms(r['max'])} | {len(r['times'])} | {rel} |"
        )
    print(f"\n{loadavg(name)}.\n")
    if ours.get("rounds"):
        print(
            f"Interleaved: {ours['rounds']} hyperfine invocations, the command order reversed every"
            " other one, times merged (`bench/run.sh` `hfi`, `bench/merge_rounds.py`).\n"
        )
    print("```sh")
    for r, c in zip(rs, cmds(name)):
        print(f"# {r['command']}\n{shown(c)}")
    print("```\n")
    return rs


M = {}
if os.path.exists(os.path.join(res, "meta.env")):
    for line in open(os.path.join(res, "meta.env")):
        k, _, v = line.rstrip("\n").partition("=")
        M[k] = v
print("## Side by side with the peers (issue 22)\n")
print(
    f"Run of `bench/run.sh` on {M.get('date', '?')}, {M.get('version', '?')} (release, commit "
    f"{M.get('commit', '?')}), {M.get('nproc', '?')} cores ({M.get('cpu', '?')}), load average at the end "
    f"{M.get('load', '?')}; {M.get('hyperfine', '')}; peers: {M.get('curl', '')}; {M.get('hurl', '')}; "
    f"{M.get('dotenv_linter', '')}; {M.get('dclint', '')}; {M.get('docker_compose', '')}.\n"
)
print(
    "Each table is one hyperfine invocation, or for the rows where readyctl and a peer "
    "are close, five interleaved ones (said under the table): readyctl and its peers "
    "on the same input, one after the other within seconds, so the shared machine's "
    "load is about the same for both (the load average before and after is shown). "
    "Workloads: `bench/peers_workloads.py`; peers installed by `bench/peers.sh`.\n"
)
slow = section("p-slow", "200 HTTP checks, the endpoint answers after 200 ms (ideal: 200 ms)")
fast = section("p-fast", "1,000 HTTP checks, nginx fixed answer (`return 200`)")
envb = section(
    "p-env-big",
    "One 100,000-line `.env`",
    "readyctl runs its full `env_file` check (compose-exact parsing, required/forbidden/values, "
    "secret strength on the 10,000 secret-looking keys, each secret registered for masking); "
    "dotenv-linter lints (`-i UnorderedKey`, its other 13 checks on).",
)
envs = section("p-env-small", "1,000 small `.env` files")
c200 = section("p-compose-200", "`compose config`, 200 services (two files, anchors, interpolation)")
c2000 = section("p-compose-2000", "`compose config`, 2,000 services")
c10k = section("p-compose-10000", "`compose config`, 10,000 services (readyctl only: the load must succeed)")
lint = section("p-lint", "compose lint rules, 200-service project")
bundled = section("p-bundled", "The bundled catalogue, files only")
files = section("p-files100k", "100,000 `file` checks")
sett = section("p-settings", "`readyctl settings` on a generated 1,000-field pydantic-settings module")


def med(rs, prefix):
    r = find(rs, prefix)
    return r["median"] if r else None


rows = []


def goal(what, value, ok):
    rows.append((what, value, "met" if ok else ("not measured" if ok is None else "not met")))


def ratio_row(what, rs, a, b, want, faster=True):
    x, y = med(rs, a), med(rs, b)
    if x is None or y is None:
        goal(what, "not measured", None)
        return
    r = x / y
    goal(what, f"{ms(x)} vs {ms(y)}: {r:.2f}×", r <= want)


ratio_row("1,000 fast HTTP checks ≤ 0.9× `curl --parallel`", fast, "readyctl: 1,000", "curl --parallel (default", 0.9)
s = med(slow, "readyctl")
goal("200 slow checks within 10% of 200 ms", ms(s) if s else "not measured", s is not None and s <= 0.22)
h = med(slow, "hurl")
goal("… and ahead of hurl", f"{ms(s)} vs {ms(h)}" if (s and h) else "hurl not installed", (s < h) if (s and h) else None)
ratio_row("100k-line `.env` ≤ 0.67× dotenv-linter", envb, "readyctl", "dotenv-linter", 0.67)
ratio_row("1,000 small `.env` ≤ 0.67× dotenv-linter", envs, "readyctl", "dotenv-linter", 0.67)
b = med(bundled, "readyctl")
goal("bundled catalogue, files only < 8 ms", ms(b) if b else "not measured", b is not None and b < 0.008)
for n, rs in (("200", c200), ("2,000", c2000)):
    x, y = med(rs, "readyctl"), med(rs, "docker compose")
    goal(f"`compose config` {n} services ≥ 15× faster than docker compose",
         f"{ms(x)} vs {ms(y)}: {y / x:.1f}×" if (x and y) else "not measured", (y / x >= 15) if (x and y) else None)
x = med(c10k, "readyctl")
goal("a 10,000-service project loads", f"loads in {ms(x)}" + (f", {rss('p-compose-10000'):.0f} MiB peak" if rss('p-compose-10000') else "") if x else "not measured", x is not None)
x = med(lint, "readyctl")
goal("compose lint, 200 services < 50 ms (issue 14)", ms(x) if x else "not measured", x is not None and x < 0.05)
x, m = med(files, "readyctl"), rss("p-files100k")
goal("100,000 `file` checks < 1.5 s", ms(x) if x else "not measured", x is not None and x < 1.5)
goal("… and < 100 MiB peak RSS", f"{m:.0f} MiB" if m else "not measured", m is not None and m < 100)
x = med(sett, "")
goal("`readyctl settings`, 1,000 fields < 50 ms (issue 16)", ms(x) if x else "not measured", x is not None and x < 0.05)

print("### Goals (issues 22, 14, 15, 16), from this run\n")
print("| goal | measured (medians) | |")
print("|---|---|---|")
for what, value, verdict in rows:
    print(f"| {what} | {value} | {verdict} |")
print()
