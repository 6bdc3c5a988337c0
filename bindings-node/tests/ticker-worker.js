'use strict'
// Worker body for concurrency.test.js: waits for a token while a setInterval ticks, and reports
// how often it ticked.

const { parentPort, workerData } = require('node:worker_threads')
const { Client } = require('tokenwell')

async function main() {
  const client = new Client(workerData.config)
  let ticks = 0
  const timer = setInterval(() => {
    ticks += 1
  }, workerData.tickMs)
  const started = Date.now()
  const token = await client.token()
  const waitedMs = Date.now() - started
  clearInterval(timer)
  return { ticks, waitedMs, accessToken: token.accessToken, cached: client.cachedToken()?.accessToken }
}

main().then(
  (r) => parentPort.postMessage(r),
  (e) => parentPort.postMessage({ error: `${e.name}: ${e.message}` }),
)
