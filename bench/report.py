"""Assembles bench/RESULTS.md and bench/chart.png from the JSON files bench/driver.py wrote (one
per language + meta.json). Every figure in RESULTS.md comes from those files; the targets of
issue 10 are checked here, not asserted anywhere else.

Usage: report.py [RESULTS_DIR] [--md bench/RESULTS.md] [--png bench/chart.png]"""

from __future__ import annotations

import argparse
import json
import math
import statistics
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ORDER = ["python", "node", "go", "rust", "c"]
RAW = "raw POST"
STORM = 0.25  # a refresh storm: more than one token request per four calls


def med(xs: list[float] | None) -> float:
    return statistics.median(xs) if xs else math.nan


def is_tw(lib: str) -> bool:
    return lib.startswith("tokenwell")


def peers(res: dict[str, Any]) -> list[str]:
    return [n for n in res["order"] if not is_tw(n) and n != RAW]


def spread(xs: list[float] | None, digits: int = 1) -> str:
    if not xs:
        return "—"
    return f"{med(xs):,.{digits}f} ({min(xs):,.{digits}f}–{max(xs):,.{digits}f})"


def ratio(x: float) -> str:
    return "—" if math.isnan(x) else f"{x:.2f}×"


def best_peer(res: dict[str, Any], key: str, f: Any = med) -> float:
    vals = [f(res["libs"][p].get(key)) for p in peers(res) if res["libs"][p].get(key) is not None]
    vals = [v for v in vals if not math.isnan(v)]
    return min(vals) if vals else math.nan


def bold(lib: str, text: str) -> str:
    return f"**{text}**" if lib == "tokenwell" else text


def load(dirpath: Path) -> tuple[dict[str, Any], list[tuple[str, dict[str, Any]]]]:
    meta = json.loads((dirpath / "meta.json").read_text())
    langs = []
    for name in ORDER:
        p = dirpath / f"{name}.json"
        if p.exists():
            langs.append((name, json.loads(p.read_text())))
    return meta, langs


def label(name: str, res: dict[str, Any]) -> str:
    return res.get("lang") or name


# ---- tables ----


def warm_table(langs: list[tuple[str, dict[str, Any]]]) -> list[str]:
    readers = next((r.get("readers", 4) for _, r in langs if "libs" in r), 4)
    out = ["| language | library | used as | 1 caller, ns/call | best peer ÷ this | "
           f"{readers} concurrent readers, ns/call | best peer ÷ this |", "|---|---|---|--:|--:|--:|--:|"]
    for name, res in langs:
        if "libs" not in res:
            out.append(f"| {label(name, res)} | *pending* | {res.get('pending', '')} | | | | |")
            continue
        b1, b4 = best_peer(res, "warm"), best_peer(res, "warm_readers")
        for lib in res["order"]:
            r = res["libs"][lib]
            if "warm" not in r:
                continue
            out.append(f"| {label(name, res)} | {bold(lib, lib)} | {r['how']} | {bold(lib, spread(r['warm']))} | "
                       f"{bold(lib, ratio(b1 / med(r['warm'])))} | {spread(r.get('warm_readers'))} | "
                       f"{ratio(b4 / med(r.get('warm_readers')))} |")
    return out


def cold_table(langs: list[tuple[str, dict[str, Any]]]) -> list[str]:
    out = ["| language | library | process start → first token, wall ms | ÷ raw POST | to exit, ms | ÷ raw POST | "
           "CPU ms | first token in a warm process, ms | ÷ raw POST |", "|---|---|--:|--:|--:|--:|--:|--:|--:|"]
    for name, res in langs:
        if "libs" not in res:
            out.append(f"| {label(name, res)} | *pending* | | | | | | | |")
            continue
        raw = res["libs"].get(RAW, {})
        rc, rx, rf = med(raw.get("start_token_ms")), med(raw.get("start_exit_ms")), med(raw.get("first_ms"))
        for lib in res["order"]:
            r = res["libs"][lib]
            if "first_ms" not in r:
                continue
            out.append(f"| {label(name, res)} | {bold(lib, lib)} | {spread(r.get('start_token_ms'))} | "
                       f"{bold(lib, ratio(med(r.get('start_token_ms')) / rc))} | {spread(r.get('start_exit_ms'))} | "
                       f"{ratio(med(r.get('start_exit_ms')) / rx)} | {spread(r.get('start_cpu_ms'))} | "
                       f"{spread(r['first_ms'], 2)} | "
                       f"{bold(lib, ratio(med(r['first_ms']) / rf))} |")
    return out


