'use strict'
// Shared by the test files: the test server (started once by scripts/test.sh, URL in
// TOKENWELL_TEST_SERVER), one namespace per test, and its control endpoints.

const assert = require('node:assert/strict')

const ROOT = process.env.TOKENWELL_TEST_SERVER
assert.ok(ROOT, 'TOKENWELL_TEST_SERVER is not set: run the suite through scripts/test.sh (make test-node)')

let counter = 0
/** A fresh namespace URL: `ROOT/t/<name>-<pid>-<n>`. */
function namespace(name) {
  counter += 1
  const ns = `${name}-${process.pid}-${counter}`
  assert.ok(/^[A-Za-z0-9_-]{1,64}$/.test(ns), `bad namespace ${ns}`)
  return `${ROOT}/t/${ns}`
}

async function call(method, url, body) {
  const res = await fetch(url, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  })
  const text = await res.text()
  if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${text}`)
  return text ? JSON.parse(text) : null
}

/** Resets a namespace, then applies `setup` (POST /_control) and `answers` (POST /_script). */
async function prepare(server, setup, answers) {
  await call('POST', `${server}/_reset`, {})
  if (setup) await call('POST', `${server}/_control`, setup)
  if (answers) await call('POST', `${server}/_script`, { answers })
}

const requests = (server) => call('GET', `${server}/_requests`)
const stats = (server) => call('GET', `${server}/_stats`)

/** Fails if `text` contains any of `secrets`. */
function assertNoSecrets(text, secrets, what) {
  for (const s of secrets) {
    if (s && text.includes(s)) assert.fail(`${what} contains the secret ${JSON.stringify(s)}: ${text}`)
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

module.exports = { ROOT, namespace, call, prepare, requests, stats, assertNoSecrets, sleep }
