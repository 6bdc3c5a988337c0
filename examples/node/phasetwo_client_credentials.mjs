// 004 Phase Two: client credentials with admin-cli. Phase Two recommends a client that renews its
// 60 s tokens before they expire: this one does, in the background, one request per renewal.
//
//   PHASETWO_REALM=… PHASETWO_CLIENT_SECRET=… API_URL=… node phasetwo_client_credentials.mjs
//
// PHASETWO_CLIENT_ID defaults to admin-cli; PHASETWO_BASE_URL replaces https://app.phasetwo.io/auth.
import { Client } from 'tokenwell'

const client = new Client({
  preset: 'phasetwo',
  baseUrl: process.env.PHASETWO_BASE_URL,
  realm: process.env.PHASETWO_REALM,
  clientId: process.env.PHASETWO_CLIENT_ID ?? 'admin-cli',
  clientSecret: { env: 'PHASETWO_CLIENT_SECRET' },
})

// Concurrent calls on a cold client: one token request, shared.
const calls = Number(process.env.API_CALLS ?? 3)
for (const res of await Promise.all(Array.from({ length: calls }, () => client.fetch(process.env.API_URL)))) {
  if (!res.ok) throw new Error(`the API answered ${res.status}`)
  console.log(res.status, await res.text())
}

// One line for scripts/examples.py (`make demo`): what came back, and where a second call came from.
const token = await client.token()
const second = (await client.token()).accessToken === token.accessToken ? 'cache' : 'fetched'
console.log(`result: token_type=${token.tokenType} expires_in=${Math.round(token.expiresIn)} second_call=${second}`)
