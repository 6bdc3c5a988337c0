// The same package from an ES module: named imports and the default export.
import { Client, OAuthError, type Token } from 'tokenwell'
import tokenwell from 'tokenwell'

const client = new Client({ preset: 'butlr', clientId: 'id', clientSecret: { env: 'BUTLR_SECRET' } })
const token: Token = await client.token()
const same: typeof Client = tokenwell.Client
const err: InstanceType<typeof tokenwell.TokenwellError> = new OAuthError('m', { status: 400, error: 'invalid_grant' })
console.log(token.authorization, same, err.code)
