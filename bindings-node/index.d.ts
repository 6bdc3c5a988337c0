// Type declarations of the `tokenwell` package (CommonJS and, through index.d.mts, ESM).

/** A secret given directly, read from an environment variable, or read from a file (trailing whitespace stripped). */
export type Secret = string | { env: string } | { file: string }

/** The provider shapes of DESIGN §3. */
export type Preset = 'keycloak' | 'binarly' | 'phasetwo' | 'butlr' | 'semansys'

export type Grant = 'client_credentials' | 'password' | 'refresh_token'

/** Where tokens are kept: this process, a folder shared with other processes and the CLI, or Redis. */
export type Cache = 'memory' | 'file' | `file:${string}` | `redis://${string}` | `rediss://${string}`

/**
 * The configuration: DESIGN §2's keys in camelCase. A snake_case or unknown key is a
 * `ConfigError` naming the key to use. Durations are in seconds (fractions allowed). A key set
 * to `undefined` or `null` counts as not given.
 */
export interface Config {
  /** The token endpoint; required unless `issuer` or a `preset` gives it. */
  tokenUrl?: string | URL | null | undefined
  /** OIDC issuer: the token endpoint comes from its discovery document. */
  issuer?: string | URL | null | undefined
  preset?: Preset | null | undefined
  /** A preset's host (replaces the preset's own, e.g. for an on-premises server). */
  baseUrl?: string | URL | null | undefined
  realm?: string | null | undefined
  tenant?: string | null | undefined
  /** Default `client_credentials`. */
  grant?: Grant | null | undefined
  clientId?: string | null | undefined
  clientSecret?: Secret | null | undefined
  username?: string | null | undefined
  password?: Secret | null | undefined
  /** For `grant: 'refresh_token'`: a refresh token you already hold. */
  refreshToken?: Secret | null | undefined
  /** Sent space-separated. */
  scope?: string | string[] | null | undefined
  audience?: string | null | undefined
  resource?: string | null | undefined
  /** More body fields, sent as given. */
  extra?: Record<string, string> | null | undefined
  /** Where the client secret goes; default `post` (the request body). */
  clientAuth?: 'post' | 'basic' | 'none' | null | undefined
  /** Request encoding; default `form`. */
  body?: 'form' | 'json' | null | undefined
  /** `false` omits `grant_type` (Butlr's password login). */
  sendGrantType?: boolean | null | undefined
  /** Renew this long before expiry (at most half the lifetime); default 30. */
  leeway?: number | null | undefined
  /** Start a background renewal this long before the renewal point; 0 turns it off; default 60. */
  refreshAhead?: number | null | undefined
  useRefreshToken?: boolean | null | undefined
  /** After an OAuth error, re-raise it for this long instead of asking again; default 5. */
  errorBackoff?: number | null | undefined
  /** Lifetime assumed when the answer has no `expires_in` and the token is no JWT; default 300. */
  defaultLifetime?: number | null | undefined
  /** Per request; default 30. */
  timeout?: number | null | undefined
  /** Default 10. */
  connectTimeout?: number | null | undefined
  /** Extra tries on network errors, timeouts, 429 and 5xx; default 2. */
  retries?: number | null | undefined
  /** Extra PEM roots (a private CA). */
  caFile?: string | null | undefined
  proxy?: string | URL | null | undefined
  /** Allow plain `http://` off loopback. */
  allowHttp?: boolean | null | undefined
  headers?: Record<string, string> | null | undefined
  cache?: Cache | null | undefined
  cacheKey?: string | null | undefined
  /** Encrypts cached tokens at rest (file and Redis caches). */
  cacheSecret?: Secret | null | undefined
}

export type LogLevel = 'error' | 'warn' | 'info' | 'debug' | 'trace'

/** Options of the package, not configuration of the token endpoint. */
export interface ClientOptions {
  /**
   * Receives tokenwell's log records (fetches, renewals, failures; never a secret) while this
   * client exists. Records are process-wide, so every client's callback sees them all.
   * `DEBUG=tokenwell` prints them to stderr instead.
   */
  onLog?: ((level: LogLevel, message: string) => void) | undefined
  /** The `fetch` used by `client.fetch()`; default `globalThis.fetch`. */
  fetch?: ((input: string | URL | Request, init?: RequestInit) => Promise<Response>) | undefined
}

/**
 * An access token with what the server said about it. Printing it (`toString`, `toJSON`,
 * `util.inspect`) shows its type, expiry and scope, never a token: read `accessToken` or
 * `authorization` explicitly.
 */
