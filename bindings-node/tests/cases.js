'use strict'
// The runner of the shared JSON cases (tests/vectors/README.md, and tests/faults/README.md on
// top of it) through the public Node API; core/tests/common/runner.rs is the reference.
// Keys are converted to camelCase, the Node spelling. vectors.test.js and faults.test.js use it.

const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const util = require('node:util')
const { Client, TokenwellError } = require('tokenwell')
const { prepare, requests, sleep } = require('./helpers.js')

const TOLERANCE_S = 5
const camel = (k) => k.replace(/_(.)/g, (_, c) => c.toUpperCase())
const camelKeys = (o) => Object.fromEntries(Object.entries(o).map(([k, v]) => [camel(k), v]))

/**
 * Replaces every `[placeholder, value]` of `vars` in every string value at any depth (keys are
 * left alone); with `dates`, also `{http_date+N}` / `{http_date-N}` (faults README).
 */
function subst(v, vars, dates = false) {
  if (typeof v === 'string') {
    let s = v
    for (const [k, x] of vars) s = s.replaceAll(k, x)
    return dates ? s.replace(/\{http_date([+-]\d+)\}/g, (_, n) => new Date(Date.now() + Number(n) * 1000).toUTCString()) : s
  }
  if (Array.isArray(v)) return v.map((x) => subst(x, vars, dates))
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, subst(x, vars, dates)]))
  }
  return v
}

/** README "Secret strings". */
function secretStrings(v) {
  const out = []
  const fromConfig = (c) => {
    for (const k of ['client_secret', 'password', 'refresh_token', 'cache_secret']) {
      if (typeof c?.[k] === 'string') out.push(c[k])
    }
  }
  fromConfig(v.config)
  for (const c of Array.isArray(v.calls) ? v.calls : []) if (c.config_patch) fromConfig(c.config_patch)
  out.push(...Object.values(v.env ?? {}))
  for (const [name, content] of Object.entries(v.files ?? {})) if (!name.endsWith('.pem')) out.push(content.trimEnd())
  for (const a of v.answers ?? []) {
    for (const k of ['access_token', 'refresh_token', 'id_token']) if (typeof a.json?.[k] === 'string') out.push(a.json[k])
  }
  out.push(...(v.secrets ?? []))
  return out.filter((s) => s)
}

function checkSecrets(text, secrets, what, fails) {
  for (const s of secrets) if (text.includes(s)) fails.push(`${what} contains the secret ${JSON.stringify(s)}`)
}

/** Every way an error reaches a user's eyes: message, stack, the `cause` chain, inspect, JSON. */
function errorRenderings(err) {
  const out = [
    ['error message', String(err?.message)],
    ['String(error)', String(err)],
    ['error stack', String(err?.stack)],
    ['util.inspect(error)', util.inspect(err)],
    ['util.inspect(error, showHidden)', util.inspect(err, { showHidden: true, depth: Infinity })],
    ['JSON.stringify(error)', String(JSON.stringify(err))],
  ]
  let cause = err?.cause
  for (let depth = 1; cause !== undefined && depth <= 16; depth++, cause = cause?.cause) {
    out.push([`error cause ${depth} message`, String(cause?.message ?? cause)], [`error cause ${depth} stack`, String(cause?.stack)])
  }
  return out
}

function checkErrorSecrets(err, secrets, what, fails) {
  for (const [how, text] of errorRenderings(err)) checkSecrets(text, secrets, `${what}: ${how}`, fails)
}

/** JSON equality where an expected `"*"` matches anything, at any depth. */
function matches(want, got) {
  if (want === '*') return true
  if (Array.isArray(want)) return Array.isArray(got) && want.length === got.length && want.every((w, i) => matches(w, got[i]))
  if (want !== null && typeof want === 'object') {
    if (got === null || typeof got !== 'object' || Array.isArray(got)) return false
    const wk = Object.keys(want)
    return wk.length === Object.keys(got).length && wk.every((k) => k in got && matches(want[k], got[k]))
  }
  return want === got
}

const secsUntil = (date) => (date.getTime() - Date.now()) / 1000

function checkOpt(field, got, want, what, fails) {
  if (want === null) {
    if (got !== undefined) fails.push(`${what}: ${field} should be absent, is present`)
  } else if (want === '*') {
    if (got === undefined) fails.push(`${what}: ${field} should be present, is absent`)
  } else if (got !== want) {
    fails.push(`${what}: ${field} is ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`)
  }
}

