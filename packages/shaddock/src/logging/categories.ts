import { type LogFields, type Logger, type LogLevel, writeLine } from './logger.js';
import { createLogger } from './pino-logger.js';

let root: Logger | undefined;

/**
 * Makes `logger` the process's root: every logger from {@link getLogger}, including those obtained
 * before this call, writes through it from now on. The bootstrap calls it once, when the process
 * knows its server id; calling it again (tests) switches every category over again.
 */
export function setRootLogger(logger: Logger): void {
  root = logger;
}

/** The root logger; until {@link setRootLogger}, one on stdout at `info` named from the environment. */
function currentRoot(): Logger {
  root ??= createLogger({
    serverId: process.env['SHADDOCK_SERVER_ID'] || 'unknown',
    serverType: process.env['SHADDOCK_SERVER_TYPE'] || 'unknown',
  });
  return root;
}

/**
 * A logger for one part of the code, its lines carrying `{ category }` besides the server's id and
 * type. It may be obtained at any time, e.g. at a module's top level before the app exists: it
 * follows the root logger that {@link setRootLogger} sets. Call it once per module and keep it,
 * rather than per message.
 *
 * @example
 * const log = getLogger('matchmaking');
 * log.info({ queue: queue.length }, 'match made');
 */
export function getLogger(category: string): Logger {
  return new ForwardingLogger({ category });
}

/**
 * A logger that writes through a child of the current root, made on first use and again only when
 * the root changes: per call, one comparison and one delegation (the level check is the child's).
 */
class ForwardingLogger implements Logger {
  readonly #bindings: LogFields;
  #root: Logger | undefined;
  #target: Logger | undefined;

  constructor(bindings: LogFields) {
    this.#bindings = bindings;
  }

  #resolve(): Logger {
    const current = currentRoot();
    if (this.#target === undefined || this.#root !== current) {
      this.#target = current.child(this.#bindings);
      this.#root = current;
    }
    return this.#target;
  }

  get level(): string {
    return this.#resolve().level;
  }

  trace(first: string | LogFields, message?: string): void {
    writeLine(this.#resolve(), 'trace', first, message);
  }

  debug(first: string | LogFields, message?: string): void {
    writeLine(this.#resolve(), 'debug', first, message);
  }

  info(first: string | LogFields, message?: string): void {
    writeLine(this.#resolve(), 'info', first, message);
  }

  warn(first: string | LogFields, message?: string): void {
    writeLine(this.#resolve(), 'warn', first, message);
  }

  error(first: string | LogFields, message?: string): void {
    writeLine(this.#resolve(), 'error', first, message);
  }

  fatal(first: string | LogFields, message?: string): void {
    writeLine(this.#resolve(), 'fatal', first, message);
  }

  child(bindings: LogFields): Logger {
    // Merged rather than nested, so that a key bound twice appears once in a line.
    return new ForwardingLogger({ ...this.#bindings, ...bindings });
  }

  isLevelEnabled(level: LogLevel): boolean {
    return this.#resolve().isLevelEnabled(level);
  }
}