export declare class Token {
  private constructor()
  readonly accessToken: string
  /** `Bearer` (normalised from any case) or the server's other type. */
  readonly tokenType: string
  /** `"Bearer <accessToken>"`, the `Authorization` header value. */
  readonly authorization: string
  /** When the server says the token expires. */
  readonly expiresAt: Date
  /** Seconds left until expiry (negative once expired). */
  readonly expiresIn: number
  readonly refreshToken: string | undefined
  /** When the refresh token expires (Keycloak's `refresh_expires_in`). */
  readonly refreshExpiresAt: Date | undefined
  /** Granted scope, space-separated. */
  readonly scope: string | undefined
  readonly idToken: string | undefined
  /** The other fields of the token response. */
  readonly extra: Readonly<Record<string, unknown>>
  /** A redacted summary: type, expiry, scope; tokens appear as `[redacted]`. */
  toJSON(): Record<string, unknown>
  toString(): string
}

/**
 * Gets, caches and renews tokens for one configuration. Clients built from the same
 * configuration share one token, one renewal in flight and one error backoff, process-wide.
 */
export declare class Client {
  /** @throws {ConfigError} on any configuration error. */
  constructor(config: Config, options?: ClientOptions)
  /** The same as `new Client(config, options)`. */
  static fromObject(config: Config, options?: ClientOptions): Client
  /** A client from `[profiles.NAME]` of the CLI's configuration file (the `file` cache unless it names another). */
  static fromProfile(name?: string, options?: ClientOptions): Client
  /** The cache key (hex SHA-256, or the configured `cacheKey`). Never a secret. */
  readonly cacheKey: string
  /**
   * A valid token: the cached one, or one renewal shared with every concurrent caller. The
   * network work runs off the JS thread. Rejects with a `TokenwellError` subclass.
   */
  token(): Promise<Token>
  /** The cached token if it is valid, else `null`. Synchronous; never does I/O. */
  cachedToken(): Token | null
  /** Drops the cached access token (keeps the refresh token), for every client sharing the cache key. */
  invalidate(): void
  /**
   * `fetch` with the `Authorization` header set; on a 401 it invalidates the token and sends
   * the request once more with a new one (not when the body is a stream, which cannot be sent twice).
   */
  fetch(input: string | URL | Request, init?: RequestInit): Promise<Response>
  toJSON(): { cacheKey: string }
  toString(): string
}

export type ErrorCode = 'config' | 'oauth' | 'http' | 'network' | 'timeout' | 'invalid_response' | 'cache' | 'internal'

export interface ErrorFields {
  code?: ErrorCode
  key?: string
  status?: number
  error?: string
  errorDescription?: string
  errorUri?: string
  body?: string
  cause?: unknown
}

/** Every error tokenwell raises; branch on `code` (or the subclass), never on the message. */
export declare class TokenwellError extends Error {
  constructor(message: string, fields?: ErrorFields)
  readonly code: ErrorCode
  /** `config` errors: the configuration key at fault, as you spell it (camelCase). */
  readonly key?: string
  /** `oauth` and `http` errors: the HTTP status. */
  readonly status?: number
  /** `oauth` errors: the server's `error`, e.g. `invalid_grant`. */
  readonly error?: string
  readonly errorDescription?: string
  readonly errorUri?: string
  /** `http` errors: the first 512 characters of the body. */
  readonly body?: string
  toJSON(): Record<string, unknown>
}

/** Bad or missing configuration, raised by the constructor. */
export declare class ConfigError extends TokenwellError {
  readonly code: 'config'
  readonly key: string
}
/** The token endpoint answered with an OAuth error (RFC 6749 §5.2). */
export declare class OAuthError extends TokenwellError {
  readonly code: 'oauth'
  readonly status: number
  readonly error: string
}
/** A non-2xx answer without an OAuth error body (an HTML error page, a proxy error). */
export declare class HTTPError extends TokenwellError {
  readonly code: 'http'
  readonly status: number
  readonly body: string
}
/** DNS, connect, TLS or reset. */
export declare class NetworkError extends TokenwellError {
  readonly code: 'network'
}
/** A request passed `timeout`. */
export declare class TimeoutError extends TokenwellError {
  readonly code: 'timeout'
}
/** A 2xx answer that is not a usable token. */
export declare class InvalidResponseError extends TokenwellError {
  readonly code: 'invalid_response'
}
/** The shared cache could not be read or written. */
export declare class CacheError extends TokenwellError {
  readonly code: 'cache'
}
/** A bug inside tokenwell (a panic caught at the boundary): please report it. */
export declare class InternalError extends TokenwellError {
  readonly code: 'internal'
}
