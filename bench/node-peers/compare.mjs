// tokenwell beside the Node libraries users pick instead (openid-client, @badgateway/oauth2-client,
// simple-oauth2), each used as its documentation shows. Modes as in every language of bench/
// (bench/README.md): `inproc SERVER` prints the in-process measures as JSON; `once`, `load` and
// `hold` are the child processes bench/driver.py times and counts.
import http from 'node:http'
import { readFileSync } from 'node:fs'

const QUICK = process.env.BENCH_QUICK === '1'
const REPEATS = QUICK ? 3 : 7
const WARM_CALLS = QUICK ? 100_000 : 1_000_000
const READERS = 4
const FIRST_RUNS = QUICK ? 3 : 101
const SECRET = 'app-secret'
// The package as `make bench` stages it (release addon, target/bench/node-pkg), else the checkout's.
const tokenwellDir = process.env.BENCH_TOKENWELL_NODE ?? new URL('../../bindings-node/', import.meta.url).pathname
const tokenwellPath = new URL('index.mjs', `file://${tokenwellDir.replace(/\/?$/, '/')}`).href

// ---- the libraries: each builds a getter for one token URL and says how to read the token ----

const LIBS = {
  tokenwell: {
    how: '`await client.token()`',
    async make(url, cache) {
      const { Client } = await import(tokenwellPath)
      const c = new Client({ tokenUrl: url, clientId: 'app', clientSecret: SECRET, ...(cache ? { cache } : {}) })
      return [() => c.token(), (t) => t.accessToken]
    },
  },
  'tokenwell cachedToken()': {
    how: 'synchronous `client.cachedToken()` (warm path only)',
    warmOnly: true,
    async make(url) {
      const { Client } = await import(tokenwellPath)
      const c = new Client({ tokenUrl: url, clientId: 'app', clientSecret: SECRET })
      await c.token()
      return [() => c.cachedToken(), (t) => t.accessToken, true]
    },
  },
  'openid-client': {
    how: 'no cache: `clientCredentialsGrant` + the `expiresIn()` check',
    async make(url) {
      const oidc = await import('openid-client')
      const config = new oidc.Configuration({ issuer: url.replace(/\/token$/, ''), token_endpoint: url }, 'app', SECRET)
      oidc.allowInsecureRequests(config) // the documented switch for a plain-HTTP test server
      let tokens = null
      const get = async () => {
        if (tokens === null || !(tokens.expiresIn() > 0)) tokens = await oidc.clientCredentialsGrant(config)
        return tokens
      }
      return [get, (t) => t.access_token]
    },
  },
  '@badgateway/oauth2-client': {
    how: '`OAuth2Fetch.getToken()` (refreshes at expiry)',
    async make(url) {
      const { OAuth2Client, OAuth2Fetch } = await import('@badgateway/oauth2-client')
      const client = new OAuth2Client({
        server: url.replace(/\/token$/, '/'),
        tokenEndpoint: url,
        clientId: 'app',
        clientSecret: SECRET,
        authenticationMethod: 'client_secret_basic',
      })
      const f = new OAuth2Fetch({ client, getNewToken: () => client.clientCredentials() })
      return [() => f.getToken(), (t) => t.accessToken]
    },
  },
  'simple-oauth2': {
    how: '`ClientCredentials.getToken` + the docs\' `accessToken.expired()` check',
    async make(url) {
      const { ClientCredentials } = await import('simple-oauth2')
      const u = new URL(url)
      const client = new ClientCredentials({
        client: { id: 'app', secret: SECRET },
        auth: { tokenHost: u.origin, tokenPath: u.pathname },
      })
      let accessToken = null
      const get = async () => {
        if (accessToken === null || accessToken.expired()) accessToken = await client.getToken({})
        return accessToken
      }
      return [get, (t) => t.token.access_token]
    },
  },
}
const RAW = {
  how: '`node:http` POST on a new connection',
  async make(url) {
    return [() => rawPost(url), (t) => t.access_token]
  },
}
const ALL = { ...LIBS, 'raw POST': RAW }

// ---- plain HTTP to the test server ----

function request(method, url, body, headers, agent) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers: headers ?? {}, agent: agent ?? false }, (res) => {
      const chunks = []
      res.on('data', (c) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString() }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(body)
  })
}

async function rawPost(url) {
  const basic = Buffer.from(`app:${SECRET}`).toString('base64')
  const r = await request('POST', url, 'grant_type=client_credentials', {
    'content-type': 'application/x-www-form-urlencoded',
    authorization: `Basic ${basic}`,
  })
  if (r.status !== 200) throw new Error(`token endpoint answered ${r.status}`)
  return JSON.parse(r.body)
}

async function control(ns, settings) {
  const json = { 'content-type': 'application/json' }
  await request('POST', `${ns}/_reset`, '{}', json)
  if (settings) {
    const r = await request('POST', `${ns}/_control`, JSON.stringify(settings), json)
    if (r.status !== 200) throw new Error(`/_control answered ${r.status}: ${r.body}`)
  }
}

const stats = async (ns) => JSON.parse((await request('GET', `${ns}/_stats`)).body)
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)))
const slug = (name) => name.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 40)
const nowNs = () => Number(process.hrtime.bigint())

// ---- measures ----

async function warmNs(get, sync, readers) {
  const per = Math.floor(WARM_CALLS / readers)
  let sink = 0
  const loop = sync
    ? async (n) => {
        for (let i = 0; i < n; i++) sink ^= get() === null ? 1 : 0
      }
    : async (n) => {
        for (let i = 0; i < n; i++) sink ^= (await get()) === null ? 1 : 0
      }
  await loop(Math.floor(per / 10))
  const runs = []
  for (let r = 0; r < REPEATS; r++) {
    const t = nowNs()
    await Promise.all(Array.from({ length: readers }, () => loop(per)))
    runs.push((nowNs() - t) / (per * readers))
  }
  if (sink === 42) console.error('')
  return runs
}

