"""examples/python/: each provider document's flow runs as a script against its own namespace of
the test server: it exits 0, every API call is answered 200, the server sees one token request
for all of them, and no secret appears in the script's output."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from conftest import REPO, Server

EXAMPLES = REPO / "examples" / "python"
CALLS = 3
SECRETS = ["correct horse", "wonderland", "app-secret", "butlr-secret", "semansys-secret", "admin-secret"]

CASES = {
    "binarly_password": {"BINARLY_BASE_URL": "{ns}", "BINARLY_EMAIL": "user@example.com",
                         "BINARLY_PASSWORD": "correct horse"},
    "binarly_onprem_m2m": {"KEYCLOAK_BASE_URL": "{ns}", "BINARLY_CLIENT_ID": "app", "BINARLY_CLIENT_SECRET": "app-secret"},
    "butlr_password": {"BUTLR_BASE_URL": "{ns}", "BUTLR_USERNAME": "user@example.com", "BUTLR_PASSWORD": "correct horse"},
    "butlr_client_credentials": {"BUTLR_BASE_URL": "{ns}", "BUTLR_CLIENT_ID": "butlr-client",
                                 "BUTLR_CLIENT_SECRET": "butlr-secret"},
    "semansys_password": {"SEMANSYS_BASE_URL": "{ns}", "SEMANSYS_CLIENT_ID": "semansys-client",
                          "SEMANSYS_CLIENT_SECRET": "semansys-secret", "SEMANSYS_USERNAME": "alice",
                          "SEMANSYS_PASSWORD": "wonderland"},
    "phasetwo_client_credentials": {"PHASETWO_BASE_URL": "{ns}", "PHASETWO_REALM": "demo",
                                    "PHASETWO_CLIENT_SECRET": "admin-secret"},
    "phasetwo_password": {"PHASETWO_BASE_URL": "{ns}", "PHASETWO_REALM": "demo", "PHASETWO_CLIENT_ID": "public-app",
                          "PHASETWO_USERNAME": "alice", "PHASETWO_PASSWORD": "wonderland"},
}


def test_every_example_is_tested() -> None:
    assert sorted(p.stem for p in EXAMPLES.glob("*.py")) == sorted(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_example(server: Server, name: str) -> None:
    ns = server.namespace(f"py-example-{name}")
    env = {k: v.replace("{ns}", ns.url) for k, v in CASES[name].items()}
    env.update(PATH=os.environ.get("PATH", ""), API_URL=ns.resource_url, API_CALLS=str(CALLS))
    out = subprocess.run([sys.executable, str(EXAMPLES / f"{name}.py")], env=env, capture_output=True,
                         text=True, timeout=60)
    output = out.stdout + out.stderr
    assert out.returncode == 0, output
    stats = ns.stats()
    assert stats["total"] == 1 and stats["resource"] - stats["resource_401"] == CALLS, (stats, output)
    for secret in SECRETS:
        assert secret not in output
