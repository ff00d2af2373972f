import type { LogFields, Logger, WriteLevel } from './logger.js';
import { RepeatLimiter } from './repeat-limiter.js';

/** How long a line's repeats are counted before their count is written, in ms. */
export const REPEAT_WINDOW_MS = 10_000;

/**
 * A {@link RepeatLimiter} whose counts are written when a burst ends, not only when the next line
 * of the same key comes: a flood writes its first line at once, then, `windowMs` after the first
 * line that was held back, one line per key with `{ repeated: count }`. One timer for every key,
 * armed only while something is held back. Keys come from a bounded set the server chooses.
 *
 * @example
 * const repeats = new SummarizedRepeats();
 * repeats.log(log, 'warn', 'refused:max-connections', { limit }, 'max-connections reached');
 */
export class SummarizedRepeats {
  readonly #repeats: RepeatLimiter;
  readonly #windowMs: number;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(windowMs = REPEAT_WINDOW_MS) {
    this.#windowMs = windowMs;
    this.#repeats = new RepeatLimiter({ windowMs });
  }

  /** Logs the line in full, or counts it when a line of `key` was written within the window. */
  log(logger: Logger, level: WriteLevel, key: string, fields: LogFields, message: string): void {
    if (this.#repeats.log(logger, level, key, fields, message) || !logger.isLevelEnabled(level)) return;
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      this.#repeats.flush();
    }, this.#windowMs);
    this.#timer.unref();
  }

  /** Writes the counts held back now, and forgets every key (at shutdown). */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#repeats.flush();
  }
}
