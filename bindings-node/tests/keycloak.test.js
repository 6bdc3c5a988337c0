'use strict'
// Conformance against a real Keycloak (tests/idp): the rows of core/tests/keycloak.rs, through the
// Node API, with Keycloak's own event log as the witness of what went out. Skipped unless
// TOKENWELL_KEYCLOAK_URL is set (`make test` starts Keycloak once for every language's suite).

const { test } = require('node:test')
const assert = require('node:assert/strict')
const util = require('node:util')
const { Client, OAuthError } = require('tokenwell')

const URL_ = (process.env.TOKENWELL_KEYCLOAK_URL ?? '').replace(/\/+$/, '')

// The fixtures of tests/idp/keycloak/realms/*.json.
const BINARLY = 'BinarlyRealm'
const PHASETWO = 'test-realm'
const ALICE = ['alice@example.com', 'tw-alice-Pa55word!']
const BOB = 'bob@example.com'
const CAROL = ['carol@example.com', 'tw-carol-Pa55word!']
const DAVE = ['dave@example.com', 'tw-dave-Pa55word!']
const M2M = ['ci-cd-automation', 'tw-m2m-Secret+with/special:chars%20']
const OBSERVER = ['test-observer', 'tw-observer-secret']
const P2_SECRET = 'fd649804-3a74-4d69-acaa-8f065c6b7da1'
const P2_USER = ['uname@foo.com', 'pwd123AZY']
const WRONG_PASSWORD = 'tw-wrong-Pa55word-0xBAD'
const WRONG_SECRET = 'tw-wrong-client-secret-0xBAD'
const SECRETS = [ALICE[1], CAROL[1], DAVE[1], M2M[1], OBSERVER[1], P2_SECRET, P2_USER[1], WRONG_PASSWORD, WRONG_SECRET]

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const shown = (x) => `${String(x)} ${util.inspect(x, { depth: 5 })} ${JSON.stringify(x)}`

/** A client on its own cache key: rows never share a cached token or an error backoff. */
function client(key, config) {
  const c = new Client({ ...config, cacheKey: `kc-node-${key}` })
  for (const s of SECRETS) assert.ok(!shown(c).includes(s), 'a client shows a secret')
  return c
}

function claims(jwt) {
  try {
    return JSON.parse(Buffer.from(String(jwt).split('.')[1], 'base64url').toString())
  } catch {
    return {}
  }
}

async function events(realm, clientId, sinceMs) {
  const observer = client(`observer-${realm}`, {
    preset: 'keycloak', baseUrl: URL_, realm, clientId: OBSERVER[0], clientSecret: OBSERVER[1],
  })
  const res = await fetch(`${URL_}/admin/realms/${realm}/events?client=${clientId}&max=1000`, {
    headers: { authorization: (await observer.token()).authorization },
    signal: AbortSignal.timeout(10_000),
  })
  assert.ok(res.ok, `events API: ${res.status}`)
  return (await res.json()).filter((e) => (e.time ?? 0) >= sinceMs).reverse()
}

/** The event log once `done` holds, or after 5 s: Keycloak may store an event just after answering. */
async function eventsUntil(realm, clientId, sinceMs, done) {
  const deadline = Date.now() + 5000
  for (;;) {
    const ev = await events(realm, clientId, sinceMs)
    if (done(ev) || Date.now() >= deadline) return ev
    await sleep(100)
  }
}

/** Events of `kind` of user `who` (a username or a user id); any user when empty. */
const count = (ev, kind, who = '') =>
  ev.filter((e) => e.type === kind && (!who || e.details?.username === who || e.userId === who)).length

