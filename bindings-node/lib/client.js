'use strict'
// `Client`: the public API over the native client. It mirrors the current token and reads two
// words of native memory through typed arrays on every call: the cache key's generation counter
// (changed by any renewal or invalidation, through any client) and this client's fresh word
// (zeroed by native code when the token's fresh-until instant passes). So a warm `token()` or
// `cachedToken()` neither crosses into native code nor reads the clock; the rest is the core's.
// The memory changes under JS, and the JIT may keep a plain typed-array load in a register
// across the iterations of a synchronous loop: `cachedToken()`, which such a loop may spin on,
// reads with `Atomics.load`. `token()`'s answer can only be read by awaiting it, so it reads
// plainly (see there).

const { inspect } = require('node:util')
const { endianness } = require('node:os')
const native = require('../native.js')
const errors = require('./errors.js')
const { Token } = require('./token.js')

const { ConfigError } = errors
// The low word of the 64-bit counter: it changes on every change, which is all we compare.
const LOW = endianness() === 'LE' ? 0 : 1
// One view per generation cell and thread: Node may refuse two ArrayBuffers over one memory.
const views = new Map()
const OPTIONS = ['onLog', 'fetch']

function debugEnabled(spec) {
  if (!spec) return false
  let on = false
  for (const part of spec.split(/[\s,]+/)) {
    const skip = part.startsWith('-')
    const glob = skip ? part.slice(1) : part
    if (!glob) continue
    const re = new RegExp(`^${glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`)
    if (re.test('tokenwell')) {
      if (skip) return false
      on = true
    }
  }
  return on
}

if (debugEnabled(process.env.DEBUG)) native.enableDebugLog()

/** A configuration value as JSON; `undefined` means "not given", as in the core. */
function jsonable(value, key) {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value
    case 'number':
      if (!Number.isFinite(value)) throw new ConfigError(`\`${key}\` must be a finite number`, { key })
      return value
    case 'bigint':
      return Number(value)
    case 'object': {
      if (value === null) return null
      if (value instanceof URL) return value.href
      if (Array.isArray(value)) return value.map((v) => jsonable(v, key))
      const out = {}
      for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = jsonable(v, key)
      return out
    }
    default:
      throw new ConfigError(`\`${key}\` cannot be a ${typeof value}`, { key })
  }
}

function configJson(config) {
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    throw new ConfigError(
      'the configuration must be an object with camelCase keys, e.g. { tokenUrl, clientId, clientSecret }',
      { key: '' },
    )
  }
  const out = {}
  for (const [k, v] of Object.entries(config)) if (v !== undefined) out[k] = jsonable(v, k)
  return JSON.stringify(out)
}

function checkOptions(options) {
  if (options === undefined || options === null) return {}
  if (typeof options !== 'object') throw new ConfigError('the options must be an object: { onLog, fetch }', { key: '' })
  for (const k of Object.keys(options)) {
    if (!OPTIONS.includes(k)) {
      throw new ConfigError(
        `unknown option \`${k}\`: the options are onLog and fetch (configuration keys go in the first argument)`,
        { key: k },
      )
    }
  }
  for (const k of OPTIONS) {
    if (options[k] !== undefined && typeof options[k] !== 'function') {
      throw new ConfigError(`the option \`${k}\` must be a function`, { key: k })
    }
  }
  return options
}

function logger(onLog) {
  return (level, message) => {
    try {
      onLog(level, message)
    } catch (e) {
      process.emitWarning(`tokenwell: the onLog callback threw: ${e instanceof Error ? e.message : e}`)
    }
  }
}

const FROM_PROFILE = Symbol('tokenwell.fromProfile')

class Client {
  #native
  #view
  #word
  #mirrored
  #gen = -1
  #epoch = -1
  #token = null
  #data = null
  #pending = null
  #fetch
  // The settled promise of #token that `token()` hands out: a warm call allocates nothing.
  #ready = null

  /**
   * @param {object} config DESIGN §2's keys in camelCase (`tokenUrl`, `clientId`, …)
   * @param {{onLog?: (level: string, message: string) => void, fetch?: typeof fetch}} [options]
   */
  constructor(config, options) {
    const profile = config !== null && typeof config === 'object' && Object.hasOwn(config, FROM_PROFILE)
    const json = profile ? null : configJson(config)
    const { onLog, fetch } = checkOptions(options)
    let made
    try {
      const log = onLog ? logger(onLog) : undefined
      made = profile ? native.createClientFromProfile(config[FROM_PROFILE], log) : native.createClient(json, log)
    } catch (e) {
      throw errors.internal(e)
    }
    if (typeof made.code === 'string') throw errors.fromData(made)
    this.#native = made
    this.#fetch = fetch
    const id = made.cellId()
    let view = views.get(id)
    if (view === undefined) {
      const buffer = made.generationBuffer()
      view = buffer === null ? null : new Uint32Array(buffer, 0, 2)
      views.set(id, view)
    }
    const word = made.freshBuffer()
    this.#mirrored = view !== null && word !== null
    this.#view = view ?? new Uint32Array(2)
    this.#word = word === null ? new Uint32Array(1) : new Uint32Array(word)
  }

