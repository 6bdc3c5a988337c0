'use strict'
// tokenwell: OAuth 2.0 bearer tokens from any token endpoint, fetched once, cached, shared and
// renewed before they expire. CommonJS entry; `index.mjs` re-exports the same objects for ESM.

const { Client, Token } = require('./lib/client.js')
const errors = require('./lib/errors.js')

module.exports = {
  Client,
  Token,
  TokenwellError: errors.TokenwellError,
  ConfigError: errors.ConfigError,
  OAuthError: errors.OAuthError,
  HTTPError: errors.HTTPError,
  NetworkError: errors.NetworkError,
  TimeoutError: errors.TimeoutError,
  InvalidResponseError: errors.InvalidResponseError,
  CacheError: errors.CacheError,
  InternalError: errors.InternalError,
}
