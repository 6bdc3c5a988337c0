'use strict'
// Runs the fault matrix, tests/faults/*.json (folder in TOKENWELL_FAULTS), one test per row:
// the vector checks of cases.js (error code or token, the exact requests the server saw with
// `min_gap_ms`) plus the row's `max_ms`; rows with `front` get their own test front (the
// authserver's `front` subcommand, binary in TOKENWELL_AUTHSERVER). Then the secret hygiene
// check over the whole run: every onLog record, every error, client and token as a user can
// print them, against every secret string of every row and every token handed out.
// TOKENWELL_FAULTS_TABLE names a file that receives one table line per row.

const { describe, test } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const util = require('node:util')
const { spawn } = require('node:child_process')
const { Client } = require('tokenwell')
const { ROOT, namespace, requests, sleep } = require('./helpers.js')
const { loadCases, setEnv, runCase, secretStrings, errorRenderings } = require('./cases.js')

const dir = process.env.TOKENWELL_FAULTS
assert.ok(dir, 'TOKENWELL_FAULTS is not set')
const AUTHSERVER = process.env.TOKENWELL_AUTHSERVER
assert.ok(AUTHSERVER, 'TOKENWELL_AUTHSERVER is not set (the test front is its `front` subcommand)')
const rows = loadCases(dir)
setEnv(rows)

const captured = { logs: [], texts: [], tokens: new Set(), causes: 0, counts: { client: 0, token: 0, error: 0 } }

// Log records are process-wide: this one sink sees every record of every row's clients (a
// sink per client would receive each record once per live client).
const sink = new Client(
  { tokenUrl: `${namespace('faults-log-sink')}/token`, clientId: 'sink', clientSecret: 'sink' },
  { onLog: (level, message) => captured.logs.push(`${level} ${message}`) },
)

const renderings = (value) => [
  util.inspect(value),
  util.inspect(value, { showHidden: true, depth: Infinity }),
  String(JSON.stringify(value)),
  String(value),
]

function observe(kind, value) {
  captured.counts[kind] += 1
  if (kind === 'error') {
    captured.texts.push(...errorRenderings(value).map(([how, text]) => `${how}: ${text}`))
    if (value?.cause !== undefined) captured.causes += 1
  } else captured.texts.push(...renderings(value))
  if (kind === 'token') {
    for (const t of [value.accessToken, value.refreshToken, value.idToken]) if (t) captured.tokens.add(t)
  }
}

/** Starts `tokenwell-authserver front …` for a row; resolves once it printed its URL. */
function startFront(front) {
  const caDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tokenwell-node-front-'))
  const ca = path.join(caDir, 'ca.pem')
  const args = ['front', '--upstream', ROOT, '--max-seconds', '300']
  if (front.tls) args.push('--tls', '--ca-out', ca)
  if (front.cut_after_bytes !== undefined) args.push('--cut-after-bytes', String(front.cut_after_bytes))
  const child = spawn(AUTHSERVER, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  const exited = new Promise((resolve) => child.once('exit', resolve))
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
    await Promise.race([exited, sleep(5000)])
    fs.rmSync(caDir, { recursive: true, force: true })
  }
  return new Promise((resolve, reject) => {
    let out = ''
    let err = ''
    const fail = (why) => {
      clearTimeout(timer)
      stop().then(() => reject(new Error(`the test front ${args.join(' ')}: ${why}; stderr: ${err}`)))
    }
    const timer = setTimeout(() => fail('no URL within 10 s'), 10_000)
    child.stderr.on('data', (d) => (err += d))
    child.stdout.on('data', (d) => {
      out += d
      const nl = out.indexOf('\n')
      if (nl < 0) return
      clearTimeout(timer)
      const url = out.slice(0, nl).trim()
      if (/^https?:\/\/127\.0\.0\.1:\d+$/.test(url)) resolve({ url, ca, stop })
      else fail(`printed ${JSON.stringify(url)}`)
    })
    child.once('error', (e) => fail(e.message))
    child.once('exit', (code) => fail(`exited (${code}) before printing its URL`))
  })
}

