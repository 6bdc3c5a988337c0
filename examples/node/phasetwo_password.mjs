// 004 Phase Two: password grant with a public client; 60 s tokens, renewed with the refresh token
// before they expire.
//
//   PHASETWO_REALM=… PHASETWO_CLIENT_ID=… PHASETWO_USERNAME=… PHASETWO_PASSWORD=… API_URL=… node phasetwo_password.mjs
//
// PHASETWO_BASE_URL replaces https://app.phasetwo.io/auth.
import { Client } from 'tokenwell'

const client = new Client({
  preset: 'phasetwo',
  baseUrl: process.env.PHASETWO_BASE_URL,
  realm: process.env.PHASETWO_REALM,
  grant: 'password',
  clientId: process.env.PHASETWO_CLIENT_ID,
  username: process.env.PHASETWO_USERNAME,
  password: { env: 'PHASETWO_PASSWORD' },
  clientAuth: 'none',
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
