import { Redis, ReplyError } from 'ioredis';
import type { Logger } from 'shaddock';
import { RedisDriverError, RedisErrorCode } from './errors.js';

/** How long the first connection (and each reconnection) may take before it counts as failed. */
const CONNECT_TIMEOUT_MS = 3_000;
/** How long a command may wait for its reply: a Redis that hangs fails calls instead of holding them. */
const COMMAND_TIMEOUT_MS = 5_000;
/** The longest pause between two reconnection attempts while Redis is away. */
const MAX_RETRY_DELAY_MS = 1_000;

/** Where a connection reports its outages. */
export type ConnectionLogger = Pick<Logger, 'error' | 'info' | 'debug'>;

/**
 * One ioredis connection to one Redis URL, shared by everything in the process that talks to that
 * URL (both stores and both services): {@link acquireConnection} hands it out, counting users, and
 * the last {@link RedisConnection.release} closes it.
 *
 * Faults are handled here, once for all callers:
 * - nothing waits for Redis without a bound: no offline queue (`enableOfflineQueue: false`), a
 *   command in flight when the connection drops fails at once (`maxRetriesPerRequest: 0`, no
 *   resend), replies have a deadline; the only calls that wait are those made while the first
 *   connection is being opened, up to its timeout;
 * - while Redis is away every call fails at once with a {@link RedisDriverError}
 *   `SHADDOCK_ERR_REDIS_UNAVAILABLE` naming the URL; the outage is logged once when it starts, and
 *   once more when Redis is back (with how many calls failed meanwhile);
 * - ioredis reconnects by itself (backoff capped at 1 s), so the process recovers without help.
 *
 * Order: calls are sent in the order they are made, on one connection, so one caller's writes apply
 * in order (calls made during the first connection are queued and sent in their order once it is up).
 */
export class RedisConnection {
  /** The URL as given (used to share the connection). */
  readonly url: string;
  /** The URL with its password masked: what messages and logs show. */
  readonly safeUrl: string;
  readonly client: Redis;
  readonly #logger: ConnectionLogger;
  #users = 0;
  #released = false;
  /** The first connection while it is being opened: calls made meanwhile wait on it, in order. */
  #gate: Promise<void> | undefined;
  #waiting = 0;
  /** When the current outage started (undefined while Redis answers). */
  #outageSince: number | undefined;
  #failedDuringOutage = 0;
  #lastError: Error | undefined;