// The libraries take turns, run by run, each round in a rotated order, so neither the machine's
// changing load nor the work just before (code left warm) favours one. Each run asks a namespace
// nothing used before (the server creates it on first use): no call of the harness's own, which
// would warm the raw POST's HTTP code, comes between two runs.
async function firstMs(names, server) {
  const runs = Object.fromEntries(names.map((n) => [n, []]))
  for (let i = 0; i < FIRST_RUNS; i++) {
    const k = i % names.length
    for (const name of [...names.slice(k), ...names.slice(0, k)]) {
      const ns = `${server}/t/node-first-${slug(name)}-${process.pid}-${i}`
      const t = nowNs()
      const [get, read] = await ALL[name].make(`${ns}/token`)
      read(await get())
      runs[name].push((nowNs() - t) / 1e6)
    }
  }
  return runs
}

async function herd(name, server, callers) {
  const ns = `${server}/t/node-herd${callers}-${slug(name)}-${process.pid}`
  await control(ns, { delay_ms: 50 })
  const [get, read] = await LIBS[name].make(`${ns}/token`)
  const t = nowNs()
  const results = await Promise.allSettled(Array.from({ length: callers }, async () => read(await get())))
  const seconds = (nowNs() - t) / 1e9
  return {
    requests: (await stats(ns)).total,
    errors: results.filter((r) => r.status === 'rejected').length,
    seconds: Math.round(seconds * 1000) / 1000,
  }
}

// A call every 100 ms for 6 s; each handed-out token goes to the server's /resource at once,
// which answers 401 (counted in its stats) for a token it considers expired.
async function cadence(name, server, expiresIn) {
  const ns = `${server}/t/node-exp${expiresIn}-${slug(name)}-${process.pid}`
  await control(ns, { expires_in: expiresIn })
  const [get, read] = await LIBS[name].make(`${ns}/token`)
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
  const t0 = performance.now()
  let calls = 0
  let errors = 0
  for (let i = 0; i < 60; i++) {
    await sleep(t0 + i * 100 - performance.now())
    let tok
    try {
      tok = read(await get())
    } catch {
      errors++
      continue
    }
    calls++
    await request('GET', `${ns}/resource`, undefined, { authorization: `Bearer ${tok}` }, agent)
  }
  agent.destroy()
  const s = await stats(ns)
  return { calls, requests: s.total, expired: s.resource_401, errors }
}

function versions() {
  const pkg = (p) => {
    try {
      return JSON.parse(readFileSync(new URL(p, import.meta.url))).version
    } catch {
      return '?'
    }
  }
  return {
    node: process.version,
    tokenwell: pkg(new URL('package.json', tokenwellPath)),
    'openid-client': pkg('./node_modules/openid-client/package.json'),
    '@badgateway/oauth2-client': pkg('./node_modules/@badgateway/oauth2-client/package.json'),
    'simple-oauth2': pkg('./node_modules/simple-oauth2/package.json'),
  }
}

async function inproc(server) {
  const results = {}
  for (const [name, lib] of Object.entries(ALL)) results[name] = { how: lib.how }
  for (const [name, lib] of Object.entries(LIBS)) {
    const ns = `${server}/t/node-warm-${slug(name)}-${process.pid}`
    await control(ns)
    const [get, read, sync] = await lib.make(`${ns}/token`)
    read(await get())
    results[name].warm = await warmNs(get, sync, 1)
    results[name].warm_readers = await warmNs(get, sync, READERS)
  }
  const firsts = await firstMs(Object.keys(ALL).filter((n) => !ALL[n].warmOnly), server)
  for (const [name, runs] of Object.entries(firsts)) results[name].first_ms = runs
  const full = Object.keys(LIBS).filter((n) => !LIBS[n].warmOnly)
  for (const name of full) {
    for (const n of [64, 1000]) results[name][`herd${n}`] = await herd(name, server, n)
  }
  await Promise.all(
    full.flatMap((name) =>
      [2, 60].map(async (e) => {
        results[name][`exp${e}`] = await cadence(name, server, e)
      }),
    ),
  )
  return { lang: 'Node', versions: versions(), readers: READERS, libs: results }
}

// ---- child-process modes ----

function rssKb() {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))
  return m ? Number(m[1]) : 0
}

async function main() {
  const [mode, ...args] = process.argv.slice(2)
  if (mode === 'inproc') {
    console.log(JSON.stringify(await inproc(args[0])))
    return
  }
  const [name, ns] = args
  if (mode === 'load') {
    if (name !== 'none') await ALL[name].make(`${ns}/token`)
    return
  }
  if (mode === 'hold') {
    if (name !== 'none') {
      const [get, read] = await ALL[name].make(`${ns}/token`)
      read(await get())
    }
    console.log(JSON.stringify({ rss_kb: rssKb() }))
    return
  }
  if (mode === 'once') {
    const i = args.indexOf('--cache')
    const [get, read] = await ALL[name].make(`${ns}/token`, i >= 0 ? args[i + 1] : undefined)
    if (args.includes('--wait')) {
      process.stdout.write('ready\n')
      await new Promise((resolve) => process.stdin.once('data', resolve))
      process.stdin.pause()
    }
    read(await get())
    process.stdout.write('ok\n')
    return
  }
  throw new Error(`unknown mode ${mode}`)
}

// Exit explicitly: a library's timers or agents must not hold the measured process open.
main().then(
  () => process.exit(0),
  (e) => {
    console.error(e)
    process.exit(1)
  },
)
