// 000 Binarly: password grant with the public client BinarlyClient and scope openid.
//
// The document posts the password to Keycloak on every run; here the token is fetched once, kept
// and renewed, and every API call carries it (client.fetch: a 401 drops it and retries once).
//
//   BINARLY_TENANT=acme BINARLY_EMAIL=you@example.com BINARLY_PASSWORD=… API_URL=… node binarly_password.mjs
//
// BINARLY_BASE_URL replaces https://auth-{tenant}.binarly.cloud (the tests point it at a local server).
import { Client } from 'tokenwell'

const client = new Client({
  preset: 'binarly',
  tenant: process.env.BINARLY_TENANT,
  baseUrl: process.env.BINARLY_BASE_URL,
  grant: 'password',
  username: process.env.BINARLY_EMAIL,
  password: { env: 'BINARLY_PASSWORD' }, // read by tokenwell, never kept in a JS variable
})
const token = await client.token() // one request; later calls answer from memory until shortly before expiry

for (let i = 0; i < Number(process.env.API_CALLS ?? 3); i++) {
  const res = await client.fetch(process.env.API_URL)
  if (!res.ok) throw new Error(`the API answered ${res.status}`)
  console.log(res.status, await res.text())
}

// One line for scripts/examples.py (`make demo`): what came back, and where a second call came from.
const second = (await client.token()).accessToken === token.accessToken ? 'cache' : 'fetched'
console.log(`result: token_type=${token.tokenType} expires_in=${Math.round(token.expiresIn)} second_call=${second}`)
