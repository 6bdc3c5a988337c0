"""001 Butlr: password login (JSON {"username", "password"} at /api/v2/login, no grant_type).

    BUTLR_USERNAME=you@example.com BUTLR_PASSWORD=… API_URL=… python butlr_password.py

BUTLR_BASE_URL replaces https://api.butlr.io.
"""

import os

import requests

import tokenwell

client = tokenwell.Client(
    preset="butlr",
    base_url=os.environ.get("BUTLR_BASE_URL"),
    grant="password",
    username=os.environ["BUTLR_USERNAME"],
    password={"env": "BUTLR_PASSWORD"},
)
token = client.token()
print(f"{token!r}")  # shows type, expiry and scope; never the token itself

for _ in range(int(os.environ.get("API_CALLS", "3"))):
    response = requests.get(os.environ["API_URL"], auth=client.requests_auth(), timeout=30)
    response.raise_for_status()
    print(response.status_code, response.text)

# One line for scripts/examples.py (`make demo`): what came back, and where a second call came from.
second = "cache" if client.token().access_token == token.access_token else "fetched"
print(f"result: token_type={token.token_type} expires_in={token.expires_in:.0f} second_call={second}")
