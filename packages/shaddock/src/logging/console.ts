import { getPomeloLogger } from './pomelo-logger.js';

const REPLACED = ['log', 'debug', 'info', 'warn', 'error'] as const;

/**
 * log4js's `replaceConsole`: `console.log/debug/info/warn/error` write through the logger, under
 * the category `console` (`console.log` at info), formatted as `console` does. Returns the
 * function that puts the console back.
 */
export function replaceConsole(): () => void {
  const logger = getPomeloLogger('console');
  const saved = REPLACED.map((name) => [name, console[name]] as const);
  console.log = logger.info;
  console.debug = logger.debug;
  console.info = logger.info;
  console.warn = logger.warn;
  console.error = logger.error;
  return () => {
    for (const [name, original] of saved) console[name] = original;
  };
}
