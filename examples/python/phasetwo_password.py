"""004 Phase Two: password grant with a public client; the password is asked for when not set.

    PHASETWO_REALM=… PHASETWO_CLIENT_ID=… PHASETWO_USERNAME=… API_URL=… python phasetwo_password.py

PHASETWO_BASE_URL replaces https://app.phasetwo.io/auth.
"""

import getpass
import os

import requests

import tokenwell

client = tokenwell.Client(
    preset="phasetwo",
    base_url=os.environ.get("PHASETWO_BASE_URL"),
    realm=os.environ["PHASETWO_REALM"],
    grant="password",
    client_id=os.environ["PHASETWO_CLIENT_ID"],
    username=os.environ["PHASETWO_USERNAME"],
    password=os.environ.get("PHASETWO_PASSWORD") or getpass.getpass("Phase Two password: "),
    client_auth="none",
)
token = client.token()  # 60 s tokens: renewed with the refresh token before they expire

for _ in range(int(os.environ.get("API_CALLS", "3"))):
    response = requests.get(os.environ["API_URL"], auth=client.requests_auth(), timeout=30)
    response.raise_for_status()
    print(response.status_code, response.text)

# One line for scripts/examples.py (`make demo`): what came back, and where a second call came from.
second = "cache" if client.token().access_token == token.access_token else "fetched"
print(f"result: token_type={token.token_type} expires_in={token.expires_in:.0f} second_call={second}")
