import { ErrorCode, RequestError, ResponseCode } from '../../errors.js';
import type { HandlerFilter } from '../handler-filters.js';

/** Options of {@link toobusyFilter}. */
export interface ToobusyFilterOptions {
  /** Event-loop lag, in milliseconds, above which messages are shed (default 70). */
  readonly maxLagMs?: number;
  /** How often the lag is sampled, in milliseconds (default half of `maxLagMs`, at least 10). */
  readonly intervalMs?: number;
}

/** The toobusy filter, with its lag reading and a way to stop sampling. */
export interface ToobusyFilter extends HandlerFilter {
  /** The event-loop lag now, in milliseconds (rises at once, eases off over a few samples). */
  readonly lag: number;
  /** Stops sampling (it starts again with the next message). */
  stop(): void;
}

/**
 * Sheds messages with `ResponseCode.Busy` (503) while the event loop lags more than `maxLagMs`
 * (Pomelo's `toobusy`): an overloaded server answers at once instead of queueing work it cannot do
 * in time. The lag is the delay of one unref'd interval, sampled from the first message on.
 *
 * @example
 * app.globalBefore(toobusyFilter({ maxLagMs: 70 }));
 */
export function toobusyFilter(options: ToobusyFilterOptions = {}): ToobusyFilter {
  const maxLagMs = options.maxLagMs ?? 70;
  const intervalMs = options.intervalMs ?? Math.max(10, Math.floor(maxLagMs / 2));
  let lag = 0;
  let last = 0;
  let timer: ReturnType<typeof setInterval> | undefined;

  const sample = (): void => {
    const now = performance.now();
    const delay = Math.max(0, now - last - intervalMs);
    last = now;
    // up at once, down gradually: one quiet sample does not end an overload
    lag = delay >= lag ? delay : (lag * 2 + delay) / 3;
  };

  return {
    get lag() {
      return lag;
    },
    stop() {
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
      lag = 0;
    },
    before(_message, _session, context) {
      if (timer === undefined) {
        last = performance.now();
        timer = setInterval(sample, intervalMs);
        timer.unref();
      }
      if (lag > maxLagMs) {
        throw new RequestError(
          ErrorCode.ServerBusy,
          ResponseCode.Busy,
          `${context.route}: the server is too busy (event loop ${Math.round(lag)} ms behind)`,
        );
      }
    },
  };
}
