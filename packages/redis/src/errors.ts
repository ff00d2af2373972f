/**
 * Every error code `@shaddock/redis` raises, in one list (STYLE.md: one error list per package).
 * Codes are never reused.
 */
export const RedisErrorCode = {
  /** Redis cannot be reached now (down at start, or lost while running): the call failed at once. */
  Unavailable: 'SHADDOCK_ERR_REDIS_UNAVAILABLE',
  /** The store was closed: no more calls. */
  Closed: 'SHADDOCK_ERR_REDIS_CLOSED',
  /** Redis answered with an error (a script failed, a key of the wrong type under the cluster's prefix). */
  CommandFailed: 'SHADDOCK_ERR_REDIS_COMMAND_FAILED',
  /** Bad options: no URL, a malformed URL, a bad cluster name. */
  OptionsInvalid: 'SHADDOCK_ERR_REDIS_OPTIONS_INVALID',
  /** A service was asked for where it does not run (the master), or before what it needs exists. */
  ServiceState: 'SHADDOCK_ERR_REDIS_SERVICE_STATE',
} as const;

/** One of {@link RedisErrorCode}'s values. */
export type RedisErrorCode = (typeof RedisErrorCode)[keyof typeof RedisErrorCode];

/**
 * The one error type `@shaddock/redis` throws; `cause` keeps what ioredis or Redis said. Messages
 * name the Redis URL (its password masked) so an operator sees where it failed.
 */
export class RedisDriverError extends Error {
  override readonly name = 'RedisDriverError';
  readonly code: RedisErrorCode;

  constructor(code: RedisErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

/** True when `error` is a {@link RedisDriverError}, optionally of the given code. */
export function isRedisDriverError(error: unknown, code?: RedisErrorCode): error is RedisDriverError {
  return error instanceof RedisDriverError && (code === undefined || error.code === code);
}

/** The error of a call on a store after its `close()`. */
export function closedStore(kind: 'channel' | 'status' | 'placement'): RedisDriverError {
  return new RedisDriverError(RedisErrorCode.Closed, `the Redis ${kind} store is closed`);
}
