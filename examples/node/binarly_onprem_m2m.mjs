// 002 Binarly on-premises: client credentials with a service-account client on your Keycloak
// (realm BinarlyRealm); CA_FILE adds a private CA's roots.
//
//   KEYCLOAK_BASE_URL=https://sso.example.com BINARLY_CLIENT_ID=… BINARLY_CLIENT_SECRET=… API_URL=… node binarly_onprem_m2m.mjs
import { Client } from 'tokenwell'

const client = new Client({
  preset: 'keycloak',
  baseUrl: process.env.KEYCLOAK_BASE_URL,
  realm: 'BinarlyRealm',
  clientId: process.env.BINARLY_CLIENT_ID,
  clientSecret: { env: 'BINARLY_CLIENT_SECRET' },
  caFile: process.env.CA_FILE,
})
const token = await client.token()

for (let i = 0; i < Number(process.env.API_CALLS ?? 3); i++) {
  // The header by hand, for HTTP clients other than fetch (axios, got, undici.request, …).
  const res = await fetch(process.env.API_URL, { headers: { authorization: (await client.token()).authorization } })
  if (!res.ok) throw new Error(`the API answered ${res.status}`)
  console.log(res.status, await res.text())
}

// One line for scripts/examples.py (`make demo`): what came back, and where a second call came from.
const second = (await client.token()).accessToken === token.accessToken ? 'cache' : 'fetched'
console.log(`result: token_type=${token.tokenType} expires_in=${Math.round(token.expiresIn)} second_call=${second}`)
