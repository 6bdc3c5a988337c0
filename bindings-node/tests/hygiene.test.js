'use strict'
// Secrets and tokens never show: util.inspect, JSON.stringify and toString of clients, tokens
// and errors, onLog records and DEBUG=tokenwell output, with distinctive secrets to grep for.

const { test } = require('node:test')
const assert = require('node:assert/strict')
const util = require('node:util')
const { execFile } = require('node:child_process')
const { Client, TokenwellError } = require('tokenwell')
const { namespace, prepare, assertNoSecrets, sleep } = require('./helpers.js')

const SECRET = 'Tw-node-secret-Hx7Q'
const PASSWORD = 'Tw-node-pw-Kp9Z'
const CACHE_SECRET = 'Tw-node-cache-Zr4W'
const SECRETS = [SECRET, PASSWORD, CACHE_SECRET]

function renderings(value) {
  return [
    ['util.inspect', util.inspect(value)],
    ['util.inspect showHidden', util.inspect(value, { showHidden: true, depth: Infinity })],
    ['JSON.stringify', JSON.stringify(value) ?? ''],
    ['String', String(value)],
    ['template', `${value}`],
    ['%o', util.format('%o', value)],
    ['%j', util.format('%j', value)],
    ['nested', util.inspect({ value, list: [value] }, { depth: 5 })],
  ]
}

function assertClean(value, secrets, what) {
  for (const [how, text] of renderings(value)) assertNoSecrets(text, secrets, `${how}(${what})`)
}

async function hygieneServer(name, more) {
  const server = namespace(name)
  await prepare(server, {
    clients: { 'hyg-app': { secret: SECRET, direct_access: true } },
    users: { 'hyg-user': PASSWORD },
    ...more,
  })
  return server
}

const config = (server, more = {}) => ({
  tokenUrl: `${server}/token`,
  grant: 'password',
  clientId: 'hyg-app',
  clientSecret: SECRET,
  username: 'hyg-user',
  password: PASSWORD,
  cacheSecret: CACHE_SECRET,
  ...more,
})

test('clients and tokens print no secret and no token', async () => {
  const server = await hygieneServer('hyg-token')
  const client = new Client(config(server))
  assertClean(client, SECRETS, 'client')
  const token = await client.token()
  const tokens = [token.accessToken, token.refreshToken]
  assert.ok(tokens.every((t) => typeof t === 'string' && t.length > 8))
  assertClean(token, [...SECRETS, ...tokens], 'token')
  assertClean(client, [...SECRETS, ...tokens], 'client with a token')
  assert.match(util.inspect(token), /accessToken: '\[redacted\]'/)
  assert.match(JSON.stringify(token), /"refreshToken":"\[redacted\]"/)
  assert.match(String(token), /^Token\(Bearer, expires \d{4}-/)
  assert.deepEqual({ ...token }, {})
})

test('an id token never shows either (Butlr answers one)', async () => {
  const server = namespace('hyg-butlr')
  await prepare(server)
  const client = new Client({ preset: 'butlr', baseUrl: server, grant: 'password', username: 'user@example.com', password: 'correct horse' })
  const token = await client.token()
  assert.ok(token.idToken)
  assertClean(token, [token.accessToken, token.refreshToken, token.idToken, 'correct horse'], 'butlr token')
})

test('an OAuth error that echoes the password is scrubbed everywhere', async () => {
  const server = await hygieneServer('hyg-oauth')
  await fetch(`${server}/_script`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      answers: [{ status: 400, json: { error: 'invalid_grant', error_description: `password ${PASSWORD} is wrong for secret ${SECRET}` } }],
    }),
  })
  const err = await new Client(config(server)).token().catch((e) => e)
  assert.ok(err instanceof TokenwellError)
  assert.equal(err.code, 'oauth')
  assertClean(err, SECRETS, 'oauth error')
  assertNoSecrets(err.errorDescription, SECRETS, 'errorDescription')
  assertNoSecrets(err.stack, SECRETS, 'stack')
})

test('an HTTP error body that echoes the client secret is scrubbed', async () => {
  const server = await hygieneServer('hyg-http')
  await fetch(`${server}/_script`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ answers: [{ status: 500, body: `upstream said client_secret=${SECRET}`, content_type: 'text/plain' }] }),
  })
  const err = await new Client(config(server, { retries: 0 })).token().catch((e) => e)
  assert.equal(err.code, 'http')
  assert.ok(err.body.startsWith('upstream said'))
  assertClean(err, SECRETS, 'http error')
  assertNoSecrets(err.body, SECRETS, 'body')
})

test('configuration errors never echo a value', () => {
  const attempts = [
    { tokenUrl: 'http://127.0.0.1:1/token', clientSecrte: SECRET },
    { tokenUrl: 'http://127.0.0.1:1/token', client_secret: SECRET },
    { tokenUrl: 'http://127.0.0.1:1/token', clientId: 'x', clientSecret: { envv: SECRET } },
    { tokenUrl: 'http://127.0.0.1:1/token', clientId: 'x', clientSecret: 'x', leeway: SECRET },
    { tokenUrl: SECRET, clientId: 'x', password: PASSWORD },
  ]
  for (const cfg of attempts) {
    let err
    try {
      new Client(cfg)
    } catch (e) {
      err = e
    }
    assert.ok(err instanceof TokenwellError, `no error for ${Object.keys(cfg)}`)
    assert.equal(err.code, 'config')
    assertClean(err, SECRETS, `config error ${err.key}`)
  }
})

test('onLog records carry no secret and no token', async () => {
  const server = await hygieneServer('hyg-log', { expires_in: 2 })
  const lines = []
  const client = new Client(config(server, { refreshAhead: 0 }), { onLog: (level, message) => lines.push(`${level} ${message}`) })
  const t1 = await client.token()
  await sleep(1100)
  const t2 = await client.token() // a refresh: the refresh token goes out
  client.invalidate()
  const bad = new Client(config(server, { password: 'Tw-node-wrong-Qq1', retries: 0 }), { onLog: () => {} })
  await bad.token().catch(() => {})
  await sleep(50)
  assert.ok(lines.length >= 3, lines.join('\n'))
  const secrets = [...SECRETS, 'Tw-node-wrong-Qq1', t1.accessToken, t1.refreshToken, t2.accessToken, t2.refreshToken]
  assertNoSecrets(lines.join('\n'), secrets, 'onLog records')
})

test('DEBUG=tokenwell prints records to stderr, without a secret', async () => {
  const server = await hygieneServer('hyg-debug')
  const script = `
    const { Client } = require('tokenwell')
    const c = new Client(${JSON.stringify(config(server))})
    c.token().then((t) => { console.log(JSON.stringify([t.accessToken, t.refreshToken])); c.invalidate() })
  `
  const { stdout, stderr } = await new Promise((resolve, reject) => {
    execFile(process.execPath, ['-e', script], { env: { ...process.env, DEBUG: 'other,tokenwell' }, timeout: 20_000 }, (e, stdout, stderr) =>
      e ? reject(e) : resolve({ stdout, stderr }),
    )
  })
  const tokens = JSON.parse(stdout)
  assert.match(stderr, /tokenwell debug requesting a token/)
  assert.match(stderr, /tokenwell debug token invalidated/)
  assertNoSecrets(stderr, [...SECRETS, ...tokens], 'DEBUG output')
})
