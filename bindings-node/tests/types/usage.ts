// Type-checked (tsc --noEmit --strict) against the installed package: the public API as a
// CommonJS TypeScript user writes it. Never run.
import {
  Client,
  Token,
  TokenwellError,
  ConfigError,
  OAuthError,
  HTTPError,
  NetworkError,
  TimeoutError,
  InvalidResponseError,
  CacheError,
  InternalError,
  type Config,
  type ClientOptions,
  type ErrorCode,
} from 'tokenwell'

const config: Config = {
  preset: 'semansys',
  grant: 'password',
  clientId: 'semansys-client',
  clientSecret: { env: 'SEMANSYS_SECRET' },
  username: 'user@example.com',
  password: { file: '/run/secrets/semansys' },
  scope: ['read', 'write'],
  leeway: 30,
  extra: { tenant: 'acme' },
  cache: 'file:/var/cache/tokenwell',
  tokenUrl: undefined,
}
const options: ClientOptions = {
  onLog: (level, message) => {
    const l: 'error' | 'warn' | 'info' | 'debug' | 'trace' = level
    console.error(l, message.length)
  },
}

async function main(): Promise<void> {
  const client = new Client(config, options)
  const other = Client.fromObject({ tokenUrl: new URL('https://sso.example.com/token'), clientId: 'svc', clientSecret: 's' })
  const token: Token = await client.token()
  const header: string = token.authorization
  const access: string = token.accessToken
  const expires: Date = token.expiresAt
  const left: number = token.expiresIn
  const refresh: string | undefined = token.refreshToken
  const scope: string | undefined = token.scope
  const id: string | undefined = token.idToken
  const extra: unknown = token.extra['session_state']
  const cached: Token | null = other.cachedToken()
  if (cached !== null) console.log(cached.tokenType)
  client.invalidate()
  const res: Response = await client.fetch('https://api.example.com/things', { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } })
  console.log(header, access, expires, left, refresh, scope, id, extra, res.status, client.cacheKey, JSON.stringify(token))

  try {
    await client.token()
  } catch (e) {
    if (e instanceof OAuthError) {
      const status: number = e.status
      const error: string = e.error
      const description: string | undefined = e.errorDescription
      console.log(status, error, description, e.errorUri)
    } else if (e instanceof HTTPError) {
      const body: string = e.body
      console.log(e.status, body)
    } else if (e instanceof ConfigError) {
      const key: string = e.key
      console.log(key)
    } else if (e instanceof TokenwellError) {
      const code: ErrorCode = e.code
      console.log(code, e.message)
    }
  }
  const errs: TokenwellError[] = [new NetworkError('n'), new TimeoutError('t'), new InvalidResponseError('i'), new CacheError('c'), new InternalError('x')]
  console.log(errs.length)
}

// @ts-expect-error configuration keys are camelCase
new Client({ token_url: 'https://x/token' })
// @ts-expect-error an unknown grant
new Client({ tokenUrl: 'https://x/token', grant: 'implicit' })
// @ts-expect-error Token has no public constructor
new Token()

void main
