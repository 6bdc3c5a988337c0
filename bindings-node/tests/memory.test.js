'use strict'
// Memory over a long run (issue 9): 100 000 awaited `token()` calls and 100 000 synchronous
// `cachedToken()` calls across 200 renewals (invalidate() every 1 000 calls), in a child process
// run with --expose-gc so RSS is read after full collections. RSS before/after is printed and
// written to TOKENWELL_NODE_RSS; the growth after warm-up is bounded generously (it catches a
// leak per call or per renewal, not allocator noise).

const { test } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { execFile } = require('node:child_process')
const { namespace, prepare, stats } = require('./helpers.js')

const CALLS = 100_000
const EVERY = 1_000
const MAX_GROWTH_MIB = 16
const mib = (bytes) => bytes / 1024 / 1024

test(`RSS stays flat over ${CALLS} token() and ${CALLS} cachedToken() calls across renewals`, { timeout: 120_000 }, async () => {
  const server = namespace('rss')
  await prepare(server, { clients: { 'rss-app': { secret: 'Tw-node-rss-secret' } } })
  const stdout = await new Promise((resolve, reject) => {
    const args = ['--expose-gc', path.join(__dirname, 'rss-loop.js'), server, String(CALLS), String(EVERY)]
    execFile(process.execPath, args, { timeout: 90_000 }, (e, out, err) => (e ? reject(new Error(`${e.message}\n${out}\n${err}`)) : resolve(out)))
  })
  const r = JSON.parse(stdout.trim().split('\n').pop())
  assert.equal(r.error, undefined, r.error)

  const renewals = (2 * CALLS) / EVERY
  // Warm-up: 10 renewals per loop; then one per EVERY calls. Each renewal mints a new token.
  assert.equal((await stats(server)).total, 20 + renewals)
  assert.equal(r.distinctTokens, 20 + renewals)

  const growth = mib(r.after.rss - r.before.rss)
  const line =
    `node: ${CALLS} token() calls (${r.tokenMs.toFixed(0)} ms) + ${CALLS} cachedToken() calls (${r.cachedMs.toFixed(0)} ms), ` +
    `${renewals} renewals: RSS ${mib(r.before.rss).toFixed(1)} MiB -> ${mib(r.after.rss).toFixed(1)} MiB (${growth >= 0 ? '+' : ''}${growth.toFixed(2)} MiB), ` +
    `heap used ${mib(r.before.heapUsed).toFixed(1)} -> ${mib(r.after.heapUsed).toFixed(1)} MiB, ` +
    `external ${mib(r.before.external).toFixed(1)} -> ${mib(r.after.external).toFixed(1)} MiB (after global.gc())`
  console.log(line)
  if (process.env.TOKENWELL_NODE_RSS) fs.writeFileSync(process.env.TOKENWELL_NODE_RSS, `${line}\n`)
  assert.ok(growth < MAX_GROWTH_MIB, `RSS grew by ${growth.toFixed(1)} MiB (bound ${MAX_GROWTH_MIB} MiB)`)
})
