#!/usr/bin/env python3
"""Lays out libtokenwell.a so that the code a new process runs for its first token sits together.

A Go program (or a C program linked statically) runs ~650 Rust functions to get its first token,
spread over the ~3.4 MB of Rust code in the binary: each 64 KB window of it the kernel maps on a
page fault costs a fault. rustc emits each function in a section of its own (`.text.<symbol>`);
this script renames the sections of the functions listed in bindings-c/first-token.txt to
`.text.hot.<symbol>`, which the linker's default script (GNU ld; gold and lld too) places together
at the start of `.text`. On the bench machine a new Go process's first token came ~0.07 ms sooner
(its first token touched 13 windows of Rust code instead of 46). Nothing else changes: the same
code and symbols, and a linker without the convention links the archive as before.

  hot_layout.py apply ARCHIVE [--min F]  rename the listed functions' sections in ARCHIVE (in
                                         place, idempotent); fails when fewer than F (default 0.5)
                                         of the listed functions are found: the list is stale
  hot_layout.py span BINARY              fail unless the listed functions in a linked BINARY sit
                                         together (the test of `make test-c`)
  hot_layout.py record PROGRAM SERVER    run PROGRAM (bench/go's compare program: `once tokenwell
                                         URL`) under callgrind against SERVER (the test server's
                                         binary) and print the list (`make hot-functions`)

The list holds mangled names without the `.llvm.N` suffix ThinLTO adds per build. The rest of a
name depends on the crate versions and the compiler, not on where the checkout lives: a name that
no longer exists matches nothing and costs nothing, and `apply` says when too many are gone.
Needs binutils (readelf, objcopy); `record` needs valgrind.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIST = ROOT / "bindings-c/first-token.txt"
HOT = ".text.hot."
PREFIXES = (".text.unlikely.", ".text.")
SECTION = re.compile(r"\]\s+(\.text\.\S+)")
LLVM_SUFFIX = re.compile(r"\.llvm\.\d+$")
RUST = ("_ZN", "_R")


def stable(symbol: str) -> str:
    return LLVM_SUFFIX.sub("", symbol)


def read_list(path: Path) -> set[str]:
    return {line.strip() for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")}


def apply(archive: Path, listed: set[str], min_found: float) -> None:
    sections = subprocess.run(["readelf", "-SW", str(archive)], capture_output=True, text=True, check=True).stdout
    hot: dict[str, str] = {}  # section -> its new name
    found: set[str] = set()
    for m in SECTION.finditer(sections):
        name = m.group(1)
        if name.startswith(HOT):
            found.add(stable(name[len(HOT):]))
            continue
        for prefix in PREFIXES:
            if name.startswith(prefix):
                symbol = name[len(prefix):]
                if stable(symbol) in listed:
                    hot[name] = HOT + symbol
                    found.add(stable(symbol))
                break
    if hot:
        with tempfile.TemporaryDirectory(prefix="tw-hot-") as tmp:
            renames = Path(tmp, "renames")
            renames.write_text("".join(f"--rename-section={old}={new}\n" for old, new in hot.items()))
            out = Path(tmp, archive.name)
            subprocess.run(["objcopy", f"@{renames}", str(archive), str(out)], check=True)
            os.replace(out, archive)
    share = len(found & listed) / max(1, len(listed))
    print(f"hot_layout: {archive}: {len(found & listed)} of the {len(listed)} functions of {LIST.name} laid out "
          f"together ({len(hot)} sections renamed now)")
    if share < min_found:
        raise SystemExit(f"hot_layout: only {share:.0%} of {LIST.relative_to(ROOT)} is in {archive}: the list is "
                         "stale (new crate versions or compiler); regenerate it with `make hot-functions`")


def span(binary: Path, listed: set[str]) -> None:
    """The 64 KB windows the listed functions of `binary` touch, against the fewest they could."""
    symbols = subprocess.run(["nm", "-S", "--defined-only", str(binary)], capture_output=True, text=True,
                             check=True).stdout
    windows: set[int] = set()
    size = count = 0
    for line in symbols.splitlines():
        f = line.split()
        if len(f) == 4 and f[2] in "tTwW" and stable(f[3]) in listed:
            start, length = int(f[0], 16), int(f[1], 16)
            windows.update(range(start >> 16, ((start + max(length, 1) - 1) >> 16) + 1))
            size += length
            count += 1
    fewest = -(-size // 65536)
    print(f"hot_layout: {binary}: {count} listed functions, {size // 1024} KB, in {len(windows)} windows of 64 KB "
          f"(at least {fewest})")
    if count == 0 or len(windows) > 2 * fewest + 4:
        raise SystemExit(f"hot_layout: the listed functions of {binary} are spread out: was its libtokenwell.a laid "
                         "out (`make libtokenwell`), and does the linker place .text.hot.* together?")


def record(program: str, server_bin: str) -> None:
    server = subprocess.Popen([server_bin, "--max-seconds", "120"], stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        if not url.startswith("http://"):
            raise SystemExit(f"hot_layout: the test server did not start: {url!r}")
        with tempfile.TemporaryDirectory(prefix="tw-hot-") as tmp:
            out = Path(tmp, "callgrind.out")
            subprocess.run(["valgrind", "--tool=callgrind", "--demangle=no", f"--callgrind-out-file={out}", program,
                            "once", "tokenwell", f"{url}/t/hot-layout"], check=True, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=300)
            ran = re.findall(r"^c?fn=\(\d+\) (\S+)$", out.read_text(), re.M)
    finally:
        server.terminate()
        server.wait(timeout=10)
    print("# The Rust functions a new process runs for its first token, mangled, without ThinLTO's")
    print("# `.llvm.N`: scripts/hot_layout.py lays them out together in libtokenwell.a. Written by")
    print("# `make hot-functions` (scripts/hot_layout.py record); regenerate it after dependency updates.")
    for name in sorted({stable(s) for s in ran if s.startswith(RUST)}):
        print(name)


def main() -> None:
    args = sys.argv[1:]
    if len(args) in (2, 4) and args[0] == "apply" and (len(args) == 2 or args[2] == "--min"):
        apply(Path(args[1]), read_list(LIST), float(args[3]) if len(args) == 4 else 0.5)
    elif len(args) == 2 and args[0] == "span":
        span(Path(args[1]), read_list(LIST))
    elif len(args) == 3 and args[0] == "record":
        record(args[1], args[2])
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
