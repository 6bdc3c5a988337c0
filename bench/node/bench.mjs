// Micro-benchmark of the warm paths of the Node package: `client.cachedToken()` and
// `await client.token()` with a valid token cached (targets: ≤ 60 ns and ≤ 300 ns), next to
// what the same read costs through native code and a hand-written Date.now() expiry check.
// Run by bench/node/run.sh (release addon, test server in TOKENWELL_TEST_SERVER).
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const { Client } = require('../../bindings-node/index.js')
const native = require('../../bindings-node/native.js')

const server = process.env.TOKENWELL_TEST_SERVER
if (!server) throw new Error('TOKENWELL_TEST_SERVER is not set: run bench/node/run.sh')
const ns = `${server}/t/bench-node-${process.pid}`
const config = { tokenUrl: `${ns}/token`, clientId: 'app', clientSecret: 'app-secret' }
await fetch(`${ns}/_reset`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } })

const RUNS = 7
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
let sink = 0

function timeSync(fn, n) {
  for (let i = 0; i < Math.min(n, 200_000); i++) sink ^= fn() === null ? 1 : 0
  const runs = []
  for (let r = 0; r < RUNS; r++) {
    const t0 = process.hrtime.bigint()
    for (let i = 0; i < n; i++) sink ^= fn() === null ? 1 : 0
    runs.push(Number(process.hrtime.bigint() - t0) / n)
  }
  return runs
}

async function timeAsync(fn, n) {
  for (let i = 0; i < Math.min(n, 100_000); i++) sink ^= (await fn()) === null ? 1 : 0
  const runs = []
  for (let r = 0; r < RUNS; r++) {
    const t0 = process.hrtime.bigint()
    for (let i = 0; i < n; i++) sink ^= (await fn()) === null ? 1 : 0
    runs.push(Number(process.hrtime.bigint() - t0) / n)
  }
  return runs
}

const client = new Client(config)
const token = await client.token()
if (client.cachedToken() !== token) throw new Error('no warm token')

// The same read through native code on every call (what the JS mirror avoids).
const raw = native.createClient(JSON.stringify(config))
// A hand-written check, as scripts do with openid-client's TokenSet (expires_at in seconds).
const tokenSet = { access_token: token.accessToken, expires_at: Math.floor(token.expiresAt.getTime() / 1000) }
const manual = () => (tokenSet.expires_at * 1000 - Date.now() > 30_000 ? tokenSet : null)

const rows = [
  ['client.cachedToken() (warm, JS mirror)', timeSync(() => client.cachedToken(), 5_000_000), 60],
  ['await client.token() (warm, JS mirror)', await timeAsync(() => client.token(), 2_000_000), 300],
  ['native cached() on every call (no mirror)', timeSync(() => raw.cached(), 300_000), null],
  ['manual expiry check (Date.now() compare)', timeSync(manual, 5_000_000), null],
]

console.log(`node ${process.version}, ${RUNS} runs each, ns per call (median / min)`)
for (const [name, runs, target] of rows) {
  const t = target === null ? '' : `   target ≤ ${target} ns: ${median(runs) <= target ? 'met' : 'MISSED'}`
  console.log(`${name.padEnd(44)} ${median(runs).toFixed(1).padStart(8)} / ${Math.min(...runs).toFixed(1).padStart(8)}${t}`)
}
if (sink === 42) console.log('')
