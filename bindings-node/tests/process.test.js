'use strict'
// The package as a program sees it: `require` and `import` both work and give the same classes,
// and a process that used tokenwell exits as soon as its own work is done (nothing native
// keeps the event loop alive), whatever it did.

const { test } = require('node:test')
const assert = require('node:assert/strict')
const { spawn } = require('node:child_process')
const { namespace, prepare } = require('./helpers.js')

/** Runs `node args…`; resolves with output and how long after the last stdout line it exited. */
function node(args, env = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: process.cwd(), env: { ...process.env, ...env } })
    let stdout = ''
    let stderr = ''
    let lastOutput = Date.now()
    child.stdout.on('data', (d) => {
      stdout += d
      lastOutput = Date.now()
    })
    child.stderr.on('data', (d) => {
      stderr += d
    })
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`still running after 20 s; stdout: ${stdout} stderr: ${stderr}`))
    }, 20_000)
    child.on('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr, lingerMs: Date.now() - lastOutput })
    })
  })
}

const cc = (server) => JSON.stringify({ tokenUrl: `${server}/token`, clientId: 'app', clientSecret: 'app-secret' })

const scenarios = {
  'constructing a client': (s) => `new Client(${cc(s)}); console.log('done')`,
  'getting a token': (s) => `new Client(${cc(s)}).token().then(() => console.log('done'))`,
  'getting a token with onLog': (s) =>
    `const c = new Client(${cc(s)}, { onLog() {} }); c.token().then(() => { c.invalidate(); console.log('done') })`,
  'a failed token request': (s) =>
    `new Client({ tokenUrl: '${s}/token', clientId: 'app', clientSecret: 'bad' }).token().catch((e) => console.log('done', e.code))`,
  'client.fetch()': (s) => `new Client(${cc(s)}).fetch('${s}/resource').then((r) => r.text()).then(() => console.log('done'))`,
  'a token in a worker thread': (s) => `
    const { Worker } = require('node:worker_threads')
    const w = new Worker("const { Client } = require('tokenwell'); new Client(${cc(s).replaceAll('"', '\\"')}).token().then(() => require('node:worker_threads').parentPort.postMessage('ok'))", { eval: true })
    w.on('message', () => console.log('done'))`,
}

for (const [what, body] of Object.entries(scenarios)) {
  test(`a process exits promptly after ${what}`, async () => {
    const server = namespace('exit')
    await prepare(server)
    const r = await node(['-e', `const { Client } = require('tokenwell');\n${body(server)}`])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /^done/)
    assert.ok(r.lingerMs < 2000, `exited ${r.lingerMs} ms after its work was done`)
  })
}

test('DEBUG=tokenwell does not keep the process alive either', async () => {
  const server = namespace('exit-debug')
  await prepare(server)
  const r = await node(['-e', `const { Client } = require('tokenwell'); new Client(${cc(server)}).token().then(() => console.log('done'))`], {
    DEBUG: 'tokenwell',
  })
  assert.equal(r.code, 0, r.stderr)
  assert.ok(r.lingerMs < 2000, `exited ${r.lingerMs} ms after its work was done`)
})

test("require('tokenwell') works in a fresh process", async () => {
  const r = await node(['-e', "const t = require('tokenwell'); console.log(Object.keys(t).sort().join(','))"])
  assert.equal(r.code, 0, r.stderr)
  assert.equal(r.stdout.trim(), 'CacheError,Client,ConfigError,HTTPError,InternalError,InvalidResponseError,NetworkError,OAuthError,TimeoutError,Token,TokenwellError')
})

test("import { Client } from 'tokenwell' works and shares the CommonJS classes", async () => {
  const server = namespace('esm')
  await prepare(server)
  const script = `
    import { Client, TokenwellError, ConfigError, OAuthError } from 'tokenwell'
    import tokenwell from 'tokenwell'
    import { createRequire } from 'node:module'
    const cjs = createRequire(process.cwd() + '/')('tokenwell')
    if (cjs.Client !== Client || tokenwell.Client !== Client || cjs.OAuthError !== OAuthError) throw new Error('two copies')
    try { new Client({ token_url: 'x' }) } catch (e) { if (!(e instanceof ConfigError && e instanceof TokenwellError)) throw e }
    const token = await new Client(${cc(server)}).token()
    console.log(token.tokenType)
  `
  const r = await node(['--input-type=module', '-e', script])
  assert.equal(r.code, 0, r.stderr)
  assert.equal(r.stdout.trim(), 'Bearer')
})
