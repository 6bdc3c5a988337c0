"""The fault matrix, tests/faults/*.json, through the Python API: each row is a vector (run by
cases.py, as test_vectors.py does) plus a time bound (`max_ms`) and, for three rows, the test
front (`tokenwell-authserver front`, one process per row). While the matrix runs, every record
of the `tokenwell` logger is kept; the last test checks that no record, no exception text and
no repr holds any secret of any row (tests/faults/README.md "Logs").
`TW_FAULTS_TABLE=/path` writes one line per row (expected, requests, ms taken, max_ms);
`TW_FAULTS_DIR=/path` reads the rows from another folder (as core/tests/faults.rs does)."""

from __future__ import annotations

import logging
import os
import select
import signal
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import Any, Iterator, Optional

import pytest

from cases import load, run_case, secret_strings
from conftest import AUTHSERVER, REPO, Server

ROWS = load(Path(os.environ.get("TW_FAULTS_DIR") or REPO / "tests" / "faults"))

# A row that hangs past every bound still ends: far above every max_ms, far below the
# authserver's own limits (its hangs and drips stop after 120 s).
ROW_LIMIT_S = 60


class Hygiene:
    """What the whole matrix showed a user: log records, exception texts, reprs."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.records: list[logging.LogRecord] = []
        self.texts: list[str] = []
        self.secrets: set[str] = set()
        self.rows: set[str] = set()
        self.table: list[str] = []


class Keep(logging.Handler):
    def __init__(self, into: Hygiene) -> None:
        super().__init__(level=1)
        self.into = into

    def emit(self, record: logging.LogRecord) -> None:
        with self.into.lock:
            self.into.records.append(record)


@pytest.fixture(scope="module")
def hygiene() -> Iterator[Hygiene]:
    h = Hygiene()
    logger = logging.getLogger("tokenwell")
    handler = Keep(h)
    level = logger.level
    # Below DEBUG too, so whatever the binding forwards (it forwards up to DEBUG) is kept.
    logger.setLevel(1)
    logger.addHandler(handler)
    try:
        yield h
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        path = os.environ.get("TW_FAULTS_TABLE")
        if path and h.table:
            Path(path).write_text("\n".join(sorted(h.table)) + "\n")


class Front:
    """`tokenwell-authserver front`: relays to the authserver, over TLS or cutting answers."""

    def __init__(self, upstream: str, spec: dict[str, Any], folder: Path) -> None:
        args = [str(AUTHSERVER), "front", "--upstream", upstream, "--max-seconds", str(ROW_LIMIT_S * 2)]
        self.ca: Optional[Path] = None
        if spec.get("tls"):
            self.ca = folder / "front-ca.pem"
            args += ["--tls", "--ca-out", str(self.ca)]
        if spec.get("cut_after_bytes") is not None:
            args += ["--cut-after-bytes", str(spec["cut_after_bytes"])]
        self.log = folder / "front-stderr.txt"
        with open(self.log, "w") as err:
            self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=err, text=True)
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], 10)
        line = self.proc.stdout.readline().strip() if ready else ""
        if not line.startswith(("http://", "https://")):
            self.stop()
            raise RuntimeError(f"`{' '.join(args[1:])}` printed {line!r} instead of its URL; "
                               f"stderr: {self.log.read_text()[:500]}")
        self.url = line.rstrip("/")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)


class RowTimeout(Exception):
    pass


def _row_limit(signum: int, frame: Any) -> None:
    # token() wakes every 100 ms to run signal handlers: this ends a hung call.
    raise RowTimeout(f"the row ran for more than {ROW_LIMIT_S} s")


@pytest.mark.parametrize("stem,v", ROWS, ids=[s for s, _ in ROWS])
def test_fault(server: Server, hygiene: Hygiene, stem: str, v: dict[str, Any]) -> None:
    hygiene.rows.add(stem)
    more: dict[str, str] = {}
    front: Optional[Front] = None
    folder = Path(tempfile.mkdtemp(prefix=f"tokenwell-py-front-{stem}-"))
    on_main = threading.current_thread() is threading.main_thread()
    try:
        if "front" in v:
            front = Front(server.root, v["front"], folder)
            more["{front}"] = f"{front.url}/t/{stem}"
            if front.ca is not None:
                more["{front_ca}"] = str(front.ca)
        if on_main:
            previous = signal.signal(signal.SIGALRM, _row_limit)
            signal.setitimer(signal.ITIMER_REAL, ROW_LIMIT_S)
        try:
            check = run_case(server.root, stem, v, more, answers_subst=True)
        finally:
            if on_main:
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, previous)
    finally:
        if front is not None:
            front.stop()
        for p in folder.iterdir():
            p.unlink()
        folder.rmdir()

    ms = None if check.elapsed is None else check.elapsed * 1000
    if ms is not None and ms > v["max_ms"]:
        check.fail(f"took {ms:.0f} ms, more than max_ms {v['max_ms']}")
    with hygiene.lock:
        hygiene.texts += check.texts
        hygiene.secrets.update(secret_strings(v))
        hygiene.secrets.update(s for s in check.seen if s)
    expected = (v["expect"].get("error") or {}).get("code", "token")
    hygiene.table.append(f"| {stem} | {expected} | {len(v['requests'])} | "
                         f"{'-' if ms is None else f'{ms:.0f}'} | {v['max_ms']} | {'FAIL' if check.fails else 'pass'} |")
    assert not check.fails, f"{stem}: " + "\n  ".join(check.fails)


def record_texts(r: logging.LogRecord) -> list[str]:
    return [r.getMessage(), repr(r.msg), repr(r.args), r.name, r.pathname, r.exc_text or "", r.stack_info or ""]


def leaks(texts: list[str], secrets: set[str]) -> list[str]:
    return [f"{s!r} in {t[:300]!r}" for t in texts for s in secrets if s in t]


def test_matrix_shows_no_secret(hygiene: Hygiene) -> None:
    """Runs after every row (pytest keeps the file's order)."""
    if not hygiene.rows:
        pytest.skip("no row of the matrix ran in this session (deselected)")
    missing = sorted({s for s, _ in ROWS} - hygiene.rows)
    if missing:
        pytest.skip(f"only part of the matrix ran; missing rows: {', '.join(missing)}")
    with hygiene.lock:
        records = list(hygiene.records)
        texts = list(hygiene.texts)
        secrets = set(hygiene.secrets)
    # A scan of nothing would pass whatever the library printed.
    levels = {r.levelno for r in records}
    assert logging.DEBUG in levels and logging.WARNING in levels, \
        f"{len(records)} records captured, levels {sorted(levels)}: the logger is not forwarding"
    assert len(texts) >= len(ROWS), f"only {len(texts)} exception texts and reprs captured"
    assert len(secrets) >= len(ROWS), f"only {len(secrets)} secret strings"
    assert leaks(["x " + min(secrets) + " y"], secrets), "the scan cannot see a planted secret"
    log_texts = [t for r in records for t in record_texts(r)]
    found = leaks(log_texts, secrets) + leaks(texts, secrets)
    print(f"\nfault matrix hygiene: {len(records)} log records (DEBUG {sum(r.levelno == logging.DEBUG for r in records)},"
          f" WARNING {sum(r.levelno == logging.WARNING for r in records)}), {len(texts)} exception texts and reprs,"
          f" {len(secrets)} secret strings: {len(found)} leaks")
    assert not found, "\n".join(found[:20])
