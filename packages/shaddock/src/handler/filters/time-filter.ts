import type { JsonObject } from '@shaddock/protocol';
import { getLogger, type Logger } from '../../logging/index.js';
import type { HandlerContext, HandlerFilter } from '../handler-filters.js';

/** What {@link timeFilter} reports of a slow message. */
export interface SlowMessage {
  readonly route: string;
  readonly id: number;
  /** Milliseconds it took, through what the filter wraps. */
  readonly ms: number;
}

/** Options of {@link timeFilter}. */
export interface TimeFilterOptions {
  /** Messages taking at least this many milliseconds are logged (default 50). */
  readonly slowMs?: number;
  /** The logger slow messages are written to at `warn` (default: the process's, category `handler`). */
  readonly logger?: Logger;
  /** Where slow messages go instead of the logger. */
  readonly log?: (line: string, slow: SlowMessage) => void;
}

/**
 * Logs the messages that take `slowMs` or longer (Pomelo's `time`): their route, id and duration,
 * measured around what the filter wraps. As a global before filter on a frontend it times the
 * whole request, forwarding included; as a before filter, the handler where it runs.
 *
 * @example
 * app.globalBefore(timeFilter({ slowMs: 100 }));
 */
export function timeFilter(options: TimeFilterOptions = {}): HandlerFilter {
  const slowMs = options.slowMs ?? 50;
  const logger = options.logger ?? getLogger('handler');
  const log = options.log ?? ((_line: string, slow: SlowMessage) => logger.warn({ ...slow }, 'slow message'));
  const report = (context: HandlerContext, started: number): void => {
    const ms = performance.now() - started;
    if (ms >= slowMs) {
      log(`slow message ${context.route} (id ${context.id}): ${ms.toFixed(1)} ms`, {
        route: context.route,
        id: context.id,
        ms,
      });
    }
  };
  return {
    async wrap(_message, _session, context, next): Promise<JsonObject | undefined> {
      const started = performance.now();
      try {
        return await next();
      } finally {
        report(context, started);
      }
    },
  };
}
