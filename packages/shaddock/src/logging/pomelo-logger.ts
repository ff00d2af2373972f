import path from 'node:path';
import { format } from 'node:util';
import { getLogger } from './categories.js';
import { log4jsLevel } from './log4js-config.js';
import type { LogFields, Logger, WriteLevel } from './logger.js';

/** One level's method, pomelo-logger's way: printf-style (`%s %d %j`) or concatenated arguments. */
export type PomeloLogMethod = (...args: unknown[]) => void;

/**
 * A logger with pomelo-logger's shape (log4js 0.6's logger), writing through the kernel logger:
 * what `require('pomelo-logger').getLogger(category, __filename)` answers in a Pomelo app.
 */
export interface PomeloLogger {
  /** The category, as given (with the working directory cut from a file path, as pomelo-logger does). */
  readonly category: string;
  trace: PomeloLogMethod;
  debug: PomeloLogMethod;
  info: PomeloLogMethod;
  warn: PomeloLogMethod;
  error: PomeloLogMethod;
  fatal: PomeloLogMethod;
  /** `log(level, ...args)`: log4js's form, the level by name. */
  log(level: string, ...args: unknown[]): void;
  /** Whether a line at `level` (a log4js level name, any case) would be written. */
  isLevelEnabled(level: string): boolean;
  isTraceEnabled(): boolean;
  isDebugEnabled(): boolean;
  isInfoEnabled(): boolean;
  isWarnEnabled(): boolean;
  isErrorEnabled(): boolean;
  isFatalEnabled(): boolean;
}

/**
 * pomelo-logger's `getLogger(category, ...prefixes)` on the kernel logger: lines go through
 * `getLogger(category)` (so `config/log4js.json`'s appenders and levels for that category apply),
 * the message formatted as log4js does (`util.format`), the first prefix (usually `__filename`)
 * bound as `file` (relative to the working directory) and any others as `prefix`. An `Error`
 * argument is also written under `err`, with its stack. Arguments are only formatted when the
 * level is enabled.
 *
 * @example
 * const logger = getPomeloLogger('pomelo', __filename);
 * logger.info('user %s joined room %d', uid, roomId);
 */
export function getPomeloLogger(category: string, ...prefixes: unknown[]): PomeloLogger {
  const name = typeof category === 'string' ? category.replace(process.cwd(), '') : String(category);
  const bindings: LogFields = {};
  const [first, ...rest] = prefixes;
  if (first !== undefined) bindings['file'] = shortPath(String(first));
  if (rest.length > 0) bindings['prefix'] = rest.map(String).join(' ');
  const base = getLogger(name);
  const logger = Object.keys(bindings).length > 0 ? base.child(bindings) : base;
  const enabled = (level: string): boolean => {
    const mapped = log4jsLevel(level);
    return mapped !== undefined && mapped !== 'silent' && logger.isLevelEnabled(mapped);
  };
  const method =
    (level: WriteLevel): PomeloLogMethod =>
    (...args) =>
      write(logger, level, args);
  return {
    category: name,
    trace: method('trace'),
    debug: method('debug'),
    info: method('info'),
    warn: method('warn'),
    error: method('error'),
    fatal: method('fatal'),
    log(level, ...args) {
      const mapped = log4jsLevel(level);
      if (mapped !== undefined && mapped !== 'silent') write(logger, mapped, args);
    },
    isLevelEnabled: enabled,
    isTraceEnabled: () => enabled('trace'),
    isDebugEnabled: () => enabled('debug'),
    isInfoEnabled: () => enabled('info'),
    isWarnEnabled: () => enabled('warn'),
    isErrorEnabled: () => enabled('error'),
    isFatalEnabled: () => enabled('fatal'),
  };
}

function write(logger: Logger, level: WriteLevel, args: readonly unknown[]): void {
  if (!logger.isLevelEnabled(level)) return;
  const error = args.find((arg): arg is Error => arg instanceof Error);
  // an error reads as its first line in the message; its stack goes under `err`
  const message = format(...args.map((arg) => (arg instanceof Error ? String(arg) : arg)));
  if (error === undefined) logger[level](message);
  else logger[level]({ err: error }, message);
}

function shortPath(file: string): string {
  return path.isAbsolute(file) ? path.relative(process.cwd(), file) || file : file;
}
