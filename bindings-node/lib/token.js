'use strict'
// `Token`: a token's fields as read-only getters over private data. Every way of printing it
// (`toString`, `toJSON`, `util.inspect`) shows the type, expiry and scope, never a token.

const { inspect } = require('node:util')

const REDACTED = '[redacted]'

class Token {
  #d
  #extra

  /** @internal Tokens come from `Client`; `data` is the native token data. */
  constructor(data) {
    this.#d = data
  }

  /** The access token. */
  get accessToken() {
    return this.#d.accessToken
  }
  /** `Bearer` (normalised from any case) or the server's other type. */
  get tokenType() {
    return this.#d.tokenType
  }
  /** The `Authorization` header value: `"Bearer <accessToken>"`. */
  get authorization() {
    return this.#d.authorization
  }
  /** When the server says the token expires. */
  get expiresAt() {
    return new Date(this.#d.expiresAt)
  }
  /** Seconds left until expiry (negative once expired). */
  get expiresIn() {
    return (this.#d.expiresAt - Date.now()) / 1000
  }
  get refreshToken() {
    return this.#d.refreshToken
  }
  /** When the refresh token expires (Keycloak's `refresh_expires_in`). */
  get refreshExpiresAt() {
    const at = this.#d.refreshExpiresAt
    return at === undefined ? undefined : new Date(at)
  }
  /** Granted scope, space-separated. */
  get scope() {
    return this.#d.scope
  }
  get idToken() {
    return this.#d.idToken
  }
  /** The other fields of the token response. */
  get extra() {
    if (this.#extra === undefined) this.#extra = Object.freeze(JSON.parse(this.#d.extra))
    return this.#extra
  }

  #redacted() {
    const d = this.#d
    const out = { tokenType: d.tokenType, accessToken: REDACTED, expiresAt: new Date(d.expiresAt) }
    if (d.scope !== undefined) out.scope = d.scope
    if (d.refreshToken !== undefined) out.refreshToken = REDACTED
    if (d.idToken !== undefined) out.idToken = REDACTED
    const keys = Object.keys(this.extra)
    if (keys.length > 0) out.extraKeys = keys
    return out
  }

  toJSON() {
    const out = this.#redacted()
    out.expiresAt = out.expiresAt.toISOString()
    return out
  }

  toString() {
    const scope = this.#d.scope === undefined ? '' : `, scope "${this.#d.scope}"`
    return `Token(${this.#d.tokenType}, expires ${new Date(this.#d.expiresAt).toISOString()}${scope})`
  }

  [inspect.custom](depth, options, inspectFn = inspect) {
    if (depth < 0) return options.stylize('[Token]', 'special')
    return `Token ${inspectFn(this.#redacted(), { ...options, depth: options.depth == null ? null : options.depth - 1 })}`
  }
}

module.exports = { Token }
