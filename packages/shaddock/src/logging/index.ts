/**
 * The framework's one logger (pino by default): the {@link Logger} interface, the root logger of a
 * process, categories for user and framework code, repeat limiting, and the master's console
 * format. The contract suite for other implementations is in `./testing.ts`.
 */
export { getLogger, setRootLogger } from './categories.js';
export { formatLogLine } from './format.js';
export {
  isLogLevel,
  type LogFields,
  type Logger,
  LogLevel,
  type LogMethod,
  type WriteLevel,
} from './logger.js';
export { createLogger, LOG_LEVEL_ENV, type LoggerOptions, logFilePath } from './pino-logger.js';
export { RepeatLimiter, type RepeatLimiterOptions } from './repeat-limiter.js';
export { REPEAT_WINDOW_MS, SummarizedRepeats } from './summarized-repeats.js';
