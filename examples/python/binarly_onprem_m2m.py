"""002 Binarly on-premises: client credentials with a service-account client on your Keycloak
(realm BinarlyRealm); CA_FILE adds a private CA's roots.

    KEYCLOAK_BASE_URL=https://sso.example.com BINARLY_CLIENT_ID=… BINARLY_CLIENT_SECRET=… API_URL=… python binarly_onprem_m2m.py
"""

import os

import requests

import tokenwell

client = tokenwell.Client(
    preset="keycloak",
    base_url=os.environ["KEYCLOAK_BASE_URL"],
    realm="BinarlyRealm",
    client_id=os.environ["BINARLY_CLIENT_ID"],
    client_secret={"env": "BINARLY_CLIENT_SECRET"},
    ca_file=os.environ.get("CA_FILE"),
)
token = client.token()

with requests.Session() as session:
    session.auth = client.requests_auth()
    for _ in range(int(os.environ.get("API_CALLS", "3"))):
        response = session.get(os.environ["API_URL"], timeout=30)
        response.raise_for_status()
        print(response.status_code, response.text)

# One line for scripts/examples.py (`make demo`): what came back, and where a second call came from.
second = "cache" if client.token().access_token == token.access_token else "fetched"
print(f"result: token_type={token.token_type} expires_in={token.expires_in:.0f} second_call={second}")
