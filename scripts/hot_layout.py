#!/usr/bin/env python3
"""Lays out libtokenwell.a so that the code a new process runs for its first token sits together.

A Go program (or a C program linked statically) runs ~650 Rust functions to get its first token,
spread over the ~3.4 MB of Rust code in the binary: each 64 KB window of it the kernel maps on a
page fault costs a fault. rustc emits each function in a section of its own (`.text.<symbol>`);
this script renames the sections of the functions listed in bindings-c/first-token.txt to
`.text.hot.<symbol>`, which GNU ld's default linker script (what gcc and cgo use on Linux) places
side by side near the start of `.text` (lld does only with `-z keep-text-section-prefix`). On the
bench machine a new Go process touched 13 windows of Rust code for its first token instead of 46,
and had it ~0.07 ms sooner. The code and its symbols are unchanged: a linker that ignores the
prefix links the archive as before.

  hot_layout.py apply ARCHIVE            rename the listed functions' sections in ARCHIVE (in
                                         place, idempotent)
  hot_layout.py span BINARY              fail unless the listed functions in a linked BINARY sit
                                         together (a step of `make test-c`)
  hot_layout.py record PROGRAM SERVER    run PROGRAM (bench/go's compare program: `once tokenwell
                                         URL`) under callgrind against SERVER (the test server's
                                         binary) and print the list (`make hot-functions`)

The list holds mangled names without the `.llvm.N` suffix ThinLTO adds per build. Their hashes
depend on the compiler and the crates' versions, not on where the checkout lives. When fewer than
half of the names are found as they are (a new rustc, updated crates), names are compared without
their hashes instead: the generic functions' other instances move too, so less of the gain stays,
and `apply` says to regenerate the list (`make hot-functions`). A name that no longer exists
matches nothing and costs nothing. Needs binutils (readelf, objcopy, nm); `record` needs valgrind.
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
# The hashes in a mangled name: a legacy symbol's `17h<16 hex>E`, a v0 crate root's `Cs<base 62>_`.
HASHES = ((re.compile(r"17h[0-9a-f]{16}E$"), "E"), (re.compile(r"Cs[0-9A-Za-z]+_(?=\d)"), "C"))
# Rust functions, and the C API's entry points.
RECORDED = ("_ZN", "_R", "tw_")


def stable(symbol: str) -> str:
    return LLVM_SUFFIX.sub("", symbol)


def hashless(symbol: str) -> str:
    symbol = stable(symbol)
    for pattern, replacement in HASHES:
        symbol = pattern.sub(replacement, symbol)
    return symbol


def read_list(path: Path) -> set[str]:
    return {line.strip() for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")}


def run(cmd: list[str]) -> str:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    except FileNotFoundError:
        raise SystemExit(f"hot_layout: {cmd[0]} is missing: install binutils") from None
    except subprocess.CalledProcessError as e:
        raise SystemExit(f"hot_layout: `{' '.join(cmd)}` failed: {e.stderr.strip()}") from None


class Matcher:
    """Which symbols are listed: by their names as recorded, or without hashes when fewer than
    half of the list is found that way in `symbols`."""

    def __init__(self, listed: set[str], symbols: set[str]) -> None:
        self.exact = len(listed & {stable(s) for s in symbols}) >= len(listed) / 2
        self.key = stable if self.exact else hashless
        self.listed = listed if self.exact else {hashless(s) for s in listed}

    def __call__(self, symbol: str) -> bool:
        return self.key(symbol) in self.listed

    def note(self) -> str:
        return "" if self.exact else (" (compared without hashes: fewer than half of the names were found as recorded; "
                                      "regenerate the list with `make hot-functions`)")


def apply(archive: Path) -> None:
    if not archive.is_file():
        raise SystemExit(f"hot_layout: {archive} does not exist: build it first (`make libtokenwell`)")
    listed = read_list(LIST)
    symbol_of: dict[str, str] = {}  # section -> its function's symbol
    moved: set[str] = set()  # by an earlier run
    for m in SECTION.finditer(run(["readelf", "-SW", str(archive)])):
        name = m.group(1)
        if name.startswith(HOT):
            moved.add(name[len(HOT):])
            continue
        for prefix in PREFIXES:
            if name.startswith(prefix):
                symbol_of[name] = name[len(prefix):]
                break
    listed_now = Matcher(listed, set(symbol_of.values()) | moved)
    hot = {name: HOT + symbol for name, symbol in symbol_of.items() if listed_now(symbol)}
    if hot:
        # Beside the archive: os.replace cannot move a file across file systems (a tmpfs /tmp).
        with tempfile.TemporaryDirectory(prefix=".tw-hot-", dir=archive.parent) as tmp:
            renames = Path(tmp, "renames")
            renames.write_text("".join(f"--rename-section={old}={new}\n" for old, new in hot.items()))
            out = Path(tmp, archive.name)
            run(["objcopy", f"@{renames}", str(archive), str(out)])
            os.replace(out, archive)
    print(f"hot_layout: {archive}: {len(hot)} sections of the {len(listed)} functions of {LIST.name} moved to "
          f"{HOT}* ({len(moved)} already there){listed_now.note() if hot else ''}")


def span(binary: Path) -> None:
    """The 64 KB windows the listed functions of `binary` touch, against the fewest they could."""
    listed = read_list(LIST)
    functions = []
    for line in run(["nm", "-S", "--defined-only", str(binary)]).splitlines():
        f = line.split()
        if len(f) == 4 and f[2] in "tTwW":
            functions.append((int(f[0], 16), int(f[1], 16), f[3]))
    if not functions:
        raise SystemExit(f"hot_layout: {binary} has no symbol table (stripped?): nothing to check")
    listed_now = Matcher(listed, {name for _, _, name in functions})
    windows: set[int] = set()
    size = count = 0
    for start, length, name in functions:
        if listed_now(name):
            windows.update(range(start >> 16, ((start + max(length, 1) - 1) >> 16) + 1))
            size += length
            count += 1
    fewest = -(-size // 65536)
    print(f"hot_layout: {binary}: {count} listed functions, {size // 1024} KB, in {len(windows)} windows of 64 KB "
          f"(at least {fewest}){listed_now.note()}")
    if count == 0:
        raise SystemExit(f"hot_layout: no function of {LIST.name} is in {binary}: regenerate the list "
                         "(`make hot-functions`)")
    if len(windows) > 2 * fewest + 4:
        raise SystemExit(f"hot_layout: the listed functions of {binary} are spread out: was its libtokenwell.a laid "
                         "out (`make libtokenwell`), and does its linker place .text.hot.* together?")


def record(program: str, server_bin: str) -> None:
    server = subprocess.Popen([server_bin, "--max-seconds", "120"], stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        if not url.startswith("http://"):
            raise SystemExit(f"hot_layout: the test server did not start: {url!r}")
        with tempfile.TemporaryDirectory(prefix="tw-hot-") as tmp:
            out = Path(tmp, "callgrind.out")
            cg = subprocess.run(["valgrind", "--tool=callgrind", "--demangle=no", f"--callgrind-out-file={out}",
                                 program, "once", "tokenwell", f"{url}/t/hot-layout"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=300)
            if cg.returncode != 0:
                raise SystemExit(f"hot_layout: {program} under callgrind failed:\n{cg.stderr}")
            ran = re.findall(r"^c?fn=\(\d+\) (\S+)$", out.read_text(), re.M)
    finally:
        server.terminate()
        server.wait(timeout=10)
    # callgrind marks a recursive call's function `name'2`.
    names = {stable(re.sub(r"'\d+$", "", s)) for s in ran}
    print("# The functions a new process runs for its first token (Rust, mangled, without ThinLTO's")
    print("# `.llvm.N`; and the C API's): scripts/hot_layout.py lays them out together in libtokenwell.a.")
    print("# Written by `make hot-functions` (scripts/hot_layout.py record): regenerate it after a")
    print("# rustc or crate update, or a change to the first token's path.")
    for name in sorted(n for n in names if n.startswith(RECORDED)):
        print(name)


def main() -> None:
    args = sys.argv[1:]
    if len(args) == 2 and args[0] == "apply":
        apply(Path(args[1]))
    elif len(args) == 2 and args[0] == "span":
        span(Path(args[1]))
    elif len(args) == 3 and args[0] == "record":
        record(args[1], args[2])
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