def herd_table(langs: list[tuple[str, dict[str, Any]]]) -> list[str]:
    out = ["| language | library | 64 first callers: requests | 1000 first callers: requests | 1000 callers: all served after |",
           "|---|---|--:|--:|--:|"]
    for name, res in langs:
        if "libs" not in res:
            out.append(f"| {label(name, res)} | *pending* | | | |")
            continue
        for lib in res["order"]:
            r = res["libs"][lib]
            if "herd64" not in r:
                continue
            h1, h2 = r["herd64"], r["herd1000"]
            err = "".join(f" ({h['errors']} errors)" for h in (h1, h2) if h["errors"])
            out.append(f"| {label(name, res)} | {bold(lib, lib)} | {bold(lib, str(h1['requests']))} | "
                       f"{bold(lib, str(h2['requests']))}{err} | {h2['seconds']:.2f} s |")
    return out


def storm(e: dict[str, Any]) -> bool:
    return e["requests"] > STORM * max(e["calls"], 1)


def short_table(langs: list[tuple[str, dict[str, Any]]]) -> list[str]:
    out = ["| language | library | `expires_in` 2 s: token requests / calls | expired tokens handed out | "
           "`expires_in` 60 s: token requests / calls | expired tokens handed out |", "|---|---|--:|--:|--:|--:|"]
    for name, res in langs:
        if "libs" not in res:
            out.append(f"| {label(name, res)} | *pending* | | | | |")
            continue
        for lib in res["order"]:
            r = res["libs"][lib]
            if "exp2" not in r:
                continue
            cells = []
            for key in ("exp2", "exp60"):
                e = r[key]
                flag = " (storm)" if storm(e) else ""
                errs = f", {e['errors']} errors" if e["errors"] else ""
                cells += [f"{e['requests']} / {e['calls']}{flag}{errs}", str(e["expired"])]
            out.append(f"| {label(name, res)} | {bold(lib, lib)} | " + " | ".join(bold(lib, c) for c in cells) + " |")
    return out


def procs_table(langs: list[tuple[str, dict[str, Any]]]) -> list[str]:
    out = ["| language | library | 16 processes on a cold key: token requests |", "|---|---|--:|"]
    for name, res in langs:
        if "libs" not in res:
            out.append(f"| {label(name, res)} | *pending* | |")
            continue
        for lib in res["order"]:
            p = res["libs"][lib].get("procs16")
            if p is None:
                continue
            note = " (file cache)" if lib == "tokenwell" else ""
            fail = f" ({p['failed']} failed)" if p["failed"] else ""
            out.append(f"| {label(name, res)} | {bold(lib, lib)}{note} | {bold(lib, str(p['requests']))}{fail} |")
    return out


def load_table(langs: list[tuple[str, dict[str, Any]]]) -> list[str]:
    out = ["| language | library | import + build a client: wall ms over a bare process | CPU ms over a bare process | "
           "resident memory holding one client with a token, MB | over a bare process, MB |", "|---|---|--:|--:|--:|--:|"]
    for name, res in langs:
        if "libs" not in res:
            out.append(f"| {label(name, res)} | *pending* | | | | |")
            continue
        bare_ms, bare_kb = min(res["bare"]["start_ms"]), res["bare"]["rss_kb"]
        bare_cpu = min(res["bare"].get("start_cpu_ms") or [math.nan])
        for lib in res["order"]:
            r = res["libs"][lib]
            if "load_ms" not in r:
                continue
            out.append(f"| {label(name, res)} | {bold(lib, lib)} | {min(r['load_ms']) - bare_ms:,.1f} | "
                       f"{min(r.get('load_cpu_ms') or [math.nan]) - bare_cpu:,.1f} | {r['rss_kb'] / 1024:,.1f} | "
                       f"{(r['rss_kb'] - bare_kb) / 1024:,.1f} |")
        out.append(f"| {label(name, res)} | *(bare process: start and exit)* | {bare_ms:,.1f} | {bare_cpu:,.1f} | "
                   f"{bare_kb / 1024:,.1f} | |")
    return out


