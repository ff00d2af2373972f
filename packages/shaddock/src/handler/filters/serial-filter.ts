import type { JsonObject } from '@shaddock/protocol';
import { ErrorCode, RequestError, ResponseCode } from '../../errors.js';
import type { HandlerSession } from '../../session/index.js';
import type { HandlerFilter } from '../handler-filters.js';
import { type Deadline, DeadlineList } from './deadline-list.js';

/** Options of {@link serialFilter}. */
export interface SerialFilterOptions {
  /** Milliseconds a message may wait behind earlier ones of its session (default 3000). */
  readonly timeout?: number;
}

interface Waiter extends Deadline {
  start(): void;
}

interface SessionQueue {
  running: boolean;
  waiting: Waiter[];
  head: number;
}

/**
 * Runs the messages of one session one at a time, in the order they came (Pomelo's `serial`):
 * a message waits until the one before it has finished what this filter wraps. A message that
 * waited longer than `timeout` fails with `ResponseCode.Timeout` (504) without running. Queues
 * are per session (frontend id and session id) and go away when idle; all waiting messages of one
 * filter share one timer. Add it with `app.before`, ahead of the filters it should serialize;
 * put a `timeoutFilter` after it so that a hung handler cannot hold its session's queue forever.
 *
 * @example
 * app.before(serialFilter({ timeout: 3000 }));
 */
export function serialFilter(options: SerialFilterOptions = {}): HandlerFilter<HandlerSession> {
  const timeout = options.timeout ?? 3000;
  const queues = new Map<string, Map<number, SessionQueue>>();
  const deadlines = new DeadlineList<Waiter>();

  const release = (session: HandlerSession, queue: SessionQueue): void => {
    while (queue.head < queue.waiting.length) {
      const waiter = queue.waiting[queue.head]!;
      queue.head++;
      if (!waiter.settled) {
        // a session that is never idle keeps its queue: drop the part already gone through
        if (queue.head > 64 && queue.head * 2 > queue.waiting.length) {
          queue.waiting = queue.waiting.slice(queue.head);
          queue.head = 0;
        }
        waiter.settled = true;
        waiter.start();
        return;
      }
    }
    queue.running = false;
    const bySession = queues.get(session.frontendId);
    bySession?.delete(session.id);
    if (bySession?.size === 0) queues.delete(session.frontendId);
  };

  const run = async (
    session: HandlerSession,
    queue: SessionQueue,
    next: () => Promise<JsonObject | undefined>,
  ): Promise<JsonObject | undefined> => {
    try {
      return await next();
    } finally {
      release(session, queue);
    }
  };

  return {
    wrap(_message, session, context, next) {
      let bySession = queues.get(session.frontendId);
      if (bySession === undefined) {
        bySession = new Map();
        queues.set(session.frontendId, bySession);
      }
      let queue = bySession.get(session.id);
      if (queue === undefined) {
        queue = { running: false, waiting: [], head: 0 };
        bySession.set(session.id, queue);
      }
      if (!queue.running) {
        queue.running = true;
        return run(session, queue, next);
      }
      const held = queue;
      return new Promise<JsonObject | undefined>((resolve, reject) => {
        const waiter: Waiter = {
          deadline: performance.now() + timeout,
          settled: false,
          start: () => void run(session, held, next).then(resolve, reject),
          expire: () =>
            reject(
              new RequestError(
                ErrorCode.RequestTimeout,
                ResponseCode.Timeout,
                `${context.route} waited longer than ${timeout} ms behind earlier messages of its session`,
              ),
            ),
        };
        held.waiting.push(waiter);
        deadlines.add(waiter);
      });
    },
  };
}