function checkToken(tok, et, what, fails) {
  const at = tok.accessToken
  if (et.access_token !== undefined) {
    if (et.access_token === '*' ? !at : at !== et.access_token) {
      fails.push(`${what}: access_token is ${JSON.stringify(at)}, expected ${JSON.stringify(et.access_token)}`)
    }
  }
  if (et.token_type !== undefined && tok.tokenType !== et.token_type) {
    fails.push(`${what}: token_type is ${tok.tokenType}, expected ${et.token_type}`)
  }
  if (typeof et.expires_in === 'number') {
    const got = secsUntil(tok.expiresAt)
    if (Math.abs(got - et.expires_in) > TOLERANCE_S) fails.push(`${what}: expires in ${got.toFixed(1)} s, expected ${et.expires_in}`)
  }
  for (const [field, prop] of [
    ['refresh_token', 'refreshToken'],
    ['scope', 'scope'],
    ['id_token', 'idToken'],
  ]) {
    if (et[field] !== undefined) checkOpt(field, tok[prop], et[field], what, fails)
  }
  if (et.refresh_expires_in === null && tok.refreshExpiresAt !== undefined) {
    fails.push(`${what}: refresh_expires_at should be absent`)
  } else if (typeof et.refresh_expires_in === 'number') {
    if (tok.refreshExpiresAt === undefined) fails.push(`${what}: refresh_expires_at is absent`)
    else {
      const got = secsUntil(tok.refreshExpiresAt)
      if (Math.abs(got - et.refresh_expires_in) > TOLERANCE_S) {
        fails.push(`${what}: refresh token expires in ${got.toFixed(1)} s, expected ${et.refresh_expires_in}`)
      }
    }
  }
  for (const [k, want] of Object.entries(et.extra ?? {})) {
    if (!(k in tok.extra)) fails.push(`${what}: extra has no ${k} (has ${Object.keys(tok.extra)})`)
    else if (!matches(want, tok.extra[k])) fails.push(`${what}: extra[${k}] is ${JSON.stringify(tok.extra[k])}, expected ${JSON.stringify(want)}`)
  }
  if (tok.authorization !== `Bearer ${at}`) fails.push(`${what}: authorization is not "Bearer <accessToken>"`)
  for (const [name, text] of [
    ['util.inspect', util.inspect(tok)],
    ['JSON.stringify', JSON.stringify(tok)],
    ['String', String(tok)],
  ]) {
    if (at && text.includes(at)) fails.push(`${what}: ${name}(token) shows the access token`)
    if (tok.refreshToken && text.includes(tok.refreshToken)) fails.push(`${what}: ${name}(token) shows the refresh token`)
  }
}

function checkError(err, ee, secrets, what, fails) {
  if (!(err instanceof TokenwellError)) {
    fails.push(`${what}: expected a TokenwellError, got ${util.inspect(err)}`)
    return
  }
  const config = ee.code === 'config'
  const summary = `code ${err.code} key ${err.key} status ${err.status} error ${err.error}: ${err.message}`
  if (err.code !== ee.code) fails.push(`${what}: error code ${err.code}, expected ${ee.code} (${summary})`)
  const fields = { key: 'key', error: 'error', error_description: 'errorDescription', error_uri: 'errorUri', body: 'body' }
  for (const [field, prop] of Object.entries(fields)) {
    if (ee[field] === undefined) continue
    const want = field === 'key' && typeof ee.key === 'string' ? camel(ee.key) : ee[field]
    if ((err[prop] ?? null) !== want) fails.push(`${what}: error ${prop} is ${JSON.stringify(err[prop])}, expected ${JSON.stringify(want)} (${summary})`)
  }
  if (ee.status !== undefined && (err.status ?? null) !== ee.status) fails.push(`${what}: error status ${err.status}, expected ${ee.status}`)
  if (ee.body_starts_with !== undefined && !(err.body ?? '').startsWith(ee.body_starts_with)) {
    fails.push(`${what}: error body ${JSON.stringify(err.body)} does not start with ${JSON.stringify(ee.body_starts_with)}`)
  }
  if (ee.message_contains !== undefined) {
    // Configuration messages name keys as Node users spell them.
    const want = config ? ee.message_contains.replace(/\b[a-z0-9]+(?:_[a-z0-9]+)+\b/g, camel) : ee.message_contains
    if (!err.message.includes(want)) fails.push(`${what}: error message ${JSON.stringify(err.message)} does not contain ${JSON.stringify(want)}`)
  }
  const expectedClass = { config: 'ConfigError', oauth: 'OAuthError', http: 'HTTPError', network: 'NetworkError', timeout: 'TimeoutError', invalid_response: 'InvalidResponseError', cache: 'CacheError' }[err.code]
  if (expectedClass && err.name !== expectedClass) fails.push(`${what}: a ${err.code} error is a ${err.name}, expected ${expectedClass}`)
  checkErrorSecrets(err, secrets, what, fails)
}

