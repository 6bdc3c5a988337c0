"""001 Butlr: client credentials at /api/v2/clients/login (JSON with audience https://butlrauth/).

    BUTLR_CLIENT_ID=… BUTLR_CLIENT_SECRET=… API_URL=… python butlr_client_credentials.py

BUTLR_BASE_URL replaces https://api.butlr.io.
"""

import os

import httpx

import tokenwell

client = tokenwell.Client(
    preset="butlr",
    base_url=os.environ.get("BUTLR_BASE_URL"),
    client_id=os.environ["BUTLR_CLIENT_ID"],
    client_secret={"env": "BUTLR_CLIENT_SECRET"},
)
token = client.token()

with httpx.Client(auth=client.httpx_auth(), timeout=30) as http:
    for _ in range(int(os.environ.get("API_CALLS", "3"))):
        response = http.get(os.environ["API_URL"])
        response.raise_for_status()
        print(response.status_code, response.text)

# One line for scripts/examples.py (`make demo`): what came back, and where a second call came from.
second = "cache" if client.token().access_token == token.access_token else "fetched"
print(f"result: token_type={token.token_type} expires_in={token.expires_in:.0f} second_call={second}")
