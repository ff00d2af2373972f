import { type Logger, RepeatLimiter } from 'shaddock';

type Level = 'debug' | 'info' | 'warn' | 'error';

/**
 * Shaddock's {@link RepeatLimiter} bound to one logger: a bad bucket entry seen on every heartbeat,
 * or an order sender gone wrong, makes one line per window, not one per message. Keys come from a
 * small set this package chooses (a reason, a server id), never from a payload.
 */
export class RepeatedLog {
  readonly #logger: Logger;
  readonly #limiter = new RepeatLimiter({ maxKeys: 256 });

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  /** Logs `message` at `level` unless `key` was logged within the window (10 s); repeats are counted. */
  log(level: Level, key: string, fields: Record<string, unknown>, message: string): void {
    this.#limiter.log(this.#logger, level, key, fields, message);
  }
}