function checkResult(r, exp, secrets, what, fails) {
  if (r.status === 'fulfilled' && exp.token) checkToken(r.value, exp.token, what, fails)
  else if (r.status === 'rejected' && exp.error) checkError(r.reason, exp.error, secrets, what, fails)
  else if (r.status === 'fulfilled') fails.push(`${what}: got a token, expected error ${JSON.stringify(exp.error)}`)
  else {
    const e = r.reason
    fails.push(`${what}: expected a token, got ${e?.name} code ${e?.code} status ${e?.status} error ${e?.error} key ${e?.key}: ${e?.message}`)
    checkErrorSecrets(e, secrets, what, fails)
  }
}

function callList(v) {
  if (v.calls === undefined) return [{}]
  if (typeof v.calls === 'number') return Array.from({ length: v.calls }, () => ({}))
  return v.calls
}

async function runCalls(v, firstClient, config, ctx, secrets, fails) {
  const seen = []
  let client = firstClient
  let prev
  for (const [i, c] of callList(v).entries()) {
    const n = i + 1
    if (c.sleep_ms) await sleep(c.sleep_ms)
    if (n > 1 && (c.config_patch || c.new_client)) {
      const cfg = { ...config, ...camelKeys(subst(c.config_patch ?? {}, ctx.vars)) }
      try {
        client = new Client(cfg, ctx.options)
      } catch (e) {
        ctx.observe('error', e)
        fails.push(`call ${n}: building the new client failed: ${e.code} ${e.message}`)
        return seen
      }
      ctx.observe('client', client)
    }
    if (c.invalidate) client.invalidate()
    const exp = c.expect ?? v.expect
    const parallel = Math.max(1, c.parallel ?? 1)
    const results = await Promise.allSettled(Array.from({ length: parallel }, () => client.token()))
    const what = parallel > 1 ? `call ${n} (parallel ${parallel})` : `call ${n}`
    results.forEach((r, j) => checkResult(r, exp, secrets, parallel > 1 ? `${what} #${j + 1}` : what, fails))
    for (const r of results) ctx.observe(r.status === 'fulfilled' ? 'token' : 'error', r.status === 'fulfilled' ? r.value : r.reason)
    const tokens = results.filter((r) => r.status === 'fulfilled').map((r) => r.value)
    for (const t of tokens) seen.push(t.accessToken, ...(t.refreshToken ? [t.refreshToken] : []))
    if (new Set(tokens.map((t) => t.accessToken)).size > 1) fails.push(`${what}: concurrent calls returned different access tokens`)
    const now = results[0].status === 'fulfilled' ? results[0].value.accessToken : undefined
    if (n > 1 && c.token_vs_previous) {
      if (prev === undefined || now === undefined) fails.push(`${what}: token_vs_previous needs tokens from both calls`)
      else if (c.token_vs_previous === 'same' && prev !== now) fails.push(`${what}: expected the previous call's access token, got a new one`)
      else if (c.token_vs_previous === 'different' && prev === now) fails.push(`${what}: expected a new access token, got the previous call's`)
    }
    prev = now
  }
  return seen
}

