#!/usr/bin/env python3
"""Every code snippet of README.md runs in `make test`: each fenced block must be, line for line
(at any one indentation), a part of an example file that scripts/examples.py runs, or a block
`make test` runs another way. Usage: readme_snippets.py [README.md]. Standard library only.

- `python`, `js`, `go`, `c`, `bash` blocks: a part of examples/python/*.py, examples/node/*.mjs,
  examples/go/**/*.go, examples/c/*.c or examples/c/flows/*.c, examples/shell/*.sh.
- `rust` blocks: compiled as doc tests (core/src/lib.rs includes README.md), so never `ignore`;
  a block naming no file is checked that way only, a block whose visible lines are in
  examples/rust/src/bin/*.rs is also run by scripts/examples.py.
- `sh` blocks hold only `make …` commands (what `make test` itself is); `text` is output.
- Blocks inside a `>` quote are the provider documents' own snippets, quoted, and not checked.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = {
    "python": ["examples/python/*.py"],
    "js": ["examples/node/*.mjs"],
    "go": ["examples/go/**/*.go"],
    "c": ["examples/c/*.c", "examples/c/flows/*.c"],
    "bash": ["examples/shell/*.sh"],
    "rust": ["examples/rust/src/bin/*.rs"],
}
FENCE = re.compile(r"^(`{3,})(.*)$")


def blocks(readme: str) -> list[tuple[int, str, list[str]]]:
    """(line number, info string, lines) of every fenced block outside a quote."""
    out: list[tuple[int, str, list[str]]] = []
    lines = readme.splitlines()
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if m is None:
            i += 1
            continue
        start, fence, info, body = i + 1, m.group(1), m.group(2).strip(), []
        i += 1
        while i < len(lines) and not lines[i].startswith(fence):
            body.append(lines[i])
            i += 1
        i += 1
        out.append((start, info, body))
    return out


def found_in(snippet: list[str], text: str) -> bool:
    """Whether `snippet` occurs as consecutive lines of `text`, all shifted by one indentation."""
    lines = text.splitlines()
    first = snippet[0]
    for i, line in enumerate(lines):
        if not line.endswith(first) or line[: len(line) - len(first)].strip():
            continue
        indent = line[: len(line) - len(first)]
        if lines[i:i + len(snippet)] == [(indent + s) if s else s for s in snippet]:
            return True
    return False


def main() -> int:
    readme = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "README.md"
    problems: list[str] = []
    counts: dict[str, int] = {}
    for line_no, info, body in blocks(readme.read_text()):
        lang = info.split(",")[0]
        where = f"{readme.name}:{line_no}"
        if lang == "text":
            continue
        if lang == "sh":
            if not all(not ln.strip() or ln.startswith("make ") for ln in body):
                problems.append(f"{where}: an `sh` block may hold only `make …` commands; tag an example `bash`")
            continue
        if lang not in SOURCES:
            problems.append(f"{where}: fenced block tagged {info!r}: tag it {', '.join(SOURCES)}, sh or text")
            continue
        if lang == "rust":
            if "ignore" in info:
                problems.append(f"{where}: a Rust block must compile as a doc test (no `ignore`)")
            body = [ln for ln in body if not (ln == "#" or ln.startswith("# "))]  # rustdoc's hidden lines
        snippet = body
        while snippet and not snippet[-1].strip():
            snippet = snippet[:-1]
        files = [p for pattern in SOURCES[lang] for p in sorted(ROOT.glob(pattern))]
        if any(found_in(snippet, p.read_text()) for p in files) if snippet else False:
            counts[lang] = counts.get(lang, 0) + 1
        elif lang == "rust":
            counts["rust (doc test only)"] = counts.get("rust (doc test only)", 0) + 1
        else:
            problems.append(f"{where}: this {lang} block is not a part of any of {', '.join(SOURCES[lang])}")
    for p in problems:
        print(p, file=sys.stderr)
    summary = ", ".join(f"{n} {lang}" for lang, n in sorted(counts.items()))
    print(f"README snippets: {summary}; {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