  constructor(url: string, logger: ConnectionLogger) {
    this.url = url;
    this.safeUrl = maskPassword(url);
    this.#logger = logger;
    this.client = new Redis(url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      connectTimeout: CONNECT_TIMEOUT_MS,
      commandTimeout: COMMAND_TIMEOUT_MS,
      retryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt, 10), MAX_RETRY_DELAY_MS),
      connectionName: 'shaddock',
    });
    this.client.on('error', (error: Error) => {
      this.#lastError = error;
      this.#down(error);
    });
    this.client.on('close', () => {
      if (!this.#released) this.#down(this.#lastError ?? new Error('connection closed'));
    });
    this.client.on('ready', () => this.#up());
  }

  /** Whether the connection is up now. */
  get ready(): boolean {
    return this.client.status === 'ready';
  }

  /**
   * Resolves once Redis answers: opens the connection the first time, waits for it while it is
   * being opened. Rejects with `SHADDOCK_ERR_REDIS_UNAVAILABLE` naming the URL when Redis cannot
   * be reached now (it keeps trying in the background).
   */
  connect(): Promise<void> {
    return this.run(() => Promise.resolve());
  }

  /**
   * Sends `command` now when the connection is up; during the first connection, once it is up; and
   * fails at once otherwise. `command` must send everything synchronously (a command, a pipeline, a
   * script): that is what keeps calls in order. Redis's error replies reject with
   * `SHADDOCK_ERR_REDIS_COMMAND_FAILED`, connection failures with `SHADDOCK_ERR_REDIS_UNAVAILABLE`.
   */
  run<T>(command: (client: Redis) => Promise<T>): Promise<T> {
    if (this.#released) return Promise.reject(this.#closedError());
    if (this.#gate === undefined) {
      if (this.client.status === 'ready') return this.#send(command);
      if (this.client.status !== 'wait') return Promise.reject(this.#refuse());
      this.#gate = this.#open();
    }
    const gate = this.#gate;
    this.#waiting++;
    const settle = (): void => {
      this.#waiting--;
      if (this.#waiting === 0 && this.#gate === gate) this.#gate = undefined;
    };
    return gate.then(
      () => {
        settle();
        return this.#send(command);
      },
      (error: unknown) => {
        settle();
        throw error;
      },
    );
  }

  /** One more user of this connection. */
  retain(): this {
    this.#users++;
    return this;
  }

  /** One user fewer; the last one closes the connection (waiting for the replies in flight). */
  async release(): Promise<void> {
    if (this.#released || --this.#users > 0) return;
    this.#released = true;
    if (connections.get(this.url) === this) connections.delete(this.url);
    if (this.client.status === 'ready') {
      try {
        await this.client.quit();
        return;
      } catch {
        // fall through: drop it
      }
    }
    this.client.disconnect();
  }

  /** Whether {@link release} closed it. */
  get released(): boolean {
    return this.#released;
  }

  #open(): Promise<void> {
    const gate = this.client.connect().then(
      () => {},
      (error: unknown) => {
        throw this.#unavailable(this.#lastError ?? error);
      },
    );
    // an open that nobody waits for (connect() kicked off early) must not stay the gate
    gate.then(
      () => this.#clearGate(gate),
      () => this.#clearGate(gate),
    );
    return gate;
  }

  #clearGate(gate: Promise<void>): void {
    if (this.#waiting === 0 && this.#gate === gate) this.#gate = undefined;
  }

  #send<T>(command: (client: Redis) => Promise<T>): Promise<T> {
    let sent: Promise<T>;
    try {
      sent = command(this.client);
    } catch (error) {
      return Promise.reject(this.#wrap(error));
    }
    return sent.then(
      (result) => {
        if (this.#outageSince !== undefined && this.client.status === 'ready') this.#up();
        return result;
      },
      (error: unknown) => {
        throw this.#wrap(error);
      },
    );
  }

  /** Redis's own error replies say something about the data; everything else is the connection. */
  #wrap(error: unknown): RedisDriverError {
    if (error instanceof RedisDriverError) return error;
    if (error instanceof ReplyError) {
      const reason = error instanceof Error ? error.message : String(error);
      return new RedisDriverError(
        RedisErrorCode.CommandFailed,
        `Redis at ${this.safeUrl} refused a command: ${reason}`,
        { cause: error },
      );
    }
    if (this.#released) return this.#closedError(error);
    const thrown = error instanceof Error ? error : new Error(String(error));
    // ioredis's words for "no connection now" (it keeps no offline queue, on purpose)
    const cause = thrown.message.startsWith("Stream isn't writeable")
      ? new Error('not connected', { cause: thrown })
      : thrown;
    // also a reply that timed out on a connection that looks up: Redis hangs, which is an outage too
    this.#down(cause);
    this.#failedDuringOutage++;
    return this.#unavailable(cause);
  }

  #refuse(): RedisDriverError {
    this.#failedDuringOutage++;
    return this.#unavailable(this.#lastError);
  }

  #unavailable(cause: unknown): RedisDriverError {
    const reason = cause instanceof Error && cause.message !== '' ? `: ${cause.message}` : '';
    return new RedisDriverError(
      RedisErrorCode.Unavailable,
      `Redis at ${this.safeUrl} is unreachable${reason}`,
      cause === undefined ? undefined : { cause },
    );
  }

  #closedError(cause?: unknown): RedisDriverError {
    return new RedisDriverError(
      RedisErrorCode.Closed,
      `the connection to Redis at ${this.safeUrl} is closed`,
      cause === undefined ? undefined : { cause },
    );
  }

  #down(error: Error): void {
    if (this.#released || this.#outageSince !== undefined) return;
    this.#outageSince = Date.now();
    this.#failedDuringOutage = 0;
    this.#logger.error(
      { err: error, redis: this.safeUrl },
      `Redis at ${this.safeUrl} is unreachable (${error.message}): calls that need it fail until it is back (logged once per outage)`,
    );
  }

  #up(): void {
    this.#lastError = undefined;
    const since = this.#outageSince;
    if (since === undefined) {
      this.#logger.debug({ redis: this.safeUrl }, `connected to Redis at ${this.safeUrl}`);
      return;
    }
    this.#outageSince = undefined;
    this.#logger.info(
      { redis: this.safeUrl, outageMs: Date.now() - since, failedCalls: this.#failedDuringOutage },
      `Redis at ${this.safeUrl} is back after ${Date.now() - since} ms (${this.#failedDuringOutage} calls failed meanwhile)`,
    );
  }
}

/** The open connections of this process, by URL. */
const connections = new Map<string, RedisConnection>();

/**
 * The process's connection to `url`, made now if there is none (it connects at its first use);
 * the caller must {@link RedisConnection.release} it once. `logger` is the one the connection
 * reports outages to when this call makes it.
 */
export function acquireConnection(url: string, logger: ConnectionLogger): RedisConnection {
  let connection = connections.get(url);
  if (connection === undefined || connection.released) {
    checkUrl(url);
    connection = new RedisConnection(url, logger);
    connections.set(url, connection);
  }
  return connection.retain();
}

function checkUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new RedisDriverError(RedisErrorCode.OptionsInvalid, `"${maskPassword(url)}" is not a Redis URL`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new RedisDriverError(
      RedisErrorCode.OptionsInvalid,
      `"${maskPassword(url)}" must start with redis:// or rediss://`,
    );
  }
}

/** `redis://user:secret@host` → `redis://user:***@host`: URLs in messages never carry a password. */
export function maskPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password === '') return url;
    parsed.password = '***';
    return parsed.toString();
  } catch {
    return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
  }
}