def parts_table(langs: list[tuple[str, dict[str, Any]]]) -> list[str]:
    res = dict(langs).get("rust", {})
    p = res.get("parts")
    if not p:
        return []
    once = med(p["runtime"]) + med(p["new1"]) - med(p["new2"]) + med(p["token1"]) - med(p["token2"])
    out = [
        f"Where a new process's first token goes (Rust, tokenwell alone, median of {len(p['runtime'])} fresh "
        "processes, ms): the runtime's start, then clients on fresh namespaces. The first client pays "
        "the one-time costs (the process's shared HTTP client, code and data touched for the first time) and "
        "opens a connection; the second, right after, pays only its configuration and the request, on the "
        "connection the first one left open (kept 4 s).",
        "",
        "| runtime start (2 worker threads) | 1st client: build | 1st client: first token | "
        "2nd client: build | 2nd client: first token | one-time cost (runtime + 1st − 2nd) |",
        "|--:|--:|--:|--:|--:|--:|",
        f"| {spread(p['runtime'], 3)} | {spread(p['new1'], 3)} | {spread(p['token1'], 3)} | "
        f"{spread(p['new2'], 3)} | {spread(p['token2'], 3)} | {once:.2f} |",
        "",
    ]
    return out


def targets(langs: list[tuple[str, dict[str, Any]]]) -> list[str]:
    out = ["| target | language | figure | met |", "|---|---|---|:-:|"]

    def row(target: str, lang: str, figure: str, ok: bool) -> None:
        out.append(f"| {target} | {lang} | {figure} | {'yes' if ok else '**no**'} |")

    for name, res in langs:
        lang = label(name, res)
        if "libs" not in res:
            out.append(f"| all | {lang} | pending: {res.get('pending', '')} | — |")
            continue
        tw = res["libs"]["tokenwell"]
        if name in ("python", "node"):
            b = best_peer(res, "warm")
            x = b / med(tw["warm"])
            row("warm cached get ≥ 2× faster than the fastest peer", lang,
                f"{med(tw['warm']):.1f} ns vs {b:.1f} ns: {x:.2f}×", x >= 2)
            if name == "node" and "tokenwell cachedToken()" in res["libs"]:
                c = med(res["libs"]["tokenwell cachedToken()"]["warm"])
                row("(the same, synchronous `cachedToken()`)", lang, f"{c:.1f} ns vs {b:.1f} ns: {b / c:.2f}×", b / c >= 2)
        raw = res["libs"][RAW]
        f = med(tw["first_ms"]) / med(raw["first_ms"])
        # Three decimals: a ratio of 1.104 must not read as a missed 1.10.
        row("cold overhead ≤ 1.1× the raw POST (warm process)", lang,
            f"{med(tw['first_ms']):.2f} ms vs {med(raw['first_ms']):.2f} ms: {f:.3f}×", f <= 1.1)
        if "start_token_ms" in tw and "start_token_ms" in raw:
            c = med(tw["start_token_ms"]) / med(raw["start_token_ms"])
            row("cold overhead ≤ 1.1× the raw POST (process start)", lang,
                f"{med(tw['start_token_ms']):.2f} ms vs {med(raw['start_token_ms']):.2f} ms: {c:.3f}×", c <= 1.1)
        else:  # a results file an older harness wrote (timed through nice and taskset, to exit)
            row("cold overhead ≤ 1.1× the raw POST (process start)", lang,
                "not measured: this language's results file predates the harness; measure it again", False)
        h = (tw["herd64"]["requests"], tw["herd1000"]["requests"])
        row("exactly one request, herd of 64 / 1000", lang, f"{h[0]} / {h[1]}", h == (1, 1))
        p = tw["procs16"]["requests"]
        row("exactly one request, 16 processes", lang, str(p), p == 1)
        e2, e60 = tw["exp2"], tw["exp60"]
        row("zero expired tokens, no refresh storm (2 s and 60 s tokens)", lang,
            f"2 s: {e2['requests']} requests / {e2['calls']} calls, {e2['expired']} expired; "
            f"60 s: {e60['requests']} / {e60['calls']}, {e60['expired']} expired",
            e2["expired"] == 0 and e60["expired"] == 0 and not storm(e2) and e60["requests"] == 1 and not e2["errors"])
    return out


