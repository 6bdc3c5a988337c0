'use strict'
// The Client API against the test server: what went out, what came back, how many requests the
// server counted; the JS mirror (no native call on a warm path, yet it sees changes made through
// other clients of the same cache key); configuration and options errors; the error classes.

const { test } = require('node:test')
const assert = require('node:assert/strict')
const tokenwell = require('tokenwell')
const { namespace, prepare, requests, stats, call, sleep } = require('./helpers.js')

const { Client, Token, TokenwellError, ConfigError, OAuthError, HTTPError, NetworkError, TimeoutError, InvalidResponseError, CacheError, InternalError } = tokenwell

const cc = (server, more = {}) => ({ tokenUrl: `${server}/token`, clientId: 'app', clientSecret: 'app-secret', ...more })

test('token() sends the configured grant once, then answers from the cache', async () => {
  const server = namespace('cc')
  await prepare(server, { scope: 'read write' })
  const client = new Client(cc(server, { scope: ['write', 'read'] }))
  const t = await client.token()
  assert.ok(t instanceof Token)
  assert.equal(t.tokenType, 'Bearer')
  assert.equal(t.authorization, `Bearer ${t.accessToken}`)
  assert.equal(t.scope, 'read write')
  assert.ok(t.expiresAt instanceof Date)
  assert.ok(Math.abs(t.expiresIn - 300) < 5, `expiresIn ${t.expiresIn}`)
  assert.equal(await client.token(), t)
  assert.equal(client.cachedToken(), t)
  const [r] = await requests(server)
  assert.equal(r.path.endsWith('/token'), true)
  assert.deepEqual(r.form, { grant_type: 'client_credentials', client_id: 'app', client_secret: 'app-secret', scope: 'write read' })
  assert.equal((await stats(server)).total, 1)
})

test('cachedToken() is null until a token is fetched and after invalidate()', async () => {
  const server = namespace('cached')
  await prepare(server)
  const client = new Client(cc(server))
  assert.equal(client.cachedToken(), null)
  const t = await client.token()
  assert.equal(client.cachedToken(), t)
  client.invalidate()
  assert.equal(client.cachedToken(), null)
  const t2 = await client.token()
  assert.notEqual(t2.accessToken, t.accessToken)
  assert.equal((await stats(server)).total, 2)
})

test('the mirror sees an invalidation made through another client with the same configuration', async () => {
  const server = namespace('mirror-inv')
  await prepare(server)
  const a = new Client(cc(server))
  const b = new Client(cc(server))
  assert.equal(a.cacheKey, b.cacheKey)
  const t = await a.token()
  assert.equal((await b.token()).accessToken, t.accessToken, 'b shares a’s token')
  b.invalidate()
  assert.equal(a.cachedToken(), null)
  const t2 = await a.token()
  assert.notEqual(t2.accessToken, t.accessToken)
  assert.equal((await stats(server)).total, 2)
})

test('the mirror sees a renewal made through another client', async () => {
  const server = namespace('mirror-renew')
  await prepare(server)
  const a = new Client(cc(server))
  const b = Client.fromObject(cc(server))
  const t1 = await a.token()
  b.invalidate()
  const t2 = await b.token()
  assert.notEqual(t2.accessToken, t1.accessToken)
  assert.equal(a.cachedToken()?.accessToken, t2.accessToken)
  assert.equal((await a.token()).accessToken, t2.accessToken)
  assert.equal((await stats(server)).total, 2)
})

test('a token past its renewal point is renewed, with the refresh token when there is one', async () => {
  const server = namespace('renew')
  await prepare(server, { expires_in: 2 })
  const client = new Client({ ...cc(server), grant: 'password', username: 'alice', password: 'wonderland', refreshAhead: 0 })
  const t1 = await client.token()
  assert.ok(t1.refreshToken)
  assert.ok(t1.refreshExpiresAt instanceof Date)
  await sleep(1100)
  assert.equal(client.cachedToken(), null, 'past the renewal point (half of 2 s)')
  const t2 = await client.token()
  assert.notEqual(t2.accessToken, t1.accessToken)
  const grants = (await requests(server)).map((r) => r.form.grant_type)
  assert.deepEqual(grants, ['password', 'refresh_token'])
})

