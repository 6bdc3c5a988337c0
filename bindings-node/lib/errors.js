'use strict'
// The error classes of DESIGN §4: `TokenwellError` with a stable `code`, a subclass per code,
// and the conversion from the native error data. Messages come from the core, which never
// puts a secret in them.

const FIELDS = ['key', 'status', 'error', 'errorDescription', 'errorUri', 'body']

class TokenwellError extends Error {
  /**
   * @param {string} message
   * @param {{code?: string, key?: string, status?: number, error?: string,
   *          errorDescription?: string, errorUri?: string, body?: string, cause?: unknown}} [fields]
   */
  constructor(message, fields = {}) {
    super(message, fields.cause === undefined ? undefined : { cause: fields.cause })
    Object.defineProperty(this, 'name', { value: new.target.name, enumerable: false, configurable: true, writable: true })
    this.code = fields.code ?? new.target.code ?? 'internal'
    for (const f of FIELDS) {
      if (fields[f] !== undefined && fields[f] !== null) this[f] = fields[f]
    }
  }

  toJSON() {
    const out = { name: this.name, code: this.code, message: this.message }
    for (const f of FIELDS) if (this[f] !== undefined) out[f] = this[f]
    return out
  }
}

// The code each class stands for; `new OAuthError('…')` gets `code: 'oauth'`.
const classes = {}
function define(name, code) {
  const cls = { [name]: class extends TokenwellError {} }[name]
  Object.defineProperty(cls, 'code', { value: code })
  classes[code] = cls
  return cls
}

const ConfigError = define('ConfigError', 'config')
const OAuthError = define('OAuthError', 'oauth')
const HTTPError = define('HTTPError', 'http')
const NetworkError = define('NetworkError', 'network')
const TimeoutError = define('TimeoutError', 'timeout')
const InvalidResponseError = define('InvalidResponseError', 'invalid_response')
const CacheError = define('CacheError', 'cache')
const InternalError = define('InternalError', 'internal')

/** The native `ErrorData` as the class of its code, with the cause chain on `cause`. */
function fromData(d) {
  let cause
  for (let i = d.causes.length - 1; i >= 0; i--) {
    cause = cause === undefined ? new Error(d.causes[i]) : new Error(d.causes[i], { cause })
  }
  const cls = classes[d.code] ?? TokenwellError
  return new cls(d.message, { ...d, cause })
}

/** An exception thrown by native code (a caught panic) as an `internal` error. */
function internal(e) {
  if (e instanceof TokenwellError) return e
  const message = e instanceof Error ? e.message : String(e)
  return new InternalError(`tokenwell: internal error (please report it): ${message}`)
}

module.exports = {
  TokenwellError,
  ConfigError,
  OAuthError,
  HTTPError,
  NetworkError,
  TimeoutError,
  InvalidResponseError,
  CacheError,
  InternalError,
  fromData,
  internal,
}
