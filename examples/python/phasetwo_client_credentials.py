"""004 Phase Two: client credentials with admin-cli, from asyncio (httpx.AsyncClient).

    PHASETWO_REALM=… PHASETWO_CLIENT_SECRET=… API_URL=… python phasetwo_client_credentials.py

PHASETWO_CLIENT_ID defaults to admin-cli; PHASETWO_BASE_URL replaces https://app.phasetwo.io/auth.
"""

import asyncio
import os

import httpx

import tokenwell


async def main() -> None:
    client = tokenwell.Client(
        preset="phasetwo",
        base_url=os.environ.get("PHASETWO_BASE_URL"),
        realm=os.environ["PHASETWO_REALM"],
        client_id=os.environ.get("PHASETWO_CLIENT_ID", "admin-cli"),
        client_secret={"env": "PHASETWO_CLIENT_SECRET"},
    )
    async with httpx.AsyncClient(auth=client.httpx_auth(), timeout=30) as http:
        calls = int(os.environ.get("API_CALLS", "3"))
        # Concurrent calls on a cold client: one token request, shared.
        for response in await asyncio.gather(*(http.get(os.environ["API_URL"]) for _ in range(calls))):
            response.raise_for_status()
            print(response.status_code, response.text)

    # One line for scripts/examples.py (`make demo`): what came back, and where a second call came from.
    token = await client.token_async()
    second = "cache" if (await client.token_async()).access_token == token.access_token else "fetched"
    print(f"result: token_type={token.token_type} expires_in={token.expires_in:.0f} second_call={second}")


asyncio.run(main())