test('token() itself notices the renewal point and a change made through another client', async () => {
  // No cachedToken() in between: token() reads the mirror words on its own (with plain loads).
  const server = namespace('token-reads')
  await prepare(server, { expires_in: 2 })
  const a = new Client({ ...cc(server), refreshAhead: 0 }) // renewal point R = 1 s
  const b = new Client({ ...cc(server), refreshAhead: 0 })
  const t1 = await a.token()
  assert.equal(await a.token(), t1)
  await sleep(1100)
  const t2 = await a.token()
  assert.notEqual(t2.accessToken, t1.accessToken, 'renewed past R')
  b.invalidate()
  const t3 = await a.token()
  assert.notEqual(t3.accessToken, t2.accessToken, 'invalidated through b')
  assert.equal((await stats(server)).total, 3)
})

test('refresh-ahead: between A and R the cached token is returned and one renewal starts', async () => {
  const server = namespace('ahead')
  await prepare(server, { expires_in: 2 })
  const client = new Client({ ...cc(server), leeway: 0.5, refreshAhead: 60 })
  const t1 = await client.token()
  await sleep(1200)
  assert.equal((await client.token()).accessToken, t1.accessToken)
  for (let i = 0; i < 50 && (await stats(server)).total < 2; i++) await sleep(20)
  await sleep(50)
  assert.notEqual((await client.token()).accessToken, t1.accessToken)
  assert.equal((await stats(server)).total, 2)
})

test('Token: extra fields, id token, and a read-only shape', async () => {
  const server = namespace('fields')
  await prepare(server, { extra: { tenant_id: 't-1', 'not-before-policy': 0 } })
  const client = new Client(cc(server))
  const t = await client.token()
  assert.equal(t.extra.tenant_id, 't-1')
  assert.equal(t.extra['not-before-policy'], 0)
  assert.ok(Object.isFrozen(t.extra))
  assert.equal(t.idToken, undefined)
  assert.equal(t.refreshToken, undefined)
  assert.deepEqual(Object.keys(t), [])
  assert.throws(() => {
    'use strict'
    t.accessToken = 'x'
  }, TypeError)
})

test('undefined and null values count as not given; URL objects are accepted', async () => {
  const server = namespace('undef')
  await prepare(server)
  const client = new Client({
    tokenUrl: new URL(`${server}/token`),
    grant: 'password',
    clientId: 'public-app',
    clientSecret: undefined,
    username: 'alice',
    password: 'wonderland',
    scope: null,
  })
  await client.token()
  const [r] = await requests(server)
  assert.deepEqual(r.form, { grant_type: 'password', client_id: 'public-app', username: 'alice', password: 'wonderland' })
})

test('secrets from the environment: {env: NAME}', async () => {
  const server = namespace('env')
  await prepare(server)
  process.env.TW_NODE_TEST_SECRET = 'app-secret'
  const client = new Client(cc(server, { clientSecret: { env: 'TW_NODE_TEST_SECRET' } }))
  await client.token()
  assert.equal((await requests(server))[0].form.client_secret, 'app-secret')
})

test('configuration keys are camelCase only: a snake_case key names the camelCase one', () => {
  assert.throws(
    () => new Client({ token_url: 'http://127.0.0.1:1/token' }),
    (e) => e instanceof ConfigError && e.code === 'config' && e.key === 'tokenUrl' && e.message.includes('`tokenUrl`'),
  )
  assert.throws(
    () => new Client({ tokenUrl: 'http://127.0.0.1:1/token', clientSecert: 'x' }),
    (e) => e instanceof ConfigError && e.key === 'clientSecert' && e.message.includes('did you mean `clientSecret`'),
  )
})

