// ESM entry: the same objects as the CommonJS entry (one copy of each class).
import tokenwell from './index.js'

export const {
  Client,
  Token,
  TokenwellError,
  ConfigError,
  OAuthError,
  HTTPError,
  NetworkError,
  TimeoutError,
  InvalidResponseError,
  CacheError,
  InternalError,
} = tokenwell
export default tokenwell
