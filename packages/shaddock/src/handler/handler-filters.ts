import type { JsonObject, JsonValue } from '@shaddock/protocol';

/** What filters and error handlers learn of the message they run for (Pinus's `routeRecord`, plus the id). */
export interface HandlerContext {
  /** The request id; 0 for a notify. */
  readonly id: number;
  /** `serverType.handler.method`. */
  readonly route: string;
  readonly serverType: string;
  readonly handler: string;
  readonly method: string;
}

/**
 * A handler filter. `before` runs ahead of the handler and may refuse the message by throwing
 * (what it throws becomes the error response); `after` runs behind it with the outcome and cannot
 * change it (what it throws is logged). The handler pipeline of the frontend path runs them:
 * global filters on the frontend around the whole request, the others where the handler runs.
 * Before filters run in the order they were added, after filters in the reverse order.
 *
 * `wrap` (in a before list) runs around the rest of the chain: the later before filters and the
 * handler. It calls `next()` at most once and answers what `next()` answers, or throws to fail the
 * message; answering without waiting for `next()` drops the handler's eventual result (a
 * timeout), and calling `next()` later queues the message (serial execution).
 */
export interface HandlerFilter<Session = unknown> {
  before?(message: JsonValue, session: Session, context: HandlerContext): Promise<void> | void;
  after?(
    error: unknown,
    message: JsonValue,
    session: Session,
    response: JsonObject | undefined,
    context: HandlerContext,
  ): Promise<void> | void;
  wrap?(
    message: JsonValue,
    session: Session,
    context: HandlerContext,
    next: () => Promise<JsonObject | undefined>,
  ): Promise<JsonObject | undefined>;
}

/** The four filter lists an application holds, in the order they were added. */
export class HandlerFilters {
  readonly before: HandlerFilter[] = [];
  readonly after: HandlerFilter[] = [];
  readonly globalBefore: HandlerFilter[] = [];
  readonly globalAfter: HandlerFilter[] = [];
}