test('configuration errors found after parsing name keys in camelCase too', () => {
  assert.throws(
    () => new Client({ clientId: 'x' }),
    (e) => e instanceof ConfigError && e.key === 'tokenUrl' && e.message.includes('tokenUrl') && !e.message.includes('token_url'),
  )
  assert.throws(
    () => new Client({ tokenUrl: 'http://127.0.0.1:1/token', grant: 'password', clientId: 'x' }),
    (e) => e instanceof ConfigError && e.key === 'username',
  )
  assert.throws(() => new Client({ tokenUrl: 'http://example.com/token' }), (e) => e instanceof ConfigError && e.key === 'tokenUrl')
  assert.throws(() => new Client({ tokenUrl: 'http://127.0.0.1:1/t', leeway: -1 }), (e) => e instanceof ConfigError && e.key === 'leeway')
  assert.throws(() => new Client({ tokenUrl: 'http://127.0.0.1:1/t', grant: 'implicit' }), (e) => e instanceof ConfigError && e.key === 'grant')
})

test('values JSON cannot carry, bad options and a non-object configuration are ConfigErrors', () => {
  const url = 'http://127.0.0.1:1/token'
  assert.throws(() => new Client({ tokenUrl: url, leeway: Infinity }), (e) => e instanceof ConfigError && e.key === 'leeway')
  assert.throws(() => new Client({ tokenUrl: url, clientSecret: () => 's' }), (e) => e instanceof ConfigError && e.key === 'clientSecret')
  assert.throws(() => new Client({ tokenUrl: url }, { onlog: () => {} }), (e) => e instanceof ConfigError && e.key === 'onlog')
  assert.throws(() => new Client({ tokenUrl: url }, { onLog: 'yes' }), (e) => e instanceof ConfigError && e.key === 'onLog')
  assert.throws(() => new Client(undefined), ConfigError)
  assert.throws(() => new Client('tokenUrl=x'), ConfigError)
  assert.throws(() => new Client([]), ConfigError)
})

test('error classes: one per code, all TokenwellErrors, with camelCase fields', () => {
  const pairs = [
    [ConfigError, 'config'],
    [OAuthError, 'oauth'],
    [HTTPError, 'http'],
    [NetworkError, 'network'],
    [TimeoutError, 'timeout'],
    [InvalidResponseError, 'invalid_response'],
    [CacheError, 'cache'],
    [InternalError, 'internal'],
  ]
  for (const [cls, code] of pairs) {
    const e = new cls('m', { status: 400 })
    assert.ok(e instanceof TokenwellError && e instanceof Error)
    assert.equal(e.code, code)
    assert.equal(e.name, cls.name)
    assert.equal(e.status, 400)
  }
  const o = new OAuthError('m', { status: 401, error: 'invalid_client', errorDescription: 'd', errorUri: 'u' })
  assert.deepEqual(JSON.parse(JSON.stringify(o)), {
    name: 'OAuthError',
    code: 'oauth',
    message: 'm',
    status: 401,
    error: 'invalid_client',
    errorDescription: 'd',
    errorUri: 'u',
  })
  assert.equal(new TokenwellError('x').code, 'internal')
})

test('oauth errors carry status, error and errorDescription; they are not retried', async () => {
  const server = namespace('oauth')
  await prepare(server)
  const client = new Client(cc(server, { clientSecret: 'wrong-secret' }))
  const err = await client.token().then(() => assert.fail('no error'), (e) => e)
  assert.ok(err instanceof OAuthError)
  assert.equal(err.status, 401)
  assert.equal(err.error, 'invalid_client')
  assert.equal(typeof err.errorDescription, 'string')
  // error_backoff: the same error again, without asking the server
  const again = await client.token().then(() => assert.fail('no error'), (e) => e)
  assert.ok(again instanceof OAuthError)
  assert.equal((await stats(server)).total, 1)
})

test('http errors carry status and the start of the body', async () => {
  const server = namespace('http')
  await prepare(server, undefined, [{ status: 502, body: '<html>Bad gateway</html>', content_type: 'text/html' }])
  const client = new Client(cc(server, { retries: 0 }))
  const err = await client.token().catch((e) => e)
  assert.ok(err instanceof HTTPError, String(err))
  assert.equal(err.status, 502)
  assert.equal(err.body, '<html>Bad gateway</html>')
})