def ahead(langs: list[tuple[str, dict[str, Any]]]) -> list[str]:
    """tokenwell against every peer of its language on measures 1, 3, 4 and 5."""
    out = ["| language | 1. warm (1 caller / readers) | 3. herd | 4. short tokens | 5. processes |", "|---|:-:|:-:|:-:|:-:|"]
    mark = {True: "ahead", False: "**behind**", None: "tied"}
    for name, res in langs:
        if "libs" not in res:
            out.append(f"| {label(name, res)} | pending | pending | pending | pending |")
            continue
        tw, ps = res["libs"]["tokenwell"], [res["libs"][p] for p in peers(res)]

        def cmp(a: float, b: float) -> bool | None:
            return None if a == b else a < b

        w1 = cmp(med(tw["warm"]), best_peer(res, "warm"))
        w4 = cmp(med(tw["warm_readers"]), best_peer(res, "warm_readers"))
        herd = cmp(tw["herd64"]["requests"] + tw["herd1000"]["requests"],
                   min(p["herd64"]["requests"] + p["herd1000"]["requests"] for p in ps))

        def bad(r: dict[str, Any]) -> tuple[int, int]:  # expired tokens handed out, then storms
            return (r["exp2"]["expired"] + r["exp60"]["expired"], int(storm(r["exp2"])) + int(storm(r["exp60"])))

        short = cmp(bad(tw), min(bad(p) for p in ps))  # type: ignore[arg-type]
        procs = cmp(tw["procs16"]["requests"], min(p["procs16"]["requests"] for p in ps))
        out.append(f"| {label(name, res)} | {mark[w1]} / {mark[w4]} | {mark[herd]} | {mark[short]} | {mark[procs]} |")
    return out


def why(langs: list[tuple[str, dict[str, Any]]]) -> list[str]:
    """One bullet per kind of missed target, with the figures of this run."""
    done = [(n, r) for n, r in langs if "libs" in r]
    out = []
    slow_start = []
    for name, res in done:
        tw, raw, bare = res["libs"]["tokenwell"], res["libs"][RAW], res["bare"]
        if med(tw.get("start_token_ms")) > 1.1 * med(raw.get("start_token_ms")):
            slow_start.append(f"{label(name, res)}: {med(tw['start_token_ms']) - med(raw['start_token_ms']):.2f} ms "
                              f"over the raw POST where ≤ 1.1× allows {0.1 * med(raw['start_token_ms']):.2f} ms "
                              "(a bare process, start to exit: "
                              f"{med(bare['start_ms']):.1f} ms)")
    if slow_start:
        p = dict(done).get("rust", {}).get("parts")
        once = (f" {med(p['runtime']) + med(p['new1']) - med(p['new2']) + med(p['token1']) - med(p['token2']):.2f} ms "
                f"in the Rust breakdown under section 2 (the runtime's start {med(p['runtime']):.2f} ms; the first "
                f"client's first token {med(p['token1']):.2f} ms against {med(p['token2']):.2f} ms for the next)"
                if p else "")
        notes = {
            "Python": " In Python the first record the core logs makes the package's log bridge import `logging` "
                      "(several ms) in a process that has not imported it yet; the bare and raw-POST processes of "
                      "this harness have not, while most applications have (requests, urllib3 and every peer here "
                      "import it).",
        }
        small = [s.split(":")[0] for s in slow_start if s.split(":")[0] in ("Go", "C")]
        if small:
            notes[small[0]] = (f" {' and '.join(small)}: the raw POST uses the language's own HTTP stack, whose start is "
                               "part of the bare process, so tokenwell's one-time cost stands out against a process "
                               "of a few ms.")
        extra = "".join(notes.get(s.split(":")[0], "") for s in slow_start)
        out.append(
            "- **Process start → first token** (" + "; ".join(slow_start) + "). tokenwell runs every token request "
            "on its own runtime (two worker threads, so a caller that gives up never cancels a renewal others "
            "wait for) through a Rust HTTP stack, and a new process pays for that once before its first token:" + once
            + ". That is thread creation, the process's HTTP client (its TLS configuration is built even for an "
            "`http://` URL) and the first run of code and data (page faults: most of it). Later clients of the "
            "same process pay none of it (the warm-process column)." + extra)
    slow_first = [(n, r) for n, r in done
                  if med(r["libs"]["tokenwell"]["first_ms"]) > 1.1 * med(r["libs"][RAW]["first_ms"])]
    if slow_first:
        figs = "; ".join(f"{label(n, r)}: {med(r['libs']['tokenwell']['first_ms']):.2f} ms vs "
                         f"{med(r['libs'][RAW]['first_ms']):.2f} ms" for n, r in slow_first)
        out.append(
            f"- **First token in a warm process** ({figs}). A new client checks its configuration and derives "
            "its cache key (SHA-256) and credential fingerprint (HMAC), and the request crosses from the "
            "caller's thread to the runtime and back; the raw POST does none of that. Since the libraries run "
            "in turns, tokenwell's runtime threads and Rust HTTP code start each run cold in the CPU's caches "
            "after the other libraries' work, where the raw POST runs the language's own HTTP code that the "
            "process (and the peers) use all along. In Go the client is also built and asked through cgo. These "
            "figures move between runs on this machine by more than the 10 % margin: compare them within a "
            "run.")
    node = dict(done).get("node")
    if node is not None:
        b, t = best_peer(node, "warm"), med(node["libs"]["tokenwell"]["warm"])
        if b / t < 2:
            out.append(
                f"- **Node `await client.token()`** ({t:.1f} ns vs {b:.1f} ns). A warm call returns an "
                "already-settled promise without native work or allocation; what remains is the caller's "
                "`await`, one microtask turn that every async API pays, which caps the lead over peers whose own "
                "work is small. The "
                "synchronous `client.cachedToken()` (second Node row) skips it.")
    return out or ["- None: every target above is met in this run."]


