import type { Logger } from 'shaddock';
import { RedisDriverError, RedisErrorCode } from './errors.js';
import { malformedReply } from './scripts.js';

/** How long after a report of one kind the next ones are only counted. */
const WINDOW_MS = 60_000;

/** Where malformed data is reported. */
export type MalformedDataLogger = Pick<Logger, 'warn'>;

/**
 * Reports data under the cluster's keys that is not what the stores write (a key of another type,
 * an entry that does not parse): the data is skipped, the store goes on, and an operator learns of
 * it. One line per kind of fault per minute, carrying the key and how many more were seen since the
 * last line; never one line per read.
 */
export class MalformedData {
  readonly #logger: MalformedDataLogger;
  readonly #now: () => number;
  readonly #windows = new Map<string, { start: number; skipped: number }>();

  constructor(logger: MalformedDataLogger, now: () => number = () => performance.now()) {
    this.#logger = logger;
    this.#now = now;
  }

  /** Reports `detail` about `key`; `kind` is one of a few fixed names (never data from Redis). */
  report(kind: string, key: string, detail: string): void {
    const now = this.#now();
    const window = this.#windows.get(kind);
    if (window !== undefined && now - window.start < WINDOW_MS) {
      window.skipped++;
      return;
    }
    const skipped = window?.skipped ?? 0;
    this.#windows.set(kind, { start: now, skipped: 0 });
    this.#logger.warn(
      { key, kind, ...(skipped > 0 ? { repeated: skipped } : {}) },
      `malformed data in Redis ignored: ${key}: ${detail}${skipped > 0 ? ` (and ${skipped} more like it since the last report)` : ''}`,
    );
  }

  /**
   * What a write script's failure becomes: its `MALFORMED` reply (one of `keys` holds another type
   * than `expected`; the script left it as it is) is reported under `kind` and answered with the
   * driver error naming the key; any other failure is thrown as it is.
   */
  refusedWrite(error: unknown, keys: readonly string[], kind: string, expected: string): RedisDriverError {
    const malformed = malformedReply(error);
    if (malformed === undefined) throw error;
    const key = keys[malformed.keyIndex - 1] ?? keys[0] ?? '';
    this.report(kind, key, `a ${malformed.type}, not ${expected}: left as it is`);
    return new RedisDriverError(
      RedisErrorCode.CommandFailed,
      `${key} holds a ${malformed.type}, not ${expected}: the write was refused`,
      { cause: error },
    );
  }
}

/** Whether `error` is Redis's WRONGTYPE reply: a key holds another type than the command expects. */
export function isWrongType(error: unknown): boolean {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  return cause instanceof Error && cause.message.startsWith('WRONGTYPE');
}
