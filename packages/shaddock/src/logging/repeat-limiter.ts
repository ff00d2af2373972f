import type { LogFields, Logger, WriteLevel } from './logger.js';

/** How a {@link RepeatLimiter} counts. */
export interface RepeatLimiterOptions {
  /** How long after a line logged in full its repeats are only counted, in ms (default 10 000). */
  readonly windowMs?: number;
  /** How many keys are followed at once (default 1 000); past it, the oldest is summarized and dropped. */
  readonly maxKeys?: number;
  /** The clock, in ms (default `performance.now`, which never goes back); tests inject one. */
  readonly now?: () => number;
}

/** One key's window: what its summary line needs, and how many lines it held back. */
interface Window {
  readonly start: number;
  readonly logger: Logger;
  readonly level: WriteLevel;
  readonly fields: LogFields;
  readonly message: string;
  repeated: number;
}

/**
 * Keeps repeated identical failures (a client hammering a bad route) from writing one line, and
 * one stack, per message. The first occurrence of a key is logged in full; identical ones in the
 * next `windowMs` are only counted; the next occurrence after the window first writes one line
 * with the first one's fields (without `err`) and `{ repeated: count }`, then is logged in full as
 * the first of a new window. Windows are checked when a line comes, never by a timer; call
 * {@link RepeatLimiter.flush} at shutdown to write the counts still pending.
 *
 * Keys must come from a bounded set the server chooses (a route it knows, an error code), not
 * from text a client sends, or every message would still make a line.
 *
 * @example
 * const repeats = new RepeatLimiter();
 * repeats.log(log, 'error', `${route}:${error.code}`, { err: error, route, uid }, 'handler failed');
 */
export class RepeatLimiter {
  readonly #windowMs: number;
  readonly #maxKeys: number;
  readonly #now: () => number;
  // In insertion order, which is window-start order: the oldest window is always first.
  readonly #windows = new Map<string, Window>();

  constructor(options: RepeatLimiterOptions = {}) {
    this.#windowMs = options.windowMs ?? 10_000;
    this.#maxKeys = Math.max(1, options.maxKeys ?? 1_000);
    this.#now = options.now ?? (() => performance.now());
  }

  /**
   * Logs `fields` and `message` at `level` on `logger`, unless a line with the same `key` was
   * logged within the window. Returns whether the line was written in full.
   */
  log(logger: Logger, level: WriteLevel, key: string, fields: LogFields, message: string): boolean {
    if (!logger.isLevelEnabled(level)) return false;
    const now = this.#now();
    const window = this.#windows.get(key);
    if (window !== undefined) {
      if (now - window.start < this.#windowMs) {
        window.repeated += 1;
        return false;
      }
      this.#windows.delete(key);
      summarize(window);
    } else {
      this.#makeRoom(now);
    }
    const { err: _err, ...kept } = fields;
    this.#windows.set(key, { start: now, logger, level, fields: kept, message, repeated: 0 });
    logger[level](fields, message);
    return true;
  }

  /** Writes the count of every window that held lines back, and forgets every key. */
  flush(): void {
    for (const window of this.#windows.values()) summarize(window);
    this.#windows.clear();
  }

  /** The number of keys followed now. */
  get size(): number {
    return this.#windows.size;
  }

  /** Ends the windows that are over (they are first) and, at the bound, the oldest one. */
  #makeRoom(now: number): void {
    for (const [key, window] of this.#windows) {
      if (now - window.start < this.#windowMs && this.#windows.size < this.#maxKeys) break;
      this.#windows.delete(key);
      summarize(window);
    }
  }
}

function summarize(window: Window): void {
  if (window.repeated > 0)
    window.logger[window.level]({ ...window.fields, repeated: window.repeated }, window.message);
}
