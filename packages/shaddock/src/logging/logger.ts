/**
 * The levels a logger filters by, lowest first; `silent` writes nothing.
 *
 * @example
 * createLogger({ serverId: 'chat-server-1', serverType: 'chat', level: LogLevel.Debug });
 */
export const LogLevel = {
  Trace: 'trace',
  Debug: 'debug',
  Info: 'info',
  Warn: 'warn',
  Error: 'error',
  Fatal: 'fatal',
  Silent: 'silent',
} as const;

/** One of {@link LogLevel}'s values. */
export type LogLevel = (typeof LogLevel)[keyof typeof LogLevel];

/** A level a line can be written at: every {@link LogLevel} but `silent`. */
export type WriteLevel = Exclude<LogLevel, 'silent'>;

/**
 * The number each level has in a JSON line's `level` field: pino's numbers, which the master's
 * console formatter ({@link formatLogLine}) and every log tool that reads pino lines understand.
 */
export const LEVEL_VALUES: Readonly<Record<WriteLevel, number>> = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
};

/** Whether `value` names a {@link LogLevel} (for levels read from settings or the environment). */
export function isLogLevel(value: unknown): value is LogLevel {
  return typeof value === 'string' && (value === 'silent' || Object.hasOwn(LEVEL_VALUES, value));
}

/** The fields a line carries besides its message; an error goes under `err` (written with its stack). */
export type LogFields = Record<string, unknown>;

/** One level's method: a message, or fields with an optional message. */
export interface LogMethod {
  (message: string): void;
  (fields: LogFields, message?: string): void;
}

/**
 * The framework's logger, for its own code and for apps (`app.logger`, `getLogger(category)`). A
 * replaceable driver: pino's `Logger` satisfies it as it is (the default, {@link createLogger}),
 * and any other implementation must pass the contract suite in `logging/testing.ts`.
 *
 * Every line is one JSON object: `level` (the numbers of {@link LEVEL_VALUES}), `time` (epoch
 * milliseconds), `msg`, then the bindings of the logger and its parents and the call's fields at
 * the top level; an error given as `{ err }` is written as `{ type, message, stack, …its own
 * properties }`.
 *
 * Hot paths check {@link Logger.isLevelEnabled} before building anything costly for a line.
 *
 * @example
 * const log = app.logger.child({ category: 'match' });
 * log.info({ roomId, players: 4 }, 'room full');
 * log.error({ err, route, uid }, 'handler failed');
 * if (log.isLevelEnabled('debug')) log.debug({ state: describe(room) }, 'room state');
 */
export interface Logger {
  /** The lowest level written (`silent`: none). */
  readonly level: string;
  trace: LogMethod;
  debug: LogMethod;
  info: LogMethod;
  warn: LogMethod;
  error: LogMethod;
  fatal: LogMethod;
  /** A logger whose lines also carry `bindings` (e.g. `{ category }`, `{ uid }`), at this one's level. */
  child(bindings: LogFields): Logger;
  /** Whether a line at `level` would be written. */
  isLevelEnabled(level: LogLevel): boolean;
}

/** Writes one line on `target` at `level`, by overload, without an explicit `undefined` message (a driver may print it). */
export function writeLine(
  target: Logger,
  level: WriteLevel,
  first: string | LogFields,
  message?: string,
): void {
  if (typeof first === 'string') target[level](first);
  else if (message === undefined) target[level](first);
  else target[level](first, message);
}
