// 003 Semansys: password grant at /connect/token, the client secret in the form body. The
// document's axios.post(…/connect/token, qs.stringify(data)) asks on every run; this asks once.
//
//   SEMANSYS_CLIENT_ID=… SEMANSYS_CLIENT_SECRET=… SEMANSYS_USERNAME=… SEMANSYS_PASSWORD=… API_URL=… node semansys_password.mjs
//
// SEMANSYS_BASE_URL replaces https://oidc-pre.semansys.com.
import { Client, OAuthError } from 'tokenwell'

const client = new Client({
  preset: 'semansys',
  baseUrl: process.env.SEMANSYS_BASE_URL,
  grant: 'password',
  clientId: process.env.SEMANSYS_CLIENT_ID,
  clientSecret: { env: 'SEMANSYS_CLIENT_SECRET' },
  username: process.env.SEMANSYS_USERNAME,
  password: { env: 'SEMANSYS_PASSWORD' },
})
let token
try {
  token = await client.token()
} catch (e) {
  // e.g. invalid_grant (wrong password): not retried, and not resent for errorBackoff seconds
  if (e instanceof OAuthError) throw new Error(`login refused: ${e.error}: ${e.errorDescription}`)
  throw e
}

for (let i = 0; i < Number(process.env.API_CALLS ?? 3); i++) {
  const res = await client.fetch(process.env.API_URL)
  if (!res.ok) throw new Error(`the API answered ${res.status}`)
  console.log(res.status, await res.text())
}

// One line for scripts/examples.py (`make demo`): what came back, and where a second call came from.
const second = (await client.token()).accessToken === token.accessToken ? 'cache' : 'fetched'
console.log(`result: token_type=${token.tokenType} expires_in=${Math.round(token.expiresIn)} second_call=${second}`)
