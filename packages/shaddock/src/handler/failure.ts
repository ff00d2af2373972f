import type { JsonObject } from '@shaddock/protocol';
import { ErrorCode, RequestError, ResponseCode, ShaddockError } from '../errors.js';
import { type LogFields, type Logger, SummarizedRepeats, type WriteLevel } from '../logging/index.js';
import type { HandlerSession } from '../session/index.js';
import { messageOf, responseCodeOf } from './error-body.js';

/** What a client reads instead of an error's own message in production, unless it was a `RequestError`. */
export const GENERIC_FAILURE_MESSAGE = 'the request failed';

/** The longest route text a log line carries of a route the server does not know. */
const MAX_UNKNOWN_ROUTE = 120;

/**
 * A message that failed on the backend that ran it (its error handlers ran and the failure was
 * logged there): what the frontend's error handlers and after filters see. `response` is the body
 * the backend answered (absent for a notify).
 */
export class BackendFailure extends RequestError {
  readonly response: JsonObject | undefined;

  constructor(code: number, message: string, response: JsonObject | undefined) {
    super(ErrorCode.HandlerFailed, code, message);
    this.response = response;
  }
}

/** The body that came with a failure: what the backend answered for a {@link BackendFailure}, else `undefined`. */
export function bodyOfFailure(error: unknown): JsonObject | undefined {
  return error instanceof BackendFailure ? error.response : undefined;
}

/** The body a failed message answers. */
export type ErrorBody = { code: number; message: string };

/** What a failure's log line says of the message: a `MessageContext` is one. */
export interface FailedMessage {
  /** The request id; 0 for a notify. */
  readonly id: number;
  /** The route as the client sent it. */
  readonly route: string;
  readonly session: HandlerSession | undefined;
  /** The handler method here; `undefined` when the message was forwarded or its route is unknown. */
  readonly entry: { readonly route: string } | undefined;
}

/**
 * The one place where a failed message becomes what its client reads and what the server logs.
 *
 * - The client gets `{ code, message }`: the error's numeric code (a `RequestError`'s response
 *   code, else 500); in production (`app.env === 'production'`) the message is
 *   {@link GENERIC_FAILURE_MESSAGE} unless the error is a `RequestError`, thrown on purpose.
 * - The server logs one line per failure that no error handler answered: a thrown error at `error`
 *   with its stack (`err`), route and uid; a `RequestError` without stack, at `warn` for a 5xx and
 *   at `debug` for a refusal (4xx: a client's bad route is no server fault); a failure the backend
 *   already logged at `debug`. Repeats are counted, not written (see {@link SummarizedRepeats}), under
 *   keys the server chooses: the handler's route and the error's code, never the client's route
 *   text; their count is written once the burst's window is over (a timer armed only while
 *   something is held back), so a flood of one failure is two lines per window: its first, and
 *   `{ repeated: n }`.
 */
export class Failures {
  readonly #logger: Logger;
  readonly #production: boolean;
  readonly #repeats = new SummarizedRepeats();

  constructor(logger: Logger, production: boolean) {
    this.#logger = logger;
    this.#production = production;
  }

  /** The body a client gets for `error`: `{ code, message }`. */
  body(error: unknown): ErrorBody {
    const message =
      this.#production && !(error instanceof RequestError) ? GENERIC_FAILURE_MESSAGE : messageOf(error);
    return { code: responseCodeOf(error), message };
  }

  /** Logs a message that failed and that no error handler answered. */
  report(error: unknown, failed: FailedMessage): void {
    const code = responseCodeOf(error);
    const level = levelOf(error, code);
    if (!this.#logger.isLevelEnabled(level)) return;
    const fields: LogFields = {
      route: routeField(failed),
      uid: failed.session?.uid,
      id: failed.id,
      code,
    };
    if (level === 'error') fields['err'] = error;
    else fields['error'] = messageOf(error);
    const key =
      code === ResponseCode.UnknownRoute ? 'unknown-route' : `${whereOf(failed)}:${code}:${nameOf(error)}`;
    this.#log(level, key, fields, failed.id === 0 ? 'notify failed' : 'request failed');
  }

  /** Logs a hook that threw (`errorHandler`, `globalErrorHandler`, an after filter): a server fault, with its stack. */
  hookFailed(hook: string, error: unknown, failed: FailedMessage): void {
    if (!this.#logger.isLevelEnabled('error')) return;
    this.#log(
      'error',
      `${hook}:${whereOf(failed)}:${nameOf(error)}`,
      { err: error, route: routeField(failed), uid: failed.session?.uid, hook },
      `${hook} failed`,
    );
  }

  /** Writes the counts of repeats still held back (at shutdown). */
  flush(): void {
    this.#repeats.flush();
  }

  #log(level: WriteLevel, key: string, fields: LogFields, message: string): void {
    this.#repeats.log(this.#logger, level, key, fields, message);
  }
}

function levelOf(error: unknown, code: number): WriteLevel {
  if (error instanceof BackendFailure) return 'debug';
  if (error instanceof RequestError) return code >= 500 ? 'warn' : 'debug';
  return 'error';
}

/** Where it failed, as the server names it: the handler's route, or `forwarded`. */
function whereOf(failed: FailedMessage): string {
  return failed.entry?.route ?? 'forwarded';
}

/** A bounded name of the error: its framework code, its class, or what was thrown. */
function nameOf(error: unknown): string {
  if (error instanceof ShaddockError) return error.code;
  if (error instanceof Error) return error.name;
  return typeof error;
}

function routeField(failed: FailedMessage): string {
  if (failed.entry !== undefined) return failed.entry.route;
  const route = String(failed.route);
  return route.length > MAX_UNKNOWN_ROUTE ? `${route.slice(0, MAX_UNKNOWN_ROUTE)}…` : route;
}
