'use strict'
// Child process of memory.test.js, run with --expose-gc: `node --expose-gc rss-loop.js SERVER
// CALLS EVERY`. Warms up, then makes CALLS awaited `token()` calls and CALLS synchronous
// `cachedToken()` calls, invalidating every EVERY calls so each loop crosses CALLS / EVERY
// renewals; prints one JSON line with the memory figures before and after (after a full GC).

const { Client } = require('tokenwell')

const [server, calls, every] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])]

async function settle() {
  // Finalizers of native objects run off a GC, on a later turn of the event loop.
  for (let i = 0; i < 3; i++) {
    global.gc()
    await new Promise((r) => setImmediate(r))
  }
  return process.memoryUsage()
}

async function main() {
  const client = new Client({ tokenUrl: `${server}/token`, clientId: 'rss-app', clientSecret: 'Tw-node-rss-secret' })
  const tokens = new Set()
  const viaToken = async (n) => {
    for (let i = 0; i < n; i++) {
      if (i % every === 0) client.invalidate()
      const t = await client.token()
      if (i % every === 0) tokens.add(t.accessToken)
      else if (!t.accessToken) throw new Error(`call ${i}: no access token`)
    }
  }
  const viaCached = async (n) => {
    for (let i = 0; i < n; i++) {
      if (i % every === 0) {
        client.invalidate()
        if (client.cachedToken() !== null) throw new Error('cachedToken() gave a token right after invalidate()')
        tokens.add((await client.token()).accessToken)
      }
      if (client.cachedToken() === null) throw new Error(`cachedToken() call ${i} gave null`)
    }
  }
  await viaToken(10 * every)
  await viaCached(10 * every)
  const before = await settle()
  const started = performance.now()
  await viaToken(calls)
  const tokenMs = performance.now() - started
  await viaCached(calls)
  const cachedMs = performance.now() - started - tokenMs
  const after = await settle()
  return { calls, every, distinctTokens: tokens.size, tokenMs, cachedMs, before, after }
}

main().then(
  (r) => console.log(JSON.stringify(r)),
  (e) => {
    console.log(JSON.stringify({ error: String(e?.stack ?? e) }))
    process.exitCode = 1
  },
)
