import { type LogFields, type Logger, RepeatLimiter, type RepeatLimiterOptions } from '../logging/index.js';

/**
 * Where the master's port reports what it refused (a wrong secret, a failed login, a lockout),
 * rate-limited: the first line of a `key` in a window is written, the repeats only counted (see
 * {@link RepeatLimiter}). Keys are reasons the master chooses, never text a peer sent.
 */
export interface SecurityLog {
  (key: string, message: string): void;
  /** Writes the counts still held back (at shutdown). */
  flush(): void;
}

/**
 * A {@link SecurityLog} over a line writer (the master's `log`): a summary line reads
 * `<first message> (and <n> more like it)`.
 *
 * @example
 * const security = securityLog((line) => process.stdout.write(`[master] ${line}\n`));
 * security('monitor:bad-proof', `refused a monitor from ${address}: wrong cluster secret`);
 */
export function securityLog(write: (line: string) => void, options?: RepeatLimiterOptions): SecurityLog {
  const repeats = new RepeatLimiter(options);
  const logger = lineLogger(write);
  const log = (key: string, message: string): void => {
    repeats.log(logger, 'warn', key, {}, message);
  };
  return Object.assign(log, { flush: () => repeats.flush() });
}

/** A {@link Logger} that writes each message as one line (what the master's `log` takes). */
function lineLogger(write: (line: string) => void): Logger {
  const line = (fields: LogFields | string, message?: string): void => {
    if (typeof fields === 'string') {
      write(fields);
      return;
    }
    const repeated = fields['repeated'];
    write(typeof repeated === 'number' ? `${message ?? ''} (and ${repeated} more like it)` : (message ?? ''));
  };
  const logger: Logger = {
    level: 'info',
    trace: line,
    debug: line,
    info: line,
    warn: line,
    error: line,
    fatal: line,
    child: () => logger,
    isLevelEnabled: () => true,
  };
  return logger;
}
