'use strict'
// No panic reaches JavaScript as a crash (issue 9): with TOKENWELL_TEST_PANIC the core panics on
// purpose while a client is built (`construct`, on the JS thread) or while a token is renewed
// (`renewal`, on tokenwell's runtime). A child process (the variable is set only in its
// environment) must get a TokenwellError with code `internal`, carry on and exit 0; the same
// child without the variable gets a token, so the panic is what the errors come from.

const { test } = require('node:test')
const assert = require('node:assert/strict')
const { execFile } = require('node:child_process')
const { namespace, prepare, stats, assertNoSecrets } = require('./helpers.js')

const SECRET = 'Tw-node-panic-secret-Jq3'

// Builds a client, makes three concurrent token() calls, then one more, and prints what it got.
const child = (server) => `
  const { Client, TokenwellError } = require('tokenwell')
  const show = (e) => ({ tokenwell: e instanceof TokenwellError, name: e?.name, code: e?.code, message: e?.message })
  async function main() {
    let client
    try {
      client = new Client(${JSON.stringify({ tokenUrl: `${server}/token`, clientId: 'panic-app', clientSecret: SECRET, retries: 0 })})
    } catch (e) {
      return { construct: show(e) }
    }
    const calls = await Promise.allSettled([client.token(), client.token(), client.token()])
    calls.push(...(await Promise.allSettled([client.token()])))
    return { construct: 'ok', calls: calls.map((r) => (r.status === 'fulfilled' ? 'token' : show(r.reason))) }
  }
  main().then((r) => console.log(JSON.stringify(r)))
`

async function run(name, panic) {
  const server = namespace(name)
  await prepare(server, { clients: { 'panic-app': { secret: SECRET } } })
  const env = { ...process.env }
  delete env.TOKENWELL_TEST_PANIC
  if (panic) env.TOKENWELL_TEST_PANIC = panic
  const { code, signal, stdout, stderr } = await new Promise((resolve) => {
    execFile(process.execPath, ['-e', child(server)], { env, timeout: 20_000 }, (e, stdout, stderr) =>
      resolve({ code: e ? e.code : 0, signal: e?.signal, stdout, stderr }),
    )
  })
  assert.equal(code, 0, `the child exited with ${code} (signal ${signal}); stderr:\n${stderr}`)
  assertNoSecrets(stdout + stderr, [SECRET], 'the child output')
  return { got: JSON.parse(stdout.trim().split('\n').pop()), stderr, requests: (await stats(server)).total }
}

const internal = (got) => {
  assert.equal(got.tokenwell, true, JSON.stringify(got))
  assert.equal(got.code, 'internal', JSON.stringify(got))
  assert.equal(got.name, 'InternalError', JSON.stringify(got))
  assert.match(got.message, /internal error|panicked/, JSON.stringify(got))
}

test('without TOKENWELL_TEST_PANIC the child gets tokens (control)', async () => {
  const { got, requests } = await run('panic-none')
  assert.deepEqual(got, { construct: 'ok', calls: ['token', 'token', 'token', 'token'] })
  assert.equal(requests, 1)
})

test('a panic while building a client is an internal error, not a crash', async () => {
  const { got, stderr, requests } = await run('panic-construct', 'construct')
  internal(got.construct)
  assert.equal(got.construct.name, 'InternalError')
  assert.match(stderr, /forced panic at `construct`/) // the panic did happen, and was caught
  assert.equal(requests, 0)
})

test('a panic inside a renewal gives every waiter an internal error; nothing reaches the server', async () => {
  const { got, requests } = await run('panic-renewal', 'renewal')
  assert.equal(got.construct, 'ok')
  assert.equal(got.calls.length, 4)
  for (const c of got.calls) internal(c)
  assert.equal(requests, 0)
})
