'use strict'
// The provider documents' flows (shared/seeds) through their presets, against the test
// server's strict dialects, with `baseUrl` pointing the preset at a test namespace.

const { test } = require('node:test')
const assert = require('node:assert/strict')
const { Client, OAuthError } = require('tokenwell')
const { namespace, prepare, requests, stats } = require('./helpers.js')

test('Semansys (003): the axios password grant becomes one Client; secret in the body, never Basic', async () => {
  const server = namespace('semansys')
  await prepare(server)
  // Replaces: axios.post('https://oidc-pre.semansys.com/connect/token', qs.stringify(data), …)
  const client = new Client({
    preset: 'semansys',
    baseUrl: server,
    grant: 'password',
    clientId: 'semansys-client',
    clientSecret: 'semansys-secret',
    username: 'user@example.com',
    password: 'correct horse',
  })
  const token = await client.token()
  assert.equal(token.tokenType, 'Bearer')
  assert.ok(token.refreshToken)
  assert.equal(typeof token.scope, 'string')
  const res = await client.fetch(`${server}/resource`)
  assert.equal(res.status, 200)
  assert.equal((await res.json()).ok, true)
  const [r] = await requests(server)
  assert.equal(r.path.endsWith('/connect/token'), true)
  assert.equal(r.headers['content-type'], 'application/x-www-form-urlencoded')
  assert.equal(r.headers.authorization, undefined)
  assert.deepEqual(r.form, {
    grant_type: 'password',
    client_id: 'semansys-client',
    client_secret: 'semansys-secret',
    username: 'user@example.com',
    password: 'correct horse',
  })
})

test('Semansys: a wrong password is an OAuthError invalid_grant (400), sent once', async () => {
  const server = namespace('semansys-bad')
  await prepare(server)
  const client = new Client({
    preset: 'semansys',
    baseUrl: server,
    grant: 'password',
    clientId: 'semansys-client',
    clientSecret: 'semansys-secret',
    username: 'user@example.com',
    password: 'wrong horse',
  })
  const err = await client.token().catch((e) => e)
  assert.ok(err instanceof OAuthError, String(err))
  assert.equal(err.status, 400)
  assert.equal(err.error, 'invalid_grant')
  await client.token().catch(() => {})
  assert.equal((await stats(server)).total, 1)
})

test('Binarly (000): password grant, public BinarlyClient, scope openid, Keycloak realm path', async () => {
  const server = namespace('binarly')
  await prepare(server)
  const client = new Client({ preset: 'binarly', baseUrl: server, grant: 'password', username: 'user@example.com', password: 'correct horse' })
  const token = await client.token()
  assert.equal(token.tokenType, 'Bearer', 'Keycloak says "bearer"')
  assert.ok(token.refreshExpiresAt instanceof Date)
  const [r] = await requests(server)
  assert.equal(r.path.endsWith('/realms/BinarlyRealm/protocol/openid-connect/token'), true)
  assert.deepEqual(r.form, {
    grant_type: 'password',
    client_id: 'BinarlyClient',
    scope: 'openid',
    username: 'user@example.com',
    password: 'correct horse',
  })
})

test('Binarly on-premises (002): client credentials with a service-account client through the keycloak preset', async () => {
  const server = namespace('binarly-m2m')
  await prepare(server)
  const client = new Client({ preset: 'keycloak', baseUrl: server, realm: 'BinarlyRealm', clientId: 'app', clientSecret: 'app-secret' })
  await client.token()
  const [r] = await requests(server)
  assert.equal(r.path.endsWith('/realms/BinarlyRealm/protocol/openid-connect/token'), true)
  assert.deepEqual(r.form, { grant_type: 'client_credentials', client_id: 'app', client_secret: 'app-secret' })
})

test('Butlr (001): password login sends exactly {username, password} as JSON', async () => {
  const server = namespace('butlr-pw')
  await prepare(server)
  const client = new Client({ preset: 'butlr', baseUrl: server, grant: 'password', username: 'user@example.com', password: 'correct horse' })
  const token = await client.token()
  assert.ok(token.refreshToken)
  assert.ok(token.idToken)
  assert.equal(typeof token.scope, 'string')
  const [r] = await requests(server)
  assert.equal(r.path.endsWith('/api/v2/login'), true)
  assert.match(r.headers['content-type'], /^application\/json/)
  assert.deepEqual(r.json, { username: 'user@example.com', password: 'correct horse' })
})

test('Butlr (001): client credentials as JSON with the audience', async () => {
  const server = namespace('butlr-cc')
  await prepare(server)
  const client = new Client({ preset: 'butlr', baseUrl: server, clientId: 'butlr-client', clientSecret: 'butlr-secret' })
  await client.token()
  const [r] = await requests(server)
  assert.equal(r.path.endsWith('/api/v2/clients/login'), true)
  assert.deepEqual(r.json, {
    grant_type: 'client_credentials',
    client_id: 'butlr-client',
    client_secret: 'butlr-secret',
    audience: 'https://butlrauth/',
  })
})

test('Phase Two (004): admin-cli client credentials; lowercase bearer, 60 s tokens', async () => {
  const server = namespace('phasetwo-cc')
  await prepare(server, { expires_in: 60 })
  const client = new Client({ preset: 'phasetwo', baseUrl: server, realm: 'test-realm', clientId: 'admin-cli', clientSecret: 'admin-secret' })
  const token = await client.token()
  assert.equal(token.tokenType, 'Bearer')
  assert.ok(Math.abs(token.expiresIn - 60) < 5)
  const [r] = await requests(server)
  assert.equal(r.path.endsWith('/realms/test-realm/protocol/openid-connect/token'), true)
  assert.deepEqual(r.form, { grant_type: 'client_credentials', client_id: 'admin-cli', client_secret: 'admin-secret' })
})

test('Phase Two (004): password grant', async () => {
  const server = namespace('phasetwo-pw')
  await prepare(server)
  const client = new Client({
    preset: 'phasetwo',
    baseUrl: server,
    realm: 'test-realm',
    grant: 'password',
    clientId: 'admin-cli',
    clientSecret: 'admin-secret',
    username: 'alice',
    password: 'wonderland',
  })
  const token = await client.token()
  assert.ok(token.refreshToken)
  const [r] = await requests(server)
  assert.equal(r.form.grant_type, 'password')
  assert.equal(r.form.username, 'alice')
})
