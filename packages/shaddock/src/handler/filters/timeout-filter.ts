import type { JsonObject } from '@shaddock/protocol';
import { ErrorCode, RequestError, ResponseCode } from '../../errors.js';
import type { HandlerSession } from '../../session/index.js';
import type { HandlerFilter } from '../handler-filters.js';
import { type Deadline, DeadlineList } from './deadline-list.js';

/** Options of {@link timeoutFilter}. */
export interface TimeoutFilterOptions {
  /** Milliseconds a message may take (default 3000). */
  readonly timeout?: number;
}

/**
 * Fails a message with `ResponseCode.Timeout` (504) once it has run `timeout` ms; the handler's
 * eventual result is dropped. Unlike Pomelo's, which only logs, the client gets its answer. All the
 * messages of one filter share one timer. It wraps what comes after it: with `app.before`, the
 * handler where it runs; with `app.globalBefore` on a frontend, the whole request, forwarding included.
 *
 * @example
 * app.before(timeoutFilter({ timeout: 2000 }));
 */
export function timeoutFilter(options: TimeoutFilterOptions = {}): HandlerFilter<HandlerSession> {
  const timeout = options.timeout ?? 3000;
  const deadlines = new DeadlineList<Deadline>();
  return {
    wrap(_message, _session, context, next) {
      return new Promise<JsonObject | undefined>((resolve, reject) => {
        const pending: Deadline = {
          deadline: performance.now() + timeout,
          settled: false,
          expire: () =>
            reject(
              new RequestError(
                ErrorCode.RequestTimeout,
                ResponseCode.Timeout,
                `${context.route} took longer than ${timeout} ms`,
              ),
            ),
        };
        deadlines.add(pending);
        next().then(
          (response) => {
            if (pending.settled) return;
            pending.settled = true;
            resolve(response);
          },
          (error: unknown) => {
            if (pending.settled) return;
            pending.settled = true;
            reject(error);
          },
        );
      });
    },
  };
}