async function userinfo(realm, token) {
  const res = await fetch(`${URL_}/realms/${realm}/protocol/openid-connect/userinfo`, {
    headers: { authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(10_000),
  })
  await res.arrayBuffer()
  return res.status
}

function assertRedacted(t) {
  const s = shown(t)
  assert.ok(!s.includes(t.accessToken), 'a token shows its access token')
  if (t.refreshToken) assert.ok(!s.includes(t.refreshToken), 'a token shows its refresh token')
}

async function expectOAuth(c) {
  try {
    await c.token()
  } catch (e) {
    assert.ok(e instanceof OAuthError, `${e}`)
    assert.equal(e.code, 'oauth')
    for (const s of SECRETS) assert.ok(!shown(e).includes(s), `an error shows a secret: ${shown(e)}`)
    return e
  }
  assert.fail('the token request was expected to fail')
}

const summary = (e) => `oauth ${e.error}, status ${e.status}, "${e.errorDescription}"`

// --- rows ----------------------------------------------------------------------------------------

async function passwordGrantOpenid() {
  // Doc 000 verbatim: the token URL, BinarlyClient (public), scope=openid, username + password.
  const c = client('password-openid', {
    tokenUrl: `${URL_}/realms/${BINARLY}/protocol/openid-connect/token`, grant: 'password',
    clientId: 'BinarlyClient', scope: 'openid', username: ALICE[0], password: ALICE[1],
  })
  const t = await c.token()
  const exp = claims(t.accessToken).exp
  assert.ok(Math.abs(t.expiresAt.getTime() / 1000 - exp) <= 2, `${t.expiresAt} vs ${exp}`)
  assert.ok(t.expiresIn >= 1790 && t.expiresIn <= 1800, `${t.expiresIn}`)
  assert.equal(t.tokenType, 'Bearer')
  assert.equal(t.authorization, `Bearer ${t.accessToken}`)
  assert.equal(claims(t.accessToken).azp, 'BinarlyClient')
  assert.equal(claims(t.accessToken).preferred_username, ALICE[0])
  assert.ok((t.scope ?? '').split(' ').includes('openid'), t.scope)
  assert.ok(claims(t.idToken).iss, 'an ID token comes with scope=openid')
  assertRedacted(t)
  assert.equal((await c.token()).accessToken, t.accessToken, 'the second call is answered from the cache')
  return `expires_in ${Math.round(t.expiresIn)} s (JWT exp matches), scope "${t.scope}", ID token`
}

async function refresh() {
  const c = client('refresh', { preset: 'binarly', baseUrl: URL_, grant: 'password', username: ALICE[0], password: ALICE[1] })
  const since = Date.now()
  const a = await c.token()
  c.invalidate() // what a resource server's 401 leads to: the access token goes, the refresh token stays
  assert.equal(c.cachedToken(), null)
  const b = await c.token()
  assert.notEqual(a.accessToken, b.accessToken)
  assert.ok(b.refreshToken)
  assert.equal(claims(a.accessToken).sid, claims(b.accessToken).sid, 'same session: refreshed')
  const sub = claims(a.accessToken).sub
  const ev = await eventsUntil(BINARLY, 'BinarlyClient', since, (e) => count(e, 'REFRESH_TOKEN', sub) >= 1)
  assert.deepEqual([count(ev, 'LOGIN', sub), count(ev, 'REFRESH_TOKEN', sub)], [1, 1])
  return 'invalidate() → one refresh_token grant, same session'
}

async function refreshExpiresInHonoured() {
  // The clock-jump half of the Rust row needs an injected clock, which only the Rust API has.
  const c = client('refresh-expiry', {
    preset: 'keycloak', baseUrl: URL_, realm: BINARLY, grant: 'password', clientId: 'BinarlyClient',
    scope: 'openid', username: ALICE[0], password: ALICE[1],
  })
  const t = await c.token()
  assert.ok(t.refreshToken && t.refreshExpiresAt)
  const rtExp = claims(t.refreshToken).exp
  assert.ok(Math.abs(t.refreshExpiresAt.getTime() / 1000 - rtExp) <= 2, `${t.refreshExpiresAt} vs ${rtExp}`)
  return `refreshExpiresAt = the refresh JWT's exp (${Math.round((t.refreshExpiresAt - Date.now()) / 1000)} s left)`
}

const clientCredentials = (basic) => async () => {
  // Doc 002's M2M client; its secret's `+ / : %20` make only a correctly encoded Basic header work.
  const since = Date.now()
  const t = await client(basic ? 'cc-basic' : 'cc-post', {
    preset: 'keycloak', baseUrl: URL_, realm: BINARLY, clientId: M2M[0], clientSecret: M2M[1],
    ...(basic ? { clientAuth: 'basic' } : {}),
  }).token()
  assert.equal(claims(t.accessToken).azp, M2M[0])
  assert.equal(t.refreshToken, undefined, 'Keycloak issues no refresh token to client credentials')
  assert.ok(t.expiresIn >= 1790 && t.expiresIn <= 1800, `${t.expiresIn}`)
  assertRedacted(t)
  const ev = await eventsUntil(BINARLY, M2M[0], since, (e) => count(e, 'CLIENT_LOGIN') >= 1)
  assert.equal(count(ev, 'CLIENT_LOGIN'), 1)
  return `secret in ${basic ? 'HTTP Basic' : 'the body'}: ${Math.round(t.expiresIn)} s token, no refresh token`
}

async function singleFlight() {
  const config = { preset: 'keycloak', baseUrl: URL_, realm: BINARLY, clientId: M2M[0], clientSecret: M2M[1] }
  const since = Date.now()
  const shared = client('single-flight', config)
  const tokens = await Promise.all(
    Array.from({ length: 16 }, (_, i) => (i % 2 === 0 ? shared : client('single-flight', config)).token()),
  )
  assert.equal(new Set(tokens.map((t) => t.accessToken)).size, 1, 'one token for all')
  await eventsUntil(BINARLY, M2M[0], since, (e) => count(e, 'CLIENT_LOGIN') >= 1)
  await sleep(300) // a stray second request would show by now
  assert.equal(count(await events(BINARLY, M2M[0], since), 'CLIENT_LOGIN'), 1, 'Keycloak saw one token request')
  return '16 concurrent calls (8 clients) → 1 request to Keycloak'
}

async function wrongPassword() {
  const e = await expectOAuth(client('wrong-password', {
    preset: 'binarly', baseUrl: URL_, grant: 'password', username: BOB, password: WRONG_PASSWORD,
  }))
  // Keycloak 26 answers 400 (RFC 6749 §5.2); Keycloak before 24 and the test server's dialect 401.
  assert.deepEqual([e.error, e.status, e.errorDescription], ['invalid_grant', 400, 'Invalid user credentials'])
  return summary(e)
}

async function wrongClientSecret() {
  const e = await expectOAuth(client('wrong-secret', {
    preset: 'keycloak', baseUrl: URL_, realm: BINARLY, clientId: M2M[0], clientSecret: WRONG_SECRET,
  }))
  assert.deepEqual([e.error, e.status], ['unauthorized_client', 401]) // Keycloak 26: not invalid_client
  return summary(e)
}

async function directGrantsDisabled() {
  // Doc 002 has "Direct access grants" unchecked on the M2M client.
  const e = await expectOAuth(client('no-direct-grants', {
    preset: 'keycloak', baseUrl: URL_, realm: BINARLY, grant: 'password', clientId: M2M[0], clientSecret: M2M[1],
    username: ALICE[0], password: ALICE[1],
  }))
  assert.deepEqual([e.error, e.status], ['unauthorized_client', 400])
  return summary(e)
}

async function discovery() {
  const issuer = `${URL_}/realms/${BINARLY}`
  const t = await client('discovery', { issuer, clientId: M2M[0], clientSecret: M2M[1] }).token()
  assert.equal(claims(t.accessToken).iss, issuer)
  assert.equal(claims(t.accessToken).azp, M2M[0])
  return 'issuer → .well-known → token endpoint → token'
}

async function presetBinarly() {
  const t = await client('preset-binarly', {
    preset: 'binarly', baseUrl: URL_, grant: 'password', username: ALICE[0], password: ALICE[1],
  }).token()
  assert.equal(claims(t.accessToken).azp, 'BinarlyClient')
  assert.ok((t.scope ?? '').split(' ').includes('openid'))
  return `BinarlyRealm, BinarlyClient, scope "${t.scope}"`
}

async function presetPhasetwoCc() {
  const t = await client('preset-phasetwo-cc', {
    preset: 'phasetwo', baseUrl: URL_, realm: PHASETWO, clientId: 'admin-cli', clientSecret: P2_SECRET,
  }).token()
  assert.equal(claims(t.accessToken).azp, 'admin-cli')
  assert.equal(t.tokenType, 'Bearer')
  assert.ok(t.expiresIn >= 55 && t.expiresIn <= 60, `${t.expiresIn}`)
  return `admin-cli, ${Math.round(t.expiresIn)} s token`
}

async function presetPhasetwoPassword() {
  const t = await client('preset-phasetwo-password', {
    preset: 'phasetwo', baseUrl: URL_, realm: PHASETWO, grant: 'password', clientId: 'public-cli',
    username: P2_USER[0], password: P2_USER[1],
  }).token()
  assert.equal(claims(t.accessToken).azp, 'public-cli')
  assert.ok(t.refreshToken)
  return `public-cli, ${Math.round(t.expiresIn)} s token + refresh token`
}

async function errorBackoffProtectsAccount() {
  // A retry loop with a wrong password (same client, and a new client each time): brute-force
  // detection would lock Carol; errorBackoff re-raises the first answer.
  const bad = { preset: 'binarly', baseUrl: URL_, grant: 'password', username: CAROL[0], password: WRONG_PASSWORD }
  const since = Date.now()
  const same = client('backoff-carol', bad)
  for (let i = 0; i < 10; i++) {
    const e = await expectOAuth(i % 2 === 0 ? same : client('backoff-carol', bad))
    assert.equal(e.error, 'invalid_grant')
  }
  await client('backoff-carol-right', {
    preset: 'binarly', baseUrl: URL_, grant: 'password', username: CAROL[0], password: CAROL[1],
  }).token()
  const ev = await eventsUntil(BINARLY, 'BinarlyClient', since, (e) => count(e, 'LOGIN', CAROL[0]) >= 1)
  assert.equal(count(ev, 'LOGIN_ERROR', CAROL[0]), 1, 'Keycloak saw one failed login')
  return '10 failing calls → 1 failed login at Keycloak; the account stays usable'
}

async function noErrorBackoffLocksAccount() {
  const bad = { preset: 'binarly', baseUrl: URL_, grant: 'password', errorBackoff: 0, username: DAVE[0], password: WRONG_PASSWORD }
  const since = Date.now()
  const c = client('no-backoff-dave', bad)
  for (let i = 0; i < 2; i++) await expectOAuth(c)
  const e = await expectOAuth(client('no-backoff-dave-right', {
    preset: 'binarly', baseUrl: URL_, grant: 'password', errorBackoff: 0, username: DAVE[0], password: DAVE[1],
  }))
  assert.equal(e.error, 'invalid_grant', 'locked: the right password is refused too')
  const locked = (ev) => ev.some((x) => x.error === 'user_temporarily_disabled')
  const ev = await eventsUntil(BINARLY, 'BinarlyClient', since, locked)
  assert.ok(count(ev, 'LOGIN_ERROR', DAVE[0]) >= 3 && locked(ev))
  return '2 failing calls → the account is locked (user_temporarily_disabled)'
}

const renewal60s = (password) => async () => {
  // Real time: R at 30 s, refresh-ahead from 22.5 s. Every token handed out must have > 25 s left,
  // and Keycloak must still accept the old token when its successor arrives.
  const c = password
    ? client('renewal-60s-password', {
      preset: 'phasetwo', baseUrl: URL_, realm: PHASETWO, grant: 'password', clientId: 'public-cli',
      scope: 'openid', username: P2_USER[0], password: P2_USER[1],
    })
    : client('renewal-60s-cc', {
      preset: 'phasetwo', baseUrl: URL_, realm: PHASETWO, scope: 'openid', clientId: 'admin-cli', clientSecret: P2_SECRET,
    })
  const start = performance.now()
  const current = await c.token()
  const lifetime = claims(current.accessToken).exp - claims(current.accessToken).iat
  assert.ok(lifetime >= 59 && lifetime <= 61, `test-realm issues 60 s tokens (exp − iat = ${lifetime})`)
  let calls = 0
  let slowest = 0
  while (performance.now() - start < 45_000) {
    await sleep(200)
    const asked = performance.now()
    const t = await c.token()
    slowest = Math.max(slowest, performance.now() - asked)
    calls += 1
    assert.ok(t.expiresIn > 25, `a caller got a token with ${t.expiresIn.toFixed(1)} s left`)
    if (t.accessToken === current.accessToken) continue
    const renewedAt = (performance.now() - start) / 1000
    assert.equal(await userinfo(PHASETWO, current.accessToken), 200, 'the replaced token still works')
    assert.equal(await userinfo(PHASETWO, t.accessToken), 200, 'the new token works')
    if (password) {
      assert.ok(current.refreshToken)
      assert.equal(claims(t.accessToken).sid, claims(current.accessToken).sid, 'renewed by refresh')
    } else {
      assert.equal(current.refreshToken, undefined)
    }
    const how = password ? 'with the refresh token' : 'by client credentials'
    return `renewed ${how} at ${renewedAt.toFixed(1)} s of 60 (refresh-ahead); ${calls} calls, none got < 25 s left, slowest ${slowest.toFixed(1)} ms`
  }
  assert.fail(`the 60 s token was not renewed within 45 s (${calls} calls)`)
}

const ROWS = [
  ['password grant: BinarlyClient + scope=openid → JWT with exp', passwordGrantOpenid],
  ['refresh: invalidate() → refresh_token grant', refresh],
  ['refresh_expires_in honoured', refreshExpiresInHonoured],
  ['client credentials, secret in the body (preset keycloak)', clientCredentials(false)],
  ['client credentials, client_auth = basic', clientCredentials(true)],
  ['single flight against Keycloak', singleFlight],
  ['wrong password → oauth invalid_grant', wrongPassword],
  ['wrong client secret → oauth unauthorized_client', wrongClientSecret],
  ['direct access grants disabled → unauthorized_client', directGrantsDisabled],
  ['discovery through issuer', discovery],
  ['preset binarly (base_url → local Keycloak)', presetBinarly],
  ['preset phasetwo: client credentials (admin-cli)', presetPhasetwoCc],
  ['preset phasetwo: password grant (public client)', presetPhasetwoPassword],
  ['error_backoff: retry loop → 1 failed login, no lockout', errorBackoffProtectsAccount],
  ['error_backoff = 0: same loop locks the account', noErrorBackoffLocksAccount],
]
const RENEWALS = [
  ['60 s token renewed, no caller holds an expired one', renewal60s(true)],
  ['60 s client-credentials token renewed', renewal60s(false)],
]

const outcome = (row) => row().then(
  (detail) => [true, detail],
  (e) => [false, `${e?.name ?? 'Error'}: ${e?.message ?? e}`.replace(/\n/g, ' ')],
)

test('keycloak conformance', { skip: !URL_ && 'TOKENWELL_KEYCLOAK_URL is not set (make test starts Keycloak)' }, async () => {
  // The 60 s renewals take ~23 s of real time: they run beside the other rows (their own realm).
  const renewals = RENEWALS.map(([, row]) => outcome(row))
  const results = []
  for (const [name, row] of ROWS) results.push([name, await outcome(row)])
  for (const [i, [name]] of RENEWALS.entries()) results.push([name, await renewals[i]])

  const width = Math.max(...results.map(([n]) => n.length))
  const lines = [`\nKeycloak conformance (Node) against ${URL_}`]
  for (const [name, [ok, detail]] of results) lines.push(`  ${name.padEnd(width)}  ${ok ? 'pass' : 'FAIL'}  ${detail}`)
  const failed = results.filter(([, [ok]]) => !ok).map(([n]) => n)
  lines.push(`keycloak conformance: ${results.length - failed.length} passed, ${failed.length} failed\n`)
  process.stdout.write(lines.join('\n') + '\n')
  assert.deepEqual(failed, [])
})
