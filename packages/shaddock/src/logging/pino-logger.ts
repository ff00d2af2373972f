import { join } from 'node:path';
import pino from 'pino';
import { type CategoryRoutes, type RoutableLogger, RoutedLogger } from './category-routes.js';
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
  /** More files every line is written to (Pomelo's log4js `file` appenders without a category). */
  readonly files?: readonly string[];
  /** Per category: its level and the files its lines also go to (Pomelo's log4js appenders and `levels`). */
  readonly categories?: CategoryRoutes;
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
 * With `categories` (Pomelo's log4js.json, see `mapLog4jsConfig`), the root's children by category
 * write at that category's level and also to its files: pino still writes every line, one pino
 * logger per routed category, chosen once per child (a line costs one more delegation). `files`
 * get every line. A file is opened once however many categories write to it.
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
  const files = new FileDestinations();
  const everyLine = [options.file || undefined, ...(options.files ?? [])];
  const make = (extraFiles: readonly string[] = []): pino.Logger =>
    pino(
      {
        level,
        // No pid or hostname: `serverId` names the process, and the lines stay short.
        base: { serverId: options.serverId, serverType: options.serverType },
        timestamp: pino.stdTimeFunctions.epochTime,
        serializers: { err: pino.stdSerializers.err },
      },
      tee([out, ...files.open([...everyLine, ...extraFiles])]),
    );
  const root = make();
  if (badEnvironment) {
    root.warn({ [LOG_LEVEL_ENV]: fromEnvironment }, `${LOG_LEVEL_ENV} is not a log level; logging at info`);
  }
  const categories = options.categories ?? {};
  if (Object.keys(categories).length === 0) return root;
  // a logger per routed category, made on first use: most categories of a log4js.json never log
  const routed = new Map<string, pino.Logger>();
  const open = (bindings: Record<string, unknown>): RoutableLogger => {
    const category = String(bindings['category']);
    const route = Object.hasOwn(categories, category) ? categories[category] : undefined;
    if (route === undefined) return root.child(bindings);
    let base = routed.get(category);
    if (base === undefined) {
      base = route.files && route.files.length > 0 ? make(route.files) : root;
      routed.set(category, base);
    }
    return base.child(bindings, route.level === undefined ? {} : { level: route.level });
  };
  return new RoutedLogger(root, open);
}

/** One open file per path, shared by every logger writing to it. */
class FileDestinations {
  readonly #files = new Map<string, Destination>();

  open(paths: readonly (string | undefined)[]): Destination[] {
    const unique = new Set(paths.filter((file): file is string => file !== undefined));
    return [...unique].map((file) => {
      let destination = this.#files.get(file);
      if (destination === undefined) {
        destination = pino.destination({ dest: file, sync: true, mkdir: true });
        this.#files.set(file, destination);
      }
      return destination;
    });
  }
}

/** One destination writing every line to each of `destinations` (just it, for one). */
function tee(destinations: readonly Destination[]): Destination {
  if (destinations.length === 1 && destinations[0] !== undefined) return destinations[0];
  return {
    write(line) {
      for (const destination of destinations) destination.write(line);
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