function checkTmpHasNoTokens(tmp, tokens, fails) {
  let files = 0
  for (const entry of fs.readdirSync(tmp, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue
    files += 1
    const p = path.join(entry.parentPath ?? entry.path, entry.name)
    const text = fs.readFileSync(p, 'latin1')
    for (const t of tokens) if (t && text.includes(t)) fails.push(`${p} holds a token in the clear`)
  }
  if (files === 0) fails.push(`tmp_no_tokens: no file was written under ${tmp}`)
}

function checkRequests(v, stem, records, fails) {
  const want = v.requests ?? []
  const describe = (r) => `${r.method} ${r.path} grant_type=${r.form?.grant_type ?? r.json?.grant_type ?? '-'}`
  if (records.length !== want.length) {
    fails.push(`server recorded ${records.length} token requests, expected ${want.length}: [${records.map(describe).join('; ')}]`)
  }
  const prefix = `/t/${stem}`
  let prevAt
  want.forEach((w, i) => {
    const got = records[i]
    if (got === undefined) return
    const what = `request ${i + 1}`
    if (w.method && got.method !== w.method) fails.push(`${what}: method ${got.method}, expected ${w.method}`)
    const gp = got.path.startsWith(prefix) ? got.path.slice(prefix.length) : got.path
    if (w.path && gp !== w.path) fails.push(`${what}: path ${gp}, expected ${w.path}`)
    const headers = got.headers ?? {}
    for (const [name, wv] of Object.entries(w.headers ?? {})) {
      const gv = headers[name.toLowerCase()]
      if (gv === undefined) fails.push(`${what}: header ${name} missing`)
      else if (wv !== '*' && gv !== wv) fails.push(`${what}: header ${name} is ${gv}, expected ${wv}`)
    }
    for (const name of w.absent_headers ?? []) {
      if (headers[name.toLowerCase()] !== undefined) fails.push(`${what}: header ${name} should be absent`)
    }
    for (const body of ['form', 'json']) {
      if (w[body] === undefined) continue
      const gb = got[body]
      if (gb === null || typeof gb !== 'object') fails.push(`${what}: expected a ${body} body, server recorded ${JSON.stringify(gb)} (content-type ${got.content_type})`)
      else if (!matches(w[body], gb)) fails.push(`${what}: ${body} body is ${JSON.stringify(gb)}, expected ${JSON.stringify(w[body])}`)
    }
    if (w.basic !== undefined && !matches(w.basic, got.basic ?? null)) {
      fails.push(`${what}: Basic credentials ${JSON.stringify(got.basic)}, expected ${JSON.stringify(w.basic)}`)
    }
    if (w.min_gap_ms !== undefined) {
      if (prevAt === undefined || got.at_ms === undefined) fails.push(`${what}: at_ms missing for min_gap_ms`)
      else if (got.at_ms - prevAt < w.min_gap_ms) fails.push(`${what}: came ${got.at_ms - prevAt} ms after the previous one, expected at least ${w.min_gap_ms}`)
    }
    prevAt = got.at_ms
  })
}

/**
 * Runs one case (vector README "Running a vector") and answers its failed checks, the time
 * from just before construction until the last call returned (faults README `max_ms`) and the
 * number of requests the server recorded.
 * `vars`: more `[placeholder, value]` pairs; `answers`: substitute in `answers` too, with
 * `{http_date±N}` (the fault matrix); `options`: the Client's second argument; `observe(kind,
 * value)` sees every client, token and error (kinds `client`, `token`, `error`).
 */
async function runCase({ stem, v }, { root, vars = [], answers = false, options, observe = () => {} }) {
  const fails = []
  const server = `${root}/t/${stem}`
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `tokenwell-node-${stem}-`))
  const ctx = { vars: [['{server}', server], ['{tmp}', tmp], ...vars], options, observe }
  let elapsedMs
  let seen
  try {
    for (const [name, content] of Object.entries(v.files ?? {})) fs.writeFileSync(path.join(tmp, name), content)
    await prepare(server, v.setup, v.answers && (answers ? subst(v.answers, ctx.vars, true) : v.answers))
    const config = camelKeys(subst(v.config, ctx.vars))
    const secrets = secretStrings(v)
    const expectsConfigError = v.expect.error?.code === 'config'
    const started = performance.now()
    let client
    try {
      client = new Client(config, options)
    } catch (e) {
      observe('error', e)
      if (expectsConfigError) checkError(e, v.expect.error, secrets, 'construction', fails)
      else {
        fails.push(`construction failed: ${e.code} key ${e.key}: ${e.message}`)
        checkErrorSecrets(e, secrets, 'construction', fails)
      }
    }
    if (client !== undefined) {
      observe('client', client)
      if (expectsConfigError) fails.push(`construction succeeded, expected ${JSON.stringify(v.expect.error)}`)
      else {
        checkSecrets(util.inspect(client) + JSON.stringify(client) + String(client), secrets, 'client', fails)
        const seen = await runCalls(v, client, config, ctx, secrets, fails)
        if (v.tmp_no_tokens) checkTmpHasNoTokens(tmp, seen, fails)
      }
    }
    elapsedMs = performance.now() - started
    if (v.settle_ms) await sleep(v.settle_ms)
    const records = await requests(server)
    seen = records.length
    checkRequests(v, stem, records, fails)
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true })
  }
  return { fails, elapsedMs, requests: seen }
}

/** The `*.json` cases of a folder, sorted: `{ stem, v }`. */
function loadCases(dir) {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({ stem: f.slice(0, -5), v: JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) }))
}

/** Sets every case's `env` (names are unique across cases), before any client reads it. */
function setEnv(cases) {
  for (const { v } of cases) for (const [k, val] of Object.entries(v.env ?? {})) process.env[k] = val
}

module.exports = { loadCases, setEnv, runCase, secretStrings, errorRenderings, camel }