test('network, timeout and invalid-response errors', async () => {
  // A port nobody listens on: bind one, close it.
  const net = require('node:net')
  const port = await new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = s.address().port
      s.close(() => resolve(p))
    })
  })
  const refused = new Client({ tokenUrl: `http://127.0.0.1:${port}/token`, clientId: 'app', clientSecret: 's', retries: 0 })
  const ne = await refused.token().catch((e) => e)
  assert.ok(ne instanceof NetworkError, String(ne))
  assert.ok(ne.cause === undefined || ne.cause instanceof Error)

  const server = namespace('timeout')
  await prepare(server, undefined, [{ fault: 'hang', ms: 3000 }])
  const te = await new Client(cc(server, { retries: 0, timeout: 0.3 })).token().catch((e) => e)
  assert.ok(te instanceof TimeoutError, String(te))

  const bad = namespace('malformed')
  await prepare(bad, undefined, [{ fault: 'malformed' }])
  const ie = await new Client(cc(bad, { retries: 0 })).token().catch((e) => e)
  assert.ok(ie instanceof InvalidResponseError, String(ie))
})

test('cacheKey: hex, equal for equal configurations, different for another scope', () => {
  const a = new Client({ tokenUrl: 'http://127.0.0.1:1/token', clientId: 'x', clientSecret: 's', scope: 'a b' })
  const b = new Client({ tokenUrl: 'http://127.0.0.1:1/token', clientId: 'x', clientSecret: 's', scope: ['b', 'a'] })
  const c = new Client({ tokenUrl: 'http://127.0.0.1:1/token', clientId: 'x', clientSecret: 's', scope: 'a' })
  assert.match(a.cacheKey, /^[0-9a-f]{64}$/)
  assert.equal(a.cacheKey, b.cacheKey)
  assert.notEqual(a.cacheKey, c.cacheKey)
})

test('onLog receives debug records of a fetch and a warning for a failure', async () => {
  const server = namespace('onlog')
  await prepare(server)
  const records = []
  const client = new Client(cc(server), { onLog: (level, message) => records.push([level, message]) })
  await client.token()
  const bad = new Client(cc(server, { clientId: 'nobody', retries: 0 }), { onLog: () => {} })
  await bad.token().catch(() => {})
  for (let i = 0; i < 50 && !records.some(([l]) => l === 'warn'); i++) await sleep(10)
  assert.ok(records.some(([l, m]) => l === 'debug' && m.includes('requesting a token')), JSON.stringify(records))
  assert.ok(records.some(([l]) => l === 'warn'), JSON.stringify(records))
  for (const [, m] of records) assert.ok(!m.includes('app-secret'), m)
})

test('a throwing onLog callback does not break token()', async () => {
  const server = namespace('onlog-throw')
  await prepare(server)
  const warnings = []
  const onWarning = (w) => warnings.push(w)
  process.on('warning', onWarning)
  try {
    const client = new Client(cc(server), {
      onLog: () => {
        throw new Error('boom')
      },
    })
    const t = await client.token()
    assert.ok(t.accessToken)
    for (let i = 0; i < 50 && warnings.length === 0; i++) await sleep(10)
    assert.ok(warnings.some((w) => w.message.includes('onLog callback threw')))
  } finally {
    process.off('warning', onWarning)
  }
})

test('the package exports exactly the documented names', () => {
  assert.deepEqual(Object.keys(tokenwell).sort(), [
    'CacheError',
    'Client',
    'ConfigError',
    'HTTPError',
    'InternalError',
    'InvalidResponseError',
    'NetworkError',
    'OAuthError',
    'TimeoutError',
    'Token',
    'TokenwellError',
  ])
  assert.equal(typeof call, 'function')
})

