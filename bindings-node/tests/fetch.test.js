'use strict'
// client.fetch(): the Authorization header on every request, and on a 401 one invalidation and
// one retry with a new token, against the test server's /resource (`resource_401` control).

const { test } = require('node:test')
const assert = require('node:assert/strict')
const { Readable } = require('node:stream')
const { Client } = require('tokenwell')
const { namespace, prepare, stats } = require('./helpers.js')

const cc = (server) => ({ tokenUrl: `${server}/token`, clientId: 'app', clientSecret: 'app-secret' })

test('fetch() sends the token and returns the response', async () => {
  const server = namespace('fetch-ok')
  await prepare(server)
  const client = new Client(cc(server))
  const res = await client.fetch(`${server}/resource`)
  assert.equal(res.status, 200)
  assert.deepEqual(await res.json(), { ok: true, client_id: 'app', sub: 'service-account-app' })
  const s = await stats(server)
  assert.equal(s.total, 1)
  assert.equal(s.resource, 1)
})

test('fetch() on a 401: invalidates, fetches a new token and retries once', async () => {
  const server = namespace('fetch-401')
  await prepare(server, { resource_401: 1 })
  const client = new Client(cc(server))
  const first = await client.token()
  const res = await client.fetch(new URL(`${server}/resource`))
  assert.equal(res.status, 200)
  const s = await stats(server)
  assert.equal(s.total, 2, 'a new token after the 401')
  assert.equal(s.resource, 2)
  assert.equal(s.resource_401, 1)
  assert.notEqual(client.cachedToken()?.accessToken, first.accessToken)
})

test('fetch() retries only once: a second 401 is returned to the caller', async () => {
  const server = namespace('fetch-401x2')
  await prepare(server, { resource_401: 2 })
  const client = new Client(cc(server))
  const res = await client.fetch(`${server}/resource`)
  assert.equal(res.status, 401)
  assert.match(res.headers.get('www-authenticate'), /invalid_token/)
  const s = await stats(server)
  assert.equal(s.resource, 2)
  assert.equal(s.total, 2)
})

test('fetch() keeps the caller’s headers and method, and replays a Request', async () => {
  const server = namespace('fetch-headers')
  await prepare(server, { resource_401: 1 })
  const seen = []
  const client = new Client(cc(server), {
    fetch: (input, init) => {
      seen.push({ url: String(input instanceof Request ? input.url : input), headers: new Headers(init.headers) })
      return fetch(input, init)
    },
  })
  const req = new Request(`${server}/resource`, { headers: { 'x-trace': 'abc', accept: 'application/json' } })
  const res = await client.fetch(req)
  assert.equal(res.status, 200)
  assert.equal(seen.length, 2)
  for (const { headers } of seen) {
    assert.equal(headers.get('x-trace'), 'abc')
    assert.match(headers.get('authorization'), /^Bearer .+/)
  }
  assert.notEqual(seen[0].headers.get('authorization'), seen[1].headers.get('authorization'))
  const res2 = await client.fetch(`${server}/resource`, { headers: [['x-list', '1']] })
  assert.equal(res2.status, 200)
  assert.equal(seen[2].headers.get('x-list'), '1')
})

test('fetch() does not replay a streamed body: the 401 is returned', async () => {
  const server = namespace('fetch-stream')
  await prepare(server, { resource_401: 1 })
  const client = new Client(cc(server))
  const body = Readable.toWeb(Readable.from(['a', 'b']))
  const res = await client.fetch(`${server}/resource`, { method: 'POST', body, duplex: 'half' })
  assert.equal(res.status, 401)
  assert.equal((await stats(server)).resource, 1)
})

test('fetch() rejects with the token error when no token can be had', async () => {
  const server = namespace('fetch-noauth')
  await prepare(server)
  const client = new Client({ ...cc(server), clientSecret: 'wrong' })
  await assert.rejects(client.fetch(`${server}/resource`), (e) => e.code === 'oauth')
  assert.equal((await stats(server)).resource, 0)
})
