"""Waiting: many threads or tasks on a cold client share one request; waits release the GIL
and never block the event loop; a cancelled token_async() does not cancel the fetch."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

import tokenwell
from conftest import Namespace


def cc(ns: Namespace, **kw: object) -> tokenwell.Client:
    return tokenwell.Client(token_url=ns.token_url, client_id="app", client_secret="app-secret", **kw)


def test_64_threads_on_a_cold_client_make_one_request(ns: Namespace) -> None:
    ns.control(delay_ms=300)
    client = cc(ns)
    barrier = threading.Barrier(64, timeout=10)

    def ask(_: int) -> str:
        barrier.wait()
        return client.token().access_token

    with ThreadPoolExecutor(64) as pool:
        tokens = list(pool.map(ask, range(64), timeout=30))
    assert len(set(tokens)) == 1
    assert ns.stats()["total"] == 1


def test_500_tasks_on_a_cold_client_make_one_request(ns: Namespace) -> None:
    ns.control(delay_ms=300)
    client = cc(ns)

    async def main() -> list[tokenwell.Token]:
        return await asyncio.wait_for(asyncio.gather(*(client.token_async() for _ in range(500))), 30)

    tokens = asyncio.run(main())
    assert len({t.access_token for t in tokens}) == 1
    assert len({id(t) for t in tokens}) == 1  # one Python object for one token
    assert ns.stats()["total"] == 1


def test_a_ticker_thread_runs_while_token_waits(ns: Namespace) -> None:
    ns.control(delay_ms=500)
    client = cc(ns)
    ticks: list[float] = []
    stop = threading.Event()

    def tick() -> None:
        while not stop.is_set() and len(ticks) < 1000:
            ticks.append(time.monotonic())
            time.sleep(0.01)

    ticker = threading.Thread(target=tick)
    ticker.start()
    time.sleep(0.05)
    try:
        started = time.monotonic()
        client.token()
        waited = time.monotonic() - started
    finally:
        stop.set()
        ticker.join(5)
    during = [t for t in ticks if started <= t <= started + waited]
    assert waited >= 0.45
    assert len(during) >= 20, f"the ticker ran {len(during)} times in {waited:.2f} s: the GIL was held"


def test_a_ticker_task_runs_while_token_async_waits(ns: Namespace) -> None:
    ns.control(delay_ms=500)
    client = cc(ns)

    async def main() -> tuple[int, float, float]:
        ticks = 0
        worst_gap = 0.0
        done = asyncio.Event()

        async def tick() -> None:
            nonlocal ticks, worst_gap
            last = time.monotonic()
            while not done.is_set() and ticks < 1000:
                await asyncio.sleep(0.01)
                now = time.monotonic()
                worst_gap, last, ticks = max(worst_gap, now - last), now, ticks + 1

        ticker = asyncio.create_task(tick())
        await asyncio.sleep(0.02)
        started = time.monotonic()
        await asyncio.wait_for(client.token_async(), 10)
        waited = time.monotonic() - started
        done.set()
        await ticker
        return ticks, worst_gap, waited

    ticks, worst_gap, waited = asyncio.run(main())
    assert waited >= 0.45
    assert ticks >= 20 and worst_gap < 0.2, f"{ticks} ticks, worst gap {worst_gap:.3f} s: the loop was blocked"


def test_cancelling_token_async_does_not_cancel_the_fetch(ns: Namespace) -> None:
    ns.control(delay_ms=500)
    client = cc(ns)

    async def main() -> tokenwell.Token:
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(client.token_async(), 0.1)
        task = asyncio.create_task(client.token_async())
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return await asyncio.wait_for(client.token_async(), 10)

    token = asyncio.run(main())
    assert token.access_token
    assert ns.stats()["total"] == 1


def test_token_async_fast_path_and_errors(ns: Namespace) -> None:
    client = cc(ns)
    bad = tokenwell.Client(token_url=ns.token_url, client_id="app", client_secret="Tw-py-async-bad-4")

    async def main() -> None:
        first = await client.token_async()
        assert await client.token_async() is first
        assert client.token() is first
        with pytest.raises(tokenwell.OAuthError) as info:
            await bad.token_async()
        assert info.value.error == "invalid_client"
        assert "Tw-py-async-bad-4" not in str(info.value) + repr(info.value)

    asyncio.run(main())
    assert ns.stats()["total"] == 2


def test_token_async_outlives_a_closed_loop(ns: Namespace) -> None:
    # A loop closed while a fetch runs: the late answer is dropped quietly, the next loop works.
    ns.control(delay_ms=300)
    client = cc(ns)

    async def give_up() -> None:
        task = asyncio.ensure_future(client.token_async())
        await asyncio.sleep(0.05)
        task.cancel()

    asyncio.run(give_up())
    time.sleep(0.4)

    async def again() -> tokenwell.Token:
        return await asyncio.wait_for(client.token_async(), 10)

    assert asyncio.run(again()).access_token
    assert ns.stats()["total"] == 1


def test_threads_and_tasks_share_one_fetch(ns: Namespace) -> None:
    ns.control(delay_ms=300)
    client = cc(ns)
    with ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(client.token) for _ in range(8)]

        async def main() -> list[tokenwell.Token]:
            return await asyncio.gather(*(client.token_async() for _ in range(20)))

        tokens = asyncio.run(main()) + [f.result(timeout=30) for f in futures]
    assert len({t.access_token for t in tokens}) == 1
    assert ns.stats()["total"] == 1


def test_ctrl_c_interrupts_a_waiting_token(ns: Namespace) -> None:
    # The wait releases the GIL but still lets KeyboardInterrupt through; the fetch goes on.
    # A long server delay leaves room for a loaded machine to deliver the signal.
    ns.control(delay_ms=5000)
    client = cc(ns)
    # A job started in the background by a non-interactive shell inherits SIGINT ignored (and
    # Python then installs no handler): install Python's default one for this test.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    timer = threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    started = time.monotonic()
    try:
        with pytest.raises(KeyboardInterrupt):
            client.token()
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, previous)
    assert time.monotonic() - started < 4.0
    assert client.token().access_token
    assert ns.stats()["total"] == 1