test('warm token() and cachedToken() do not call into native code; a change elsewhere costs one call', async () => {
  // Count calls into the addon's methods (a spy on the package's own native module).
  const native = require(require.resolve('tokenwell').replace(/index\.js$/, 'native.js'))
  const proto = native.NativeClient.prototype
  const counts = { tryToken: 0, cached: 0, wait: 0 }
  const originals = {}
  for (const name of Object.keys(counts)) {
    originals[name] = proto[name]
    proto[name] = function (...args) {
      counts[name] += 1
      return originals[name].apply(this, args)
    }
  }
  const total = () => counts.tryToken + counts.cached + counts.wait
  try {
    const server = namespace('no-native')
    await prepare(server)
    const a = new Client(cc(server))
    const b = new Client(cc(server))
    const t = await a.token()
    const afterFirst = total()
    assert.ok(afterFirst >= 1)
    for (let i = 0; i < 1000; i++) {
      assert.equal(a.cachedToken(), t)
      assert.equal(await a.token(), t)
    }
    assert.equal(total(), afterFirst, 'warm calls crossed into native code')
    b.invalidate()
    assert.equal(a.cachedToken(), null)
    assert.equal(total(), afterFirst + 1, 'one native call notices the invalidation')
    const t2 = await b.token()
    assert.equal((await a.token()).accessToken, t2.accessToken)
    const settled = total()
    for (let i = 0; i < 100; i++) await a.token()
    assert.equal(total(), settled)
  } finally {
    Object.assign(proto, originals)
  }
})

test('the mirror stops at the renewal point even while JS never yields (a synchronous loop)', async () => {
  const server = namespace('busy-loop')
  await prepare(server, { expires_in: 2 })
  const client = new Client({ ...cc(server), refreshAhead: 0 }) // renewal point R = 1 s
  const t = await client.token()
  const issued = t.expiresAt.getTime() - 2000
  let lastSeen = Date.now()
  while (client.cachedToken() !== null && Date.now() - issued < 3000) lastSeen = Date.now()
  const stoppedAfter = Date.now() - issued
  assert.ok(stoppedAfter >= 950 && stoppedAfter < 1300, `the token was handed out until ${stoppedAfter} ms (R = 1000 ms)`)
  assert.ok(lastSeen - issued < 1000 + 50)
  // The same with nothing but cachedToken() in the loop (no call the JIT must keep in place).
  const t2 = await client.token()
  let spins = 0
  while (client.cachedToken() !== null && spins < 2e9) spins++
  assert.equal(client.cachedToken(), null, `still handing out the token after ${spins} calls`)
  assert.ok(Date.now() - (t2.expiresAt.getTime() - 2000) >= 950)
})

test('Client.fromProfile reads the CLI profiles and uses the file cache', async () => {
  const fs = require('node:fs')
  const os = require('node:os')
  const path = require('node:path')
  const server = namespace('profile')
  await prepare(server)
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'tw-node-profile-'))
  fs.mkdirSync(path.join(home, 'config', 'tokenwell'), { recursive: true })
  fs.writeFileSync(
    path.join(home, 'config', 'tokenwell', 'config.toml'),
    `[profiles.svc]\ntoken_url = "${server}/token"\nclient_id = "app"\nclient_secret = { env = "TW_NODE_PROFILE_SECRET" }\n`,
  )
  const saved = { config: process.env.XDG_CONFIG_HOME, cache: process.env.XDG_CACHE_HOME }
  process.env.XDG_CONFIG_HOME = path.join(home, 'config')
  process.env.XDG_CACHE_HOME = path.join(home, 'cache')
  process.env.TW_NODE_PROFILE_SECRET = 'app-secret'
  try {
    const token = await tokenwell.Client.fromProfile('svc').token()
    assert.ok(token.accessToken.length > 0)
    // The profile's file cache now holds the token (0600 inside a 0700 folder).
    const dir = path.join(home, 'cache', 'tokenwell')
    assert.equal(fs.statSync(dir).mode & 0o777, 0o700)
    assert.ok(fs.readdirSync(dir).some((f) => f.endsWith('.json')))
    assert.equal((await stats(server)).total, 1)
    assert.throws(() => tokenwell.Client.fromProfile('nope'), (e) => e instanceof tokenwell.ConfigError && e.key === 'profile')
  } finally {
    for (const [k, v] of [['XDG_CONFIG_HOME', saved.config], ['XDG_CACHE_HOME', saved.cache]]) {
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
    }
    fs.rmSync(home, { recursive: true, force: true })
  }
})
