import { type LogFields, type Logger, type LogLevel, writeLine } from './logger.js';

/** Where one category's lines go besides the process's own outputs, and at which level. */
export interface CategoryRoute {
  /** The category's lowest level written (default: the root's). */
  readonly level?: LogLevel;
  /** Files that get this category's lines too (Pomelo's log4js `file` appenders with a `category`). */
  readonly files?: readonly string[];
}

/** A category's route, by category name. */
export type CategoryRoutes = Readonly<Record<string, CategoryRoute>>;

/** What a {@link RoutedLogger} writes through: pino's loggers satisfy it. */
export interface RoutableLogger extends Logger {
  child(bindings: LogFields, options?: { level?: string }): RoutableLogger;
}

/**
 * A root logger whose children by category (`child({ category })`, which `getLogger(category)`
 * makes) write through the logger made for that category — one with extra files — and at that
 * category's level. The route is chosen once per child; a line then costs one delegation.
 */
export class RoutedLogger implements Logger {
  readonly #target: RoutableLogger;
  readonly #bindings: LogFields;
  readonly #open: (bindings: LogFields) => RoutableLogger;

  /** `open(bindings)`: the logger of `bindings.category`, with those bindings. */
  constructor(
    target: RoutableLogger,
    open: (bindings: LogFields) => RoutableLogger,
    bindings: LogFields = {},
  ) {
    this.#target = target;
    this.#open = open;
    this.#bindings = bindings;
  }

  get level(): string {
    return this.#target.level;
  }

  trace(first: string | LogFields, message?: string): void {
    writeLine(this.#target, 'trace', first, message);
  }

  debug(first: string | LogFields, message?: string): void {
    writeLine(this.#target, 'debug', first, message);
  }

  info(first: string | LogFields, message?: string): void {
    writeLine(this.#target, 'info', first, message);
  }

  warn(first: string | LogFields, message?: string): void {
    writeLine(this.#target, 'warn', first, message);
  }

  error(first: string | LogFields, message?: string): void {
    writeLine(this.#target, 'error', first, message);
  }

  fatal(first: string | LogFields, message?: string): void {
    writeLine(this.#target, 'fatal', first, message);
  }

  child(bindings: LogFields): Logger {
    const merged = { ...this.#bindings, ...bindings };
    // a new category: its own route, with every binding so far (bound once, not nested twice)
    if (typeof bindings['category'] === 'string' && bindings['category'] !== this.#bindings['category']) {
      return new RoutedLogger(this.#open(merged), this.#open, merged);
    }
    return new RoutedLogger(this.#target.child(bindings), this.#open, merged);
  }

  isLevelEnabled(level: LogLevel): boolean {
    return this.#target.isLevelEnabled(level);
  }
}
