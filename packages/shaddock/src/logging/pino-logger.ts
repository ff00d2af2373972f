import { join } from 'node:path';
import pino from 'pino';
import { isLogLevel, type Logger, type LogLevel } from './logger.js';

/** The environment variable that sets the level when {@link LoggerOptions.level} is not given. */
export const LOG_LEVEL_ENV = 'SHADDOCK_LOG_LEVEL';

/** How {@link createLogger} builds a process's root logger. */
export interface LoggerOptions {
  /** Bound on every line as `serverId`. */
  readonly serverId: string;
  /** Bound on every line as `serverType`. */
  readonly serverType: string;
  /** The lowest level written; default `SHADDOCK_LOG_LEVEL`, else `'info'`. */
  readonly level?: LogLevel;
  /** A file every line is also written to (its folder is created); `false` or absent: none. See {@link logFilePath}. */
  readonly file?: string | false;
  /** Where lines go (default the process's stdout). */
  readonly stream?: NodeJS.WritableStream;
}

/** Where a line is written: pino's `DestinationStream`, all the tee below needs. */
interface Destination {
  write(line: string): void;
}

/**
 * Creates a process's root logger: pino, writing one JSON line per call (see {@link Logger}) to
 * `stream` (default stdout) and to `file` when given, with `{ serverId, serverType }` on every line.
 * Both are written synchronously: a line is with the OS when the call returns, so nothing is lost
 * when the process crashes or is killed, and nothing needs flushing at exit. Logging volume is kept
 * small by levels and the {@link RepeatLimiter}, which is what makes synchronous writes affordable.
 *
 * An unknown `SHADDOCK_LOG_LEVEL` is not fatal: the logger uses `info` and says so in a warning.
 *
 * @example
 * const root = createLogger({ serverId: 'chat-server-1', serverType: 'chat', file: logFilePath(base, 'chat-server-1') });
 * setRootLogger(root);
 */
export function createLogger(options: LoggerOptions): Logger {
  const fromEnvironment = process.env[LOG_LEVEL_ENV];
  const badEnvironment = options.level === undefined && fromEnvironment && !isLogLevel(fromEnvironment);
  const level = options.level ?? (fromEnvironment && isLogLevel(fromEnvironment) ? fromEnvironment : 'info');
  const out: Destination = options.stream ?? pino.destination({ dest: 1, sync: true });
  const destination = options.file
    ? tee(out, pino.destination({ dest: options.file, sync: true, mkdir: true }))
    : out;
  const logger = pino(
    {
      level,
      // No pid or hostname: `serverId` names the process, and the lines stay short.
      base: { serverId: options.serverId, serverType: options.serverType },
      timestamp: pino.stdTimeFunctions.epochTime,
      serializers: { err: pino.stdSerializers.err },
    },
    destination,
  );
  if (badEnvironment) {
    logger.warn({ [LOG_LEVEL_ENV]: fromEnvironment }, `${LOG_LEVEL_ENV} is not a log level; logging at info`);
  }
  return logger;
}

/** One destination writing every line to both. */
function tee(first: Destination, second: Destination): Destination {
  return {
    write(line) {
      first.write(line);
      second.write(line);
    },
  };
}

/**
 * The file a server logs to, from the app's `logs` setting: `true` (the default) means
 * `<base>/logs/<serverId>.log`, a string is another folder (relative to `base`), `false` means no
 * file. Characters outside `[A-Za-z0-9._-]` in the server id become `_`, so that an id cannot name
 * a path elsewhere.
 *
 * @example
 * logFilePath('/srv/game', 'chat-server-1'); // '/srv/game/logs/chat-server-1.log'
 * logFilePath('/srv/game', 'chat-server-1', false); // false
 */
export function logFilePath(base: string, serverId: string, folder: string | boolean = true): string | false {
  if (folder === false) return false;
  const safeId = serverId.replace(/[^\w.-]/g, '_');
  return join(base, folder === true ? 'logs' : folder, `${safeId}.log`);
}
