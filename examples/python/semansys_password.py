"""003 Semansys: password grant at /connect/token, the client secret in the form body.

    SEMANSYS_CLIENT_ID=… SEMANSYS_CLIENT_SECRET=… SEMANSYS_USERNAME=… SEMANSYS_PASSWORD=… API_URL=… python semansys_password.py

SEMANSYS_BASE_URL replaces https://oidc-pre.semansys.com.
"""

import os

import requests

import tokenwell

try:
    client = tokenwell.Client(
        preset="semansys",
        base_url=os.environ.get("SEMANSYS_BASE_URL"),
        grant="password",
        client_id=os.environ["SEMANSYS_CLIENT_ID"],
        client_secret={"env": "SEMANSYS_CLIENT_SECRET"},
        username=os.environ["SEMANSYS_USERNAME"],
        password={"env": "SEMANSYS_PASSWORD"},
    )
    token = client.token()
    for _ in range(int(os.environ.get("API_CALLS", "3"))):
        response = requests.get(os.environ["API_URL"], auth=client.requests_auth(), timeout=30)
        response.raise_for_status()
        print(response.status_code, response.text)
except tokenwell.OAuthError as e:
    # e.g. invalid_grant (wrong password): not retried, and not resent for error_backoff seconds
    raise SystemExit(f"login refused: {e.error}: {e.error_description}") from None

# One line for scripts/examples.py (`make demo`): what came back, and where a second call came from.
second = "cache" if client.token().access_token == token.access_token else "fetched"
print(f"result: token_type={token.token_type} expires_in={token.expires_in:.0f} second_call={second}")