# ---- chart ----


def chart(langs: list[tuple[str, dict[str, Any]]], png: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    done = [(n, r) for n, r in langs if "libs" in r]
    fig, axes = plt.subplots(2, 2, figsize=(15, 11))

    def panel(ax: Any, title: str, rows: list[tuple[str, bool, float]], xlabel: str, log: bool, fmt: str) -> None:
        rows = rows[::-1]
        y = range(len(rows))
        ax.barh(list(y), [v for _, _, v in rows], color=["#d9480f" if t else "#868e96" for _, t, _ in rows])
        ax.set_yticks(list(y), [n for n, _, _ in rows], fontsize=8)
        if log:
            ax.set_xscale("log")
        for i, (_, _, v) in enumerate(rows):
            ax.text(v, i, " " + fmt.format(v), va="center", fontsize=7)
        ax.set_title(title, fontsize=11)
        ax.set_xlabel(xlabel, fontsize=9)
        ax.margins(x=0.25)

    warm, first, herd, short = [], [], [], []
    for name, res in done:
        lang = label(name, res)
        raw_first = med(res["libs"][RAW]["first_ms"])
        for lib in res["order"]:
            r = res["libs"][lib]
            tag = (f"{lang} · {lib}", is_tw(lib))
            if "warm" in r:
                warm.append((*tag, med(r["warm"])))
            if "first_ms" in r and lib != RAW:
                first.append((*tag, med(r["first_ms"]) / raw_first))
            if "herd1000" in r:
                herd.append((*tag, float(r["herd1000"]["requests"])))
            if "exp2" in r:
                short.append((f"{tag[0]} ({r['exp2']['expired']} expired)", tag[1], float(r["exp2"]["requests"])))
    panel(axes[0][0], "1. Warm cached get (1 caller), ns per call — lower is better", warm,
          "ns per call (log)", True, "{:,.0f}")
    panel(axes[0][1], "2. First token in a warm process ÷ a raw HTTP POST", first,
          "ratio (1.0 = the raw POST; log)", True, "{:.2f}×")
    panel(axes[1][0], "3. Herd: 1000 concurrent first callers, 50 ms server delay → requests", herd,
          "token requests (log)", True, "{:,.0f}")
    panel(axes[1][1], "4. 2 s tokens, a call every 100 ms for 6 s → token requests", short,
          "token requests (60 calls)", False, "{:.0f}")
    fig.suptitle("tokenwell (orange) beside the libraries users pick instead (grey) — bench/RESULTS.md", fontsize=13)
    fig.tight_layout()
    fig.savefig(png, dpi=90)


# ---- RESULTS.md ----


def versions(langs: list[tuple[str, dict[str, Any]]]) -> list[str]:
    out = []
    for name, res in langs:
        v = res.get("versions")
        if v:
            out.append(f"- {label(name, res)}: " + ", ".join(f"{k} {str(val).removeprefix(k + ' ')}" for k, val in v.items()))
        else:
            out.append(f"- {label(name, res)}: pending ({res.get('pending', '')})")
    return out


def runs(langs: list[tuple[str, dict[str, Any]]], key: str) -> str:
    """How many runs tokenwell's rows of `key` have (the same for every row of a language)."""
    by_count: dict[int, list[str]] = {}
    for name, r in langs:
        if "libs" in r:
            by_count.setdefault(len(r["libs"]["tokenwell"].get(key) or []), []).append(label(name, r))
    if len(by_count) <= 1:
        return str(next(iter(by_count), 0))
    return "; ".join(f"{n} for {', '.join(names)}" for n, names in sorted(by_count.items()))


def render(meta: dict[str, Any], langs: list[tuple[str, dict[str, Any]]]) -> str:
    la = lambda xs: " / ".join(f"{x:.1f}" for x in xs)  # noqa: E731
    per_lang = ", ".join(f"{label(n, r)} {la(r['load_after'])}" for n, r in langs if "load_after" in r)
    pending = [label(n, r) for n, r in langs if "libs" not in r]
    lines = [
        "# tokenwell beside the libraries users pick instead",
        "",
        "Produced by one `make bench` run (bench/bench.mk → bench/driver.py → bench/report.py); every figure "
        "below comes from the JSON files that run wrote. Re-run it to reproduce; figures move with the "
        "machine's load, so compare rows of the same run, not across runs.",
        "",
        f"- Date: {meta['date']}{' (QUICK run: small repeat counts)' if meta.get('quick') else ''}; "
        f"commit {meta['commit']}{' with uncommitted changes' if meta.get('dirty') else ''}; {meta['seconds']} s of measuring.",
        f"- Machine: {meta['cpu']}, {meta['cores']} cores, {meta['mem_gib']} GiB, {meta['os']}, Linux {meta['kernel']}.",
        f"- Pinning: {meta['server']} (`taskset`), both under `{meta.get('nice', 'nice -n 0')}` (the timed "
        "processes of section 2 get the same core and priority from the driver, without those two programs). "
        "Every client process, its threads and its child processes share core 1.",
        "- Installed: the wheel through pip, libtokenwell through `make install` (the C program linked with "
        "`pkg-config` to the shared library; the Go program with the static one, whose first-token code "
        "`make libtokenwell` lays out together: bindings-c/README.md), the compiled programs copied with "
        "`install`: nothing runs from the file its linker just wrote (bench/README.md says why).",
        f"- Load: the machine was shared with other builders during the run. Load average (1/5/15 min) "
        f"before: {la(meta['load_before'])}; after each language: {per_lang}; at the end: {la(meta['load_after'])}. "
        "Timings on a loaded 2-core machine are noisy: medians of repeats are shown with min–max.",
        "- Versions:",
        *[f"  {v}" for v in versions(langs)],
        "",
        "Each peer is used as its documentation shows. A peer without a token cache gets the minimal expiry "
        "check its docs show, and says so in the *used as* column. Every library asks the same local token "
        "endpoint (`POST /t/NS/token` of the release test server, client credentials, a JWT per answer); each "
        "measure uses a fresh namespace so the server's counters are per library.",
        "",
    ]
    if pending:
        lines += [f"**Pending:** {', '.join(pending)} — implemented in the harness, not measured in this run "
                  "(the binding was not usable when it ran; see the reason in the tables).", ""]
    lines += [
        "![tokenwell beside its peers](chart.png)",
        "",
        "## Targets (issue 10)",
        "",
        *targets(langs),
        "",
        "### tokenwell against every peer of its language",
        "",
        "*ahead*: better than the best peer; *tied*: equal to it (e.g. one request each); *behind*: worse. "
        "Warm: the median ns per call. Herd: requests with 64 + 1000 callers. Short tokens: expired tokens "
        "handed out, then refresh storms (both lifetimes). Processes: requests from 16 processes.",
        "",
        *ahead(langs),
        "",
        "### Why some targets are missed",
        "",
        *why(langs),
        "",
        "### What the peers do",
        "",
        "- authlib's default leeway is 60 s: a token that lives 60 s or less counts as expired at once, so "
        "every call fetches (the *storm* rows). httpx-auth's 30 s early expiry and x/oauth2's 10 s expiry "
        "delta do the same to 2 s tokens, as does a hand-written 30 s leeway.",
        "- Peers that renew only at expiry (simple-oauth2's `expired()`, @badgateway's `getToken()`, "
        "requests-oauthlib's own check) can hand out a token in its last milliseconds, which the server "
        "may refuse by the time the request lands; whether a run catches one is luck of timing.",
        "- httpx-auth calls its token function under a lock without looking at its cache again: a herd of "
        "N callers makes N requests one after another. authlib and requests-oauthlib have no lock: every "
        "caller that arrives before the first answer fetches too (fewer than 1000 because later threads "
        "start after the first token landed).",
        "- No peer shares a token across processes: 16 processes make 16 requests.",
        "",
        "## 1. Warm cached get",
        "",
        "A token is cached; the library's get-a-token call in a loop (median of repeats, min–max in "
        "brackets, loop included). *Best peer ÷ this*: above 1 is faster than the fastest peer. "
        "Concurrent readers share the client core, so they measure contention, not scaling.",
        "",
        *warm_table(langs),
        "",
        "## 2. Cold start",
        "",
        "*Process start → first token*: a fresh process imports the library, builds a client, gets one token "
        "and exits; the driver times it from spawn to the line `ok` the process prints holding its token, and "
        f"to its exit ({runs(langs, 'start_token_ms')} runs; the libraries take turns, run by run, so the machine's "
        "changing load reaches each alike). The driver starts the process itself (`posix_spawn`), which "
        "inherits the client core and the raised priority the driver takes for the spawn and leaves right "
        "after: through `nice` and `taskset`, those programs' own start (~1.6 ms) would be timed too. "
        "*CPU ms*: user + system time of the whole process. *First token in a warm "
        "process*: in a running process, a new client on a fresh namespace, to its first token "
        f"({runs(langs, 'first_ms')} runs, in turns as well). Both "
        "beside the raw HTTP POST in the same language (a new connection, no cache); *÷ raw POST* is the "
        "overhead ratio. tokenwell keeps a connection open for 4 s after an answer (so discovery and the token, "
        "or clients starting together, share one handshake), and the run before in the same process left one "
        "open: its warm-process figure is a request on a kept connection, as x/oauth2's is in Go (Go's HTTP "
        "client keeps connections 90 s).",
        "",
        *cold_table(langs),
        "",
        *parts_table(langs),
        "## 3. Herd",
        "",
        "A fresh client, N callers released at once (threads, goroutines, tasks or promises), the server "
        "delaying every token answer by 50 ms (`POST /_control {\"delay_ms\":50}`): the token requests the "
        "server saw (`GET /_stats`).",
        "",
        *herd_table(langs),
        "",
        "## 4. Short tokens",
        "",
        "A call every 100 ms for 6 s, each library at its default leeway. Each handed-out token goes to the "
        "server's `/resource` at once, which answers 401 for a token it considers expired (*expired tokens "
        f"handed out*). *(storm)*: more than one token request per {int(1 / STORM)} calls.",
        "",
        *short_table(langs),
        "",
        "## 5. Processes",
        "",
        "16 processes of the same program build their client, wait at a barrier, then all ask for a token "
        "on a cold key (50 ms server delay): the token requests the server saw. tokenwell uses its file "
        "cache (`cache = \"file:DIR\"`); the peers are used as they are.",
        "",
        *procs_table(langs),
        "",
        "## 6. Load time and memory",
        "",
        "A process that imports (or links) the library and builds a client, minus a bare process of the same "
        f"program: the fastest of the runs ({runs(langs, 'load_ms')} each, taken in turns with the cold-start "
        "runs), wall time from "
        "spawn to exit and the CPU time it used "
        "(which the machine's other work inflates less). Differences within a few ms are noise. "
        "*Resident memory*: VmRSS of a process holding one client with one token.",
        "",
        *load_table(langs),
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("results", nargs="?", default=str(ROOT / "target/bench/results"))
    ap.add_argument("--md", default=str(ROOT / "bench/RESULTS.md"))
    ap.add_argument("--png", default=str(ROOT / "bench/chart.png"))
    args = ap.parse_args()
    meta, langs = load(Path(args.results))
    Path(args.md).write_text(render(meta, langs))
    chart(langs, Path(args.png))
    print(f"wrote {args.md} and {args.png}")


if __name__ == "__main__":
    main()
