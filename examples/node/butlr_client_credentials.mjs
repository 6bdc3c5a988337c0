// 001 Butlr: client credentials at /api/v2/clients/login (JSON with audience https://butlrauth/).
//
//   BUTLR_CLIENT_ID=… BUTLR_CLIENT_SECRET=… API_URL=… node butlr_client_credentials.mjs
//
// BUTLR_BASE_URL replaces https://api.butlr.io.
import { Client } from 'tokenwell'

const client = new Client({
  preset: 'butlr',
  baseUrl: process.env.BUTLR_BASE_URL,
  clientId: process.env.BUTLR_CLIENT_ID,
  clientSecret: { env: 'BUTLR_CLIENT_SECRET' },
})
const token = await client.token()

for (let i = 0; i < Number(process.env.API_CALLS ?? 3); i++) {
  const res = await client.fetch(process.env.API_URL)
  if (!res.ok) throw new Error(`the API answered ${res.status}`)
  console.log(res.status, await res.text())
}

// One line for scripts/examples.py (`make demo`): what came back, and where a second call came from.
const second = (await client.token()).accessToken === token.accessToken ? 'cache' : 'fetched'
console.log(`result: token_type=${token.tokenType} expires_in=${Math.round(token.expiresIn)} second_call=${second}`)
