"""`make bench`'s runner: starts the release test server pinned to core 0, runs each language's
compare program pinned to core 1 (`inproc` for the in-process measures, then its `once`, `load`
and `hold` child processes for the process-level ones), and writes one JSON file per language
plus meta.json into the output folder. bench/report.py turns those into RESULTS.md and the chart.

Usage: driver.py [--quick] [--only python,node,...] [--out DIR]"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SERVER_CORE, CLIENT_CORE = "0", "1"
PROCS = 16
# Runs of each child process for the cold-start and load-time rows: a Python or Node child takes
# ~0.1-0.5 s, a Go, Rust or C child a few ms (more runs, a steadier median, for the same time).
COLD_RUNS = {"python": 25, "node": 25}
COLD_RUNS_COMPILED = 101

LANGS: dict[str, list[str]] = {
    "python": [str(ROOT / "target/bench-venv/bin/python"), str(ROOT / "bench/python/compare.py")],
    "node": ["node", str(ROOT / "bench/node-peers/compare.mjs")],
    "go": [str(ROOT / "target/bench/bin/compare-go")],
    "rust": [str(ROOT / "target/bench/bin/compare-rust")],
    "c": [str(ROOT / "target/bench/bin/compare-c")],
}


# Raised priority: the machine may be shared with other work (builds), whose processes would
# otherwise take turns with the measured ones on the client core. Unprivileged, nice only warns.
NICE = ["nice", "-n", "-10"]


def pinned(cmd: list[str]) -> list[str]:
    return [*NICE, "taskset", "-c", CLIENT_CORE, *cmd]


def post(url: str, body: dict[str, Any]) -> None:
    req = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json"}, method="POST")
    urllib.request.urlopen(req, timeout=30).read()


def stats(ns: str) -> dict[str, Any]:
    return json.loads(urllib.request.urlopen(f"{ns}/_stats", timeout=30).read())


def fresh(ns: str, **settings: Any) -> str:
    post(f"{ns}/_reset", {})
    if settings:
        post(f"{ns}/_control", settings)
    return ns


def run_ms(cmd: list[str], env: dict[str, str], ok_line: bool) -> tuple[float, float, float]:
    """One timed child, from its spawn, in ms: to the line `ok` (a `once` child prints it holding
    its first token; `ok_line` false: a child that prints none, to its exit), to its exit, and
    the CPU time (user + system) it used.

    The child runs on the client core with the raised priority `pinned` gives the other children,
    but not through `nice` and `taskset`: they are programs of their own, and their start (~1.6 ms
    on the bench machine) would be timed with the child's, pulling every ratio of a Go, Rust or C
    process toward 1. The driver takes the core and the priority for the spawn, so that the child
    inherits them, and leaves the core as soon as the spawn returns: `posix_spawn` (a vfork)
    returns once the child has executed its program, with two system calls of the driver left on
    that core (Popen's bookkeeping, or a `preexec_fn`'s fork of the driver, would be timed too)."""
    read_end, write_end = os.pipe()
    os.sched_setaffinity(0, {int(CLIENT_CORE)})
    priority = os.getpriority(os.PRIO_PROCESS, 0)
    try:
        os.setpriority(os.PRIO_PROCESS, 0, int(NICE[-1]))
    except PermissionError:  # unprivileged: the default priority, as `nice` would leave it
        pass
    t = time.perf_counter()
    try:
        pid = os.posix_spawnp(cmd[0], cmd, env, file_actions=[(os.POSIX_SPAWN_DUP2, write_end, 1)])
    except OSError:
        os.close(read_end)
        raise
    finally:
        try:
            os.setpriority(os.PRIO_PROCESS, 0, priority)
        except PermissionError:
            pass
        os.sched_setaffinity(0, {int(SERVER_CORE)})
        os.close(write_end)
    first = None
    with os.fdopen(read_end, "rb") as out:
        for line in out:  # until the child exits and its end of the pipe closes
            if first is None and line.strip() == b"ok":
                first = time.perf_counter()
    _, status, usage = os.wait4(pid, 0)
    end = time.perf_counter()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise subprocess.CalledProcessError(code, cmd)
    if ok_line and first is None:
        raise RuntimeError(f"{' '.join(cmd)} exited without printing `ok`: nothing to time its first token by")
    return ((first or end) - t) * 1e3, (end - t) * 1e3, (usage.ru_utime + usage.ru_stime) * 1e3


def median(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def processes(cmd: list[str], lib: str, ns: str, env: dict[str, str]) -> dict[str, Any]:
    """16 processes on a cold key, released together once each has built its client: the token
    requests the server saw (tokenwell with its file cache; the peers as they are)."""
    fresh(ns, delay_ms=50)
    cache_dir = tempfile.mkdtemp(prefix="tw-bench-cache-")
    extra = ["--cache", f"file:{cache_dir}"] if lib == "tokenwell" else []
    procs = [subprocess.Popen(pinned([*cmd, "once", lib, ns, "--wait", *extra]), env=env, stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True) for _ in range(PROCS)]
    try:
        ready = sum(1 for p in procs if p.stdout is not None and p.stdout.readline().strip() == "ready")
        for p in procs:
            assert p.stdin is not None
            p.stdin.write("\n")
            p.stdin.flush()
        failed = sum(1 for p in procs if p.wait(timeout=120) != 0)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
        shutil.rmtree(cache_dir, ignore_errors=True)
    return {"requests": stats(ns)["total"], "ready": ready, "failed": failed}


def language(name: str, cmd: list[str], server: str, quick: bool) -> dict[str, Any]:
    env = dict(os.environ, BENCH_QUICK="1" if quick else "0", BENCH_LOCK=str(ROOT / "bench/rust/Cargo.lock"))
    if not Path(cmd[-1]).exists() and not shutil.which(cmd[-1]):
        return {"lang": name, "pending": f"{cmd[-1]} is not built"}
    print(f"== {name}: in-process measures", flush=True)
    t = time.time()
    out = subprocess.run(pinned([*cmd, "inproc", server]), env=env, stdout=subprocess.PIPE, text=True, timeout=900)
    if out.returncode != 0:
        return {"lang": name, "pending": f"`inproc` exited with {out.returncode}"}
    res: dict[str, Any] = json.loads(out.stdout)
    for key, val in res.pop("cadence", {}).items():  # the C program files these apart
        lib, measure = key.rsplit("/", 1)
        res["libs"][lib][measure] = val
    res.setdefault("order", list(res["libs"]))
    print(f"   {time.time() - t:.0f} s; process measures", flush=True)
    # Every timed child of every library, round by round: the machine's load drifts (other
    # builders), and taking turns spreads the drift over all rows instead of a few.
    cold_libs = [lib for lib, r in res["libs"].items() if "first_ms" in r]  # not the warm-path-only rows
    nss = {lib: f"{server}/t/{name}-cold-{''.join(c if c.isalnum() else '-' for c in lib)[:40]}" for lib in cold_libs}
    jobs = {("none", "load"): [*cmd, "load", "none", f"{server}/t/x"]}
    for lib in cold_libs:
        fresh(nss[lib])
        jobs[(lib, "once")] = [*cmd, "once", lib, nss[lib]]
        jobs[(lib, "load")] = [*cmd, "load", lib, nss[lib]]
    times: dict[tuple[str, str], tuple[list[float], list[float], list[float]]] = {job: ([], [], []) for job in jobs}
    order = list(jobs)
    for i in range(3 if quick else COLD_RUNS.get(name, COLD_RUNS_COMPILED)):
        for job in order[i % len(order):] + order[:i % len(order)]:  # a rotated order each round
            for got, into in zip(run_ms(jobs[job], env, ok_line=job[1] == "once"), times[job]):
                into.append(got)
    if name == "rust":  # the one program that can time tokenwell's runtime start apart
        parts = [json.loads(subprocess.run(pinned([*cmd, "parts", server]), env=env, check=True, stdout=subprocess.PIPE,
                                           text=True, timeout=60).stdout) for _ in range(3 if quick else COLD_RUNS_COMPILED)]
        res["parts"] = {k: [p[k] for p in parts] for k in parts[0]}
    bare_rss = json.loads(subprocess.run(pinned([*cmd, "hold", "none", f"{server}/t/x"]), env=env, check=True,
                                         stdout=subprocess.PIPE, text=True, timeout=60).stdout)["rss_kb"]
    _, bare_load, bare_cpu = times[("none", "load")]
    res["bare"] = {"start_ms": bare_load, "start_cpu_ms": bare_cpu, "rss_kb": bare_rss}
    for lib in cold_libs:
        r, ns = res["libs"][lib], nss[lib]
        r["start_token_ms"], r["start_exit_ms"], r["start_cpu_ms"] = times[(lib, "once")]
        _, r["load_ms"], r["load_cpu_ms"] = times[(lib, "load")]
        held = subprocess.run(pinned([*cmd, "hold", lib, ns]), env=env, check=True, stdout=subprocess.PIPE,
                              text=True, timeout=60)
        r["rss_kb"] = json.loads(held.stdout)["rss_kb"]
        if lib != "raw POST":
            r["procs16"] = processes(cmd, lib, ns.replace("-cold-", "-procs-"), env)
    res["seconds"] = round(time.time() - t)
    res["load_after"] = os.getloadavg()
    return res


def machine() -> dict[str, Any]:
    def sh(*cmd: str) -> str:
        try:
            return subprocess.run(cmd, capture_output=True, text=True, timeout=10).stdout.strip()
        except OSError:
            return "?"

    model = next((line.split(":", 1)[1].strip() for line in sh("lscpu").splitlines() if line.startswith("Model name")), "?")
    mem = next((line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")), "0")
    git = ["git", "-C", str(ROOT)]
    return {"cpu": model, "cores": os.cpu_count(), "mem_gib": round(int(mem) / 2**20, 1), "kernel": platform.release(),
            "os": sh("sh", "-c", ". /etc/os-release && echo $PRETTY_NAME"), "commit": sh(*git, "rev-parse", "--short", "HEAD"),
            "dirty": bool(sh(*git, "status", "--porcelain", "--untracked-files=no")), "nice": " ".join(NICE)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="small repeat counts (harness development)")
    ap.add_argument("--only", default=",".join(LANGS))
    ap.add_argument("--out", default=str(ROOT / "target/bench/results"))
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    # The driver waits on the server's core: woken by a timed child's `ok`, it never takes turns with
    # that child on the client core.
    os.sched_setaffinity(0, {int(SERVER_CORE)})
    server_bin = ROOT / "target/release/tokenwell-authserver"
    server = subprocess.Popen([*NICE, "taskset", "-c", SERVER_CORE, str(server_bin), "--max-seconds", "1800"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        if not url.startswith("http://"):
            sys.exit(f"the test server did not start: {url!r}")
        meta = machine()
        meta.update(date=time.strftime("%Y-%m-%d %H:%M %Z"), quick=args.quick, load_before=os.getloadavg(),
                    server=f"target/release/tokenwell-authserver on core {SERVER_CORE}; clients on core {CLIENT_CORE}")
        t = time.time()
        for name in args.only.split(","):
            res = language(name, LANGS[name], url, args.quick)
            (out / f"{name}.json").write_text(json.dumps(res, indent=1))
            print(f"   {name}: {'pending: ' + res['pending'] if 'pending' in res else 'done'}", flush=True)
        meta.update(load_after=os.getloadavg(), seconds=round(time.time() - t))
        (out / "meta.json").write_text(json.dumps(meta, indent=1))
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
