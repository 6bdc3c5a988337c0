"""Memory across renewals: 100 000 `token()` calls (and 100 000 `token_async()` awaits), with an
`invalidate()` every 1 900 calls so that each loop goes through 53 renewals with the refresh
token (rotated each time). RSS is measured after a warm-up and after the loop; the figures are
printed (`pytest -s`) and kept in target/py-rss.txt, one line per Python version and loop."""

from __future__ import annotations

import asyncio
import gc
import os
import platform
import time
from typing import Callable

import pytest

import tokenwell
from conftest import REPO, Namespace

pytestmark = pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="reads RSS from /proc")

CALLS = 100_000
WARMUP = 10_000
EVERY = 1_900  # invalidate() every EVERY calls: 53 renewals in CALLS
RENEWALS = -(-CALLS // EVERY)
MAX_GROWTH = 8 * 1024 * 1024
RSS_FILE = REPO / "target" / "py-rss.txt"


def rss() -> int:
    gc.collect()
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def mib(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MiB"


def client(ns: Namespace) -> tokenwell.Client:
    # The password grant issues refresh tokens, so each renewal is a rotating refresh. A bounded
    # timeout bounds every call of the loops.
    return tokenwell.Client(token_url=ns.token_url, grant="password", client_id="app", client_secret="app-secret",
                            username="alice", password="wonderland", timeout=5, retries=0)


def report(what: str, before: int, after: int, renewals: int, seconds: float) -> None:
    line = (f"python {platform.python_version()} {what}: {CALLS} calls, {renewals} renewals, {seconds:.2f} s, "
            f"RSS {mib(before)} after warm-up, {mib(after)} after ({(after - before) / 1024:+.0f} KiB)")
    print(f"\n{line}")
    RSS_FILE.parent.mkdir(exist_ok=True)
    prefix = line.split(":")[0] + ":"
    kept = RSS_FILE.read_text().splitlines() if RSS_FILE.exists() else []
    RSS_FILE.write_text("\n".join([x for x in kept if not x.startswith(prefix)] + [line]) + "\n")


def check(ns: Namespace, first_requests: int, tokens: set[str], renewals: int) -> None:
    stats = ns.stats()
    # Each invalidate() is one renewal with the refresh token, and nothing else is fetched.
    assert stats["total"] == first_requests + renewals, stats
    assert stats["by_grant"].get("refresh_token", 0) >= renewals >= 50, stats
    assert stats["refresh_reuse"] == 0, stats
    assert len(tokens) == renewals, f"{len(tokens)} distinct tokens for {renewals} renewals"


def loop(c: tokenwell.Client, calls: int, get: Callable[[], tokenwell.Token]) -> tuple[set[str], int]:
    tokens: set[str] = set()
    renewals = 0
    for i in range(calls):
        if i % EVERY == 0:
            c.invalidate()
            renewals += 1
        tokens.add(get().access_token)
    return tokens, renewals


def test_token_loop_rss_is_bounded(ns: Namespace) -> None:
    c = client(ns)
    loop(c, WARMUP, c.token)
    first = ns.stats()["total"]
    before = rss()
    started = time.monotonic()
    tokens, renewals = loop(c, CALLS, c.token)
    seconds = time.monotonic() - started
    after = rss()
    report("token()", before, after, renewals, seconds)
    check(ns, first, tokens, renewals)
    assert renewals == RENEWALS
    assert after - before < MAX_GROWTH, f"RSS grew by {mib(after - before)} over {CALLS} calls"


def test_token_async_loop_rss_is_bounded(ns: Namespace) -> None:
    c = client(ns)

    async def run(calls: int) -> tuple[set[str], int]:
        tokens: set[str] = set()
        renewals = 0
        for i in range(calls):
            if i % EVERY == 0:
                c.invalidate()
                renewals += 1
            tokens.add((await c.token_async()).access_token)
        return tokens, renewals

    asyncio.run(run(WARMUP))
    first = ns.stats()["total"]
    before = rss()
    started = time.monotonic()
    tokens, renewals = asyncio.run(run(CALLS))
    seconds = time.monotonic() - started
    after = rss()
    report("token_async()", before, after, renewals, seconds)
    check(ns, first, tokens, renewals)
    assert after - before < MAX_GROWTH, f"RSS grew by {mib(after - before)} over {CALLS} awaits"
