import { isJsonObject, type JsonObject, type JsonValue } from '@shaddock/protocol';
import {
  type ErrorHandler,
  type HandlerContext,
  type HandlerFilter,
  serialFilter,
  timeFilter,
  timeoutFilter,
  toobusyFilter,
} from '../handler/index.js';
import { isThenable } from './callback.js';
import { type Report, toPomeloSession } from './session.js';

/** A Pomelo before filter's `next(err, resp)`: an error or a response ends the chain there. */
type BeforeNext = (error?: unknown, response?: JsonObject) => void;
type AfterNext = (error?: unknown) => void;

/** A Pomelo handler filter: an object with `before(msg, session, next)` and/or `after(err, msg, session, resp, next)`. */
export interface PomeloFilter {
  before?(message: JsonValue, session: unknown, next: BeforeNext): unknown;
  after?(
    error: unknown,
    message: JsonValue,
    session: unknown,
    response: JsonObject | undefined,
    next: AfterNext,
  ): unknown;
}

/** A filter as `app.filter/before/after` take it: an object, or Pomelo's bare function form. */
export type PomeloFilterArgument = PomeloFilter | ((...args: never[]) => unknown) | HandlerFilter;

/** The native filters `pomelo.filters.*` made: they go into the native chain as they are. */
const nativeFilters = new WeakSet<object>();

function native<Filter extends object>(filter: Filter): Filter {
  nativeFilters.add(filter);
  return filter;
}

/**
 * `pomelo.filters`: Pomelo's shipped handler filters, made by Shaddock's native ones with
 * Pomelo's arguments (`serial(timeout)`, `time()`, `timeout(timeout, maxSize)`, `toobusy(maxLag)`).
 */
export const filters = {
  serial: (timeout?: number) => native(serialFilter(timeout === undefined ? {} : { timeout })),
  time: () => native(timeFilter()),
  // Pomelo's maxSize (how many timers it tracks) has no counterpart: the native filter tracks every request
  timeout: (timeout?: number, _maxSize?: number) =>
    native(timeoutFilter(timeout === undefined ? {} : { timeout })),
  toobusy: (maxLag?: number) => native(toobusyFilter(maxLag === undefined ? {} : { maxLagMs: maxLag })),
} as const;

/** Runs a Pomelo step whose `next` may come late, or whose promise may fail; the first outcome wins. */
function step<T>(run: (next: (error: unknown, value: T) => void) => unknown): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let done = false;
    const next = (error: unknown, value: T): void => {
      if (done) return;
      done = true;
      if (error !== undefined && error !== null) reject(error);
      else resolve(value);
    };
    try {
      const returned = run(next);
      if (isThenable(returned))
        returned.then(undefined, (error: unknown) =>
          next(error ?? new Error('filter failed'), undefined as T),
        );
    } catch (error) {
      next(error ?? new Error('filter failed'), undefined as T);
    }
  });
}

/** Pomelo's `msg.__route__`, which filters and handlers may read. */
export function withRoute(message: JsonValue, route: string): JsonValue {
  if (isJsonObject(message) && !('__route__' in message)) message['__route__'] = route;
  return message;
}

/** The native `before` form of a Pomelo filter (a `wrap`: a response from `next` ends the chain). */
export function adaptBefore(filter: PomeloFilterArgument, report: Report): HandlerFilter {
  if (nativeFilters.has(filter)) return filter as HandlerFilter;
  const before =
    typeof filter === 'function'
      ? (filter as PomeloFilter['before'])
      : (filter as PomeloFilter).before?.bind(filter);
  if (before === undefined) return {};
  return {
    async wrap(message, session, context, next) {
      withRoute(message, context.route);
      const response = await step<JsonObject | undefined>((done) =>
        before(message, toPomeloSession(session, report), (error, resp) => done(error, resp)),
      );
      return response ?? next();
    },
  };
}

/** The native `after` form of a Pomelo filter; what its `next` gets as an error is logged. */
export function adaptAfter(filter: PomeloFilterArgument, report: Report): HandlerFilter {
  if (nativeFilters.has(filter)) return filter as HandlerFilter;
  const after =
    typeof filter === 'function'
      ? (filter as PomeloFilter['after'])
      : (filter as PomeloFilter).after?.bind(filter);
  if (after === undefined) return {};
  return {
    after: (error, message, session, response, context) =>
      step<undefined>((done) =>
        after(
          error,
          withRoute(message, context.route),
          toPomeloSession(session, report),
          response,
          (failure) => done(failure, undefined),
        ),
      ),
  };
}

/** Pomelo's `errorHandler`/`globalErrorHandler`: `(err, msg, resp, session, [opts,] next(err, resp))`. */
export type PomeloErrorHandler = (...args: never[]) => unknown;

/** The native error handler that runs a Pomelo one: its `next(err, resp)` response answers the client. */
export function adaptErrorHandler(handler: PomeloErrorHandler, report: Report): ErrorHandler {
  const call = handler as unknown as (...args: unknown[]) => unknown;
  return (error: unknown, message: JsonObject, session: unknown, _context: HandlerContext) =>
    new Promise<JsonObject | undefined>((resolve) => {
      let done = false;
      const next = (_error?: unknown, response?: JsonObject): void => {
        if (done) return;
        done = true;
        resolve(typeof response === 'object' && response !== null ? response : undefined);
      };
      const pomeloSession = toPomeloSession(session, report);
      const response = (error as { response?: JsonObject } | null)?.response;
      try {
        // Pomelo calls a five-parameter handler without `opts`
        const returned =
          call.length === 5
            ? call(error, message, response, pomeloSession, next)
            : call(error, message, response, pomeloSession, {}, next);
        if (isThenable(returned))
          returned.then(undefined, (thrown: unknown) => {
            report(thrown);
            next();
          });
      } catch (thrown) {
        report(thrown);
        next();
      }
    });
}
