'use strict'
// Waiting happens off the JS thread: a slow token request does not stop timers, in the main
// thread or in worker threads, and however many callers ask at once one request goes out.

const { test } = require('node:test')
const assert = require('node:assert/strict')
const path = require('node:path')
const { Worker } = require('node:worker_threads')
const { Client } = require('tokenwell')
const { namespace, prepare, stats, sleep } = require('./helpers.js')

const cc = (server) => ({ tokenUrl: `${server}/token`, clientId: 'app', clientSecret: 'app-secret' })

test('1000 concurrent token() on a cold client: one request, one token', async () => {
  const server = namespace('thousand')
  await prepare(server, { delay_ms: 200 })
  const client = new Client(cc(server))
  const tokens = await Promise.all(Array.from({ length: 1000 }, () => client.token()))
  assert.equal(new Set(tokens.map((t) => t.accessToken)).size, 1)
  assert.equal((await stats(server)).total, 1)
})

test('1000 concurrent token() over 10 clients of one configuration: one request', async () => {
  const server = namespace('thousand-10')
  await prepare(server, { delay_ms: 200 })
  const clients = Array.from({ length: 10 }, () => new Client(cc(server)))
  const tokens = await Promise.all(Array.from({ length: 1000 }, (_, i) => clients[i % 10].token()))
  assert.equal(new Set(tokens.map((t) => t.accessToken)).size, 1)
  const s = await stats(server)
  assert.equal(s.total, 1)
  assert.equal(s.max_concurrent, 1)
})

test('a setInterval ticker keeps ticking while token() waits 500 ms', async () => {
  const server = namespace('ticker')
  await prepare(server, { delay_ms: 500 })
  const client = new Client(cc(server))
  let ticks = 0
  const timer = setInterval(() => {
    ticks += 1
  }, 10)
  const started = Date.now()
  try {
    await client.token()
  } finally {
    clearInterval(timer)
  }
  const waited = Date.now() - started
  assert.ok(waited >= 450, `waited only ${waited} ms`)
  // ~50 ticks when the thread is free; a blocked thread would give 0 or 1.
  assert.ok(ticks >= 20, `${ticks} ticks in ${waited} ms`)
})

function runWorker(workerData) {
  return new Promise((resolve, reject) => {
    const w = new Worker(path.join(__dirname, 'ticker-worker.js'), { workerData })
    const timer = setTimeout(() => {
      w.terminate()
      reject(new Error('worker did not answer within 15 s'))
    }, 15_000)
    w.once('message', (m) => {
      clearTimeout(timer)
      resolve(m)
    })
    w.once('error', (e) => {
      clearTimeout(timer)
      reject(e)
    })
  })
}

test('two worker threads: each ticker keeps ticking while its token() waits 500 ms', async () => {
  const servers = [namespace('worker-a'), namespace('worker-b')]
  await Promise.all(servers.map((s) => prepare(s, { delay_ms: 500 })))
  const results = await Promise.all(servers.map((s) => runWorker({ config: cc(s), tickMs: 10 })))
  for (const r of results) {
    assert.equal(r.error, undefined, r.error)
    assert.ok(r.waitedMs >= 450, `waited only ${r.waitedMs} ms`)
    assert.ok(r.ticks >= 20, `${r.ticks} ticks in ${r.waitedMs} ms`)
    assert.equal(r.cached, r.accessToken)
  }
  assert.notEqual(results[0].accessToken, results[1].accessToken)
  for (const s of servers) assert.equal((await stats(s)).total, 1)
})

test('two worker threads with one configuration share the process-wide token: one request', async () => {
  const server = namespace('worker-shared')
  await prepare(server, { delay_ms: 300 })
  const results = await Promise.all([0, 1].map(() => runWorker({ config: cc(server), tickMs: 10 })))
  for (const r of results) assert.equal(r.error, undefined, r.error)
  assert.equal(results[0].accessToken, results[1].accessToken)
  assert.equal((await stats(server)).total, 1)
  // and the main thread sees it without a request
  const mine = await new Client(cc(server)).token()
  assert.equal(mine.accessToken, results[0].accessToken)
  assert.equal((await stats(server)).total, 1)
})

test('terminating a worker while its token request waits leaves the process healthy', async () => {
  const server = namespace('worker-kill')
  await prepare(server, { delay_ms: 400 })
  const w = new Worker(path.join(__dirname, 'ticker-worker.js'), { workerData: { config: cc(server), tickMs: 10 } })
  await new Promise((r) => w.once('online', r))
  await sleep(100)
  await w.terminate()
  await sleep(500) // the answer arrives after the worker is gone
  const t = await new Client(cc(server)).token()
  assert.ok(t.accessToken)
})
