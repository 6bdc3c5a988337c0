"""000 Binarly: password grant with the public client BinarlyClient and scope openid.

The document posts the password to Keycloak on every run; here the token is fetched once, kept
and renewed, and every API call carries it (a 401 drops it and retries once).

    BINARLY_TENANT=acme BINARLY_EMAIL=you@example.com BINARLY_PASSWORD=… API_URL=… python binarly_password.py

BINARLY_BASE_URL replaces https://auth-{tenant}.binarly.cloud (the tests point it at a local server).
"""

import os

import requests

import tokenwell

client = tokenwell.Client(
    preset="binarly",
    tenant=os.environ.get("BINARLY_TENANT"),
    base_url=os.environ.get("BINARLY_BASE_URL"),
    grant="password",
    username=os.environ["BINARLY_EMAIL"],
    password={"env": "BINARLY_PASSWORD"},  # read by tokenwell, never kept in a Python variable
)
token = client.token()  # one request; later calls answer from memory until shortly before expiry

for _ in range(int(os.environ.get("API_CALLS", "3"))):
    response = requests.get(os.environ["API_URL"], auth=client.requests_auth(), timeout=30)
    response.raise_for_status()
    print(response.status_code, response.text)

# One line for scripts/examples.py (`make demo`): what came back, and where a second call came from.
second = "cache" if client.token().access_token == token.access_token else "fetched"
print(f"result: token_type={token.token_type} expires_in={token.expires_in:.0f} second_call={second}")