  /** The same as `new Client(config, options)`. */
  static fromObject(config, options) {
    return new Client(config, options)
  }

  /**
   * A client from `[profiles.NAME]` of `$XDG_CONFIG_HOME/tokenwell/config.toml` (the CLI's
   * profiles: `${NAME}` expanded, the `file` cache unless the profile names another); without
   * a name, the profile `default` or the only one.
   * @param {string} [name]
   */
  static fromProfile(name, options) {
    if (name !== undefined && name !== null && typeof name !== 'string') {
      throw new TypeError('Client.fromProfile(name): name must be a string')
    }
    return new Client({ [FROM_PROFILE]: name ?? null }, options)
  }

  /** The cache key (hex SHA-256 of the token URL, grant, client, user, scope…, or `cacheKey`). */
  get cacheKey() {
    return this.#native.cacheKey
  }

  /**
   * A valid token: the cached one, or one renewal shared with every concurrent caller (and
   * every client with the same configuration). The network work runs off the JS thread.
   * @returns {Promise<Token>}
   */
  token() {
    // Plain loads (two Atomics.load cost ~8 ns of a ~48 ns awaited call). A caller reads the
    // token only by awaiting the promise, and a value loaded before an await is loaded again
    // after it, so every awaited call sees the words as they are. Only a synchronous loop that
    // collects token() promises without awaiting could, if the JIT kept a load in a register,
    // get for its whole length the token it started with, even past a renewal point or an
    // invalidation made on another thread meanwhile: the same answer as if the loop had run
    // just before that change.
    if (this.#view[LOW] === this.#gen && this.#word[0] === this.#epoch) {
      return this.#ready
    }
    let d
    try {
      d = this.#native.tryToken()
    } catch (e) {
      return Promise.reject(errors.internal(e))
    }
    if (d !== null) {
      this.#adopt(d)
      return this.#ready
    }
    if (this.#pending === null) {
      try {
        this.#pending = this.#native.wait().then(
          (r) => {
            this.#pending = null
            if (r.accessToken === undefined) throw errors.fromData(r)
            return this.#adopt(r)
          },
          (e) => {
            this.#pending = null
            throw errors.internal(e)
          },
        )
      } catch (e) {
        return Promise.reject(errors.internal(e))
      }
    }
    return this.#pending
  }

  /** The cached token if it is valid, else `null`; synchronous, never does I/O. */
  cachedToken() {
    // Atomics.load: a synchronous loop may call this with no await in between (waiting for
    // the token to go stale), and a plain load could be kept in a register across iterations.
    if (Atomics.load(this.#view, LOW) === this.#gen && Atomics.load(this.#word, 0) === this.#epoch) {
      return this.#token
    }
    let d
    try {
      d = this.#native.cached()
    } catch (e) {
      throw errors.internal(e)
    }
    return d === null ? null : this.#adopt(d)
  }

  /** Drops the cached access token (keeps the refresh token), for every client of this cache key. */
  invalidate() {
    this.#epoch = -1
    try {
      this.#native.invalidate()
    } catch (e) {
      throw errors.internal(e)
    }
  }

  /**
   * `fetch` with `Authorization` set; on a 401 the token is invalidated and the request sent
   * once more with a new one (unless its body is a stream, which cannot be sent twice).
   * @param {string | URL | Request} input
   * @param {RequestInit} [init]
   * @returns {Promise<Response>}
   */
  async fetch(input, init) {
    init = init ?? {}
    const doFetch = this.#fetch ?? globalThis.fetch
    const body = init.body
    const streamed = body != null && typeof body === 'object' && typeof body[Symbol.asyncIterator] === 'function'
    const replayable = !streamed && !(input instanceof Request && input.bodyUsed)
    const retryInput = input instanceof Request && replayable ? input.clone() : input
    const send = async (target) => {
      const token = await this.token()
      const headers = new Headers(init.headers ?? (target instanceof Request ? target.headers : undefined))
      headers.set('authorization', token.authorization)
      return doFetch(target, { ...init, headers })
    }
    const res = await send(input)
    if (res.status !== 401 || !replayable) return res
    await res.body?.cancel()
    this.invalidate()
    return send(retryInput)
  }

  #adopt(d) {
    const last = this.#data
    if (
      last === null ||
      last.accessToken !== d.accessToken ||
      last.expiresAt !== d.expiresAt ||
      last.refreshToken !== d.refreshToken
    ) {
      this.#token = new Token(d)
      this.#ready = Promise.resolve(this.#token)
      this.#data = d
    }
    if (this.#mirrored) {
      this.#gen = d.generation
      // Epoch 0 means "do not mirror"; -1 never equals a Uint32Array element.
      this.#epoch = d.epoch === 0 ? -1 : d.epoch
    }
    return this.#token
  }

  toJSON() {
    return { cacheKey: this.cacheKey }
  }

  toString() {
    return `Client(cacheKey ${this.cacheKey.slice(0, 12)}…)`
  }

  [inspect.custom](depth, options) {
    return `Client { cacheKey: ${options.stylize(`'${this.cacheKey.slice(0, 12)}…'`, 'string')} }`
  }
}

module.exports = { Client, Token, debugEnabled }
