// 001 Butlr: password login (JSON {"username", "password"} at /api/v2/login, no grant_type).
//
//   BUTLR_USERNAME=you@example.com BUTLR_PASSWORD=… API_URL=… node butlr_password.mjs
//
// BUTLR_BASE_URL replaces https://api.butlr.io.
import { Client } from 'tokenwell'

const client = new Client({
  preset: 'butlr',
  baseUrl: process.env.BUTLR_BASE_URL,
  grant: 'password',
  username: process.env.BUTLR_USERNAME,
  password: { env: 'BUTLR_PASSWORD' },
})
const token = await client.token()
console.log(String(token)) // type, expiry and scope; never the token itself

for (let i = 0; i < Number(process.env.API_CALLS ?? 3); i++) {
  const res = await client.fetch(process.env.API_URL)
  if (!res.ok) throw new Error(`the API answered ${res.status}`)
  console.log(res.status, await res.text())
}

// One line for scripts/examples.py (`make demo`): what came back, and where a second call came from.
const second = (await client.token()).accessToken === token.accessToken ? 'cache' : 'fetched'
console.log(`result: token_type=${token.tokenType} expires_in=${Math.round(token.expiresIn)} second_call=${second}`)
