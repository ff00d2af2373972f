import type { Logger } from 'shaddock';

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
}

/** Whether `error` is Redis's WRONGTYPE reply: a key holds another type than the command expects. */
export function isWrongType(error: unknown): boolean {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  return cause instanceof Error && cause.message.startsWith('WRONGTYPE');
}
