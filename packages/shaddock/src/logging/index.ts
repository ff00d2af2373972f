/**
 * The framework's one logger (pino by default): the {@link Logger} interface, the root logger of a
 * process, categories for user and framework code, repeat limiting, the master's console
 * format, and Pomelo's side of logging: `config/log4js.json` mapped onto the one logger, and
 * pomelo-logger's `getLogger(category, __filename)` shape. The contract suite for other implementations is in `./testing.ts`.
 */

export { getLogger, setRootLogger } from './categories.js';
export type { CategoryRoute, CategoryRoutes } from './category-routes.js';
export { replaceConsole } from './console.js';
export { formatLogLine } from './format.js';
export {
  type Log4jsContext,
  type Log4jsMapping,
  mapLog4jsConfig,
  readLog4jsConfig,
} from './log4js-config.js';
export {
  isLogLevel,
  type LogFields,
  type Logger,
  LogLevel,
  type LogMethod,
  type WriteLevel,
} from './logger.js';
export { createLogger, LOG_LEVEL_ENV, type LoggerOptions, logFilePath } from './pino-logger.js';
export { getPomeloLogger, type PomeloLogger, type PomeloLogMethod } from './pomelo-logger.js';
export { RepeatLimiter, type RepeatLimiterOptions } from './repeat-limiter.js';
export { REPEAT_WINDOW_MS, SummarizedRepeats } from './summarized-repeats.js';
