"""Every shared case of tests/vectors/ through the Python API (the format and the checks are
tests/vectors/README.md; core/tests/vectors.rs is the reference runner). One test per vector;
the runner is cases.py."""

from __future__ import annotations

from typing import Any

import pytest

from cases import load, run_case
from conftest import REPO, Server

ALL = load(REPO / "tests" / "vectors")


@pytest.mark.parametrize("stem,v", ALL, ids=[s for s, _ in ALL])
def test_vector(server: Server, stem: str, v: dict[str, Any]) -> None:
    check = run_case(server.root, stem, v)
    assert not check.fails, f"{stem}: " + "\n  ".join(check.fails)