function expected(v) {
  const e = v.expect.error
  if (!e) return 'token'
  return e.status === undefined ? e.code : `${e.code} ${e.status}`
}

const table = []

describe('tests/faults', { concurrency: 8 }, () => {
  assert.ok(rows.length > 0, 'no fault rows found')
  for (const row of rows) {
    const { stem, v } = row
    test(`${stem}: ${v.name}`, { timeout: 60_000 }, async () => {
      const fails = []
      let front
      let ms = NaN
      let seen = '?'
      try {
        const vars = []
        if (v.front) {
          front = await startFront(v.front)
          vars.push(['{front}', `${front.url}/t/${stem}`], ['{front_ca}', front.ca])
        }
        const out = await runCase(row, { root: ROOT, vars, answers: true, observe })
        fails.push(...out.fails)
        ms = out.elapsedMs ?? NaN
        seen = out.requests ?? '?'
        if (typeof v.max_ms !== 'number') fails.push('the row has no max_ms')
        else if (!(ms <= v.max_ms)) fails.push(`took ${ms.toFixed(0)} ms, more than max_ms ${v.max_ms}`)
      } catch (e) {
        fails.push(String(e?.stack ?? e))
      } finally {
        await front?.stop()
        const cells = [stem, expected(v), `${seen}/${v.requests.length}`, ms.toFixed(0), v.max_ms, fails.length === 0 ? 'pass' : 'FAIL']
        table.push(`| ${cells.join(' | ')} |`)
      }
      if (fails.length > 0) assert.fail(`${stem}:\n  ${fails.join('\n  ')}`)
    })
  }
})

test('the fault table', () => {
  table.sort()
  const text = ['| row | expected | requests seen/expected | ms | max_ms | result |', '|---|---|---|---|---|---|', ...table].join('\n')
  console.log(text)
  if (process.env.TOKENWELL_FAULTS_TABLE) fs.writeFileSync(process.env.TOKENWELL_FAULTS_TABLE, `${text}\n`)
  assert.equal(table.length, rows.length, 'a row did not report')
})

test('no log record, error, client or token of the matrix holds a secret or a token', async () => {
  // Records reach JS through a queue: let the last ones arrive.
  await sleep(200)
  const { logs, texts, tokens, causes, counts } = captured
  const secrets = [...new Set([...rows.flatMap((r) => secretStrings(r.v)), ...tokens])]
  // A check over nothing proves nothing: records, renderings and secrets were all captured,
  // at the most verbose level onLog receives.
  assert.ok(logs.length >= rows.length, `only ${logs.length} log records for ${rows.length} rows`)
  assert.ok(logs.some((l) => l.startsWith('debug ')), 'no debug record captured')
  assert.ok(logs.some((l) => l.startsWith('warn ')), 'no warn record captured')
  for (const [kind, n] of Object.entries(counts)) assert.ok(n > 0, `no ${kind} was observed`)
  assert.ok(causes > 0, 'no error had a cause chain')
  assert.ok(tokens.size > 0 && secrets.length > rows.length, 'too few secret strings')
  // And the matcher finds a secret where one is: the server's own record of a row's request
  // carries that row's client secret.
  const sent = rows.find((r) => r.v.requests[0]?.form?.client_secret)
  const seenByServer = JSON.stringify(await requests(`${ROOT}/t/${sent.stem}`))
  assert.ok(secrets.some((s) => seenByServer.includes(s)), `the matcher misses the secret in ${sent.stem}'s request`)

  const leaks = []
  for (const [what, list] of [
    ['log record', logs],
    ['rendering', texts],
  ]) {
    for (const text of list) for (const s of secrets) if (text.includes(s)) leaks.push(`${what} holds ${JSON.stringify(s)}: ${text}`)
  }
  assert.deepEqual(leaks, [])
  console.log(
    `hygiene: ${logs.length} log records, ${texts.length} renderings of ${counts.client} clients, ${counts.token} tokens and ` +
      `${counts.error} errors (${causes} with a cause chain); none holds any of ${secrets.length} secret strings (${tokens.size} of them tokens)`,
  )
  assert.ok(sink.cacheKey) // keeps the log sink alive until here
})
