import type { JsonObject } from '@shaddock/protocol';

/**
 * A handler filter. `before` runs ahead of the handler and may refuse the message by throwing;
 * `after` runs behind it with the outcome. The handler pipeline of the frontend path runs them:
 * global filters on the frontend around the whole request, the others where the handler runs.
 */
export interface HandlerFilter<Session = unknown> {
  before?(message: JsonObject, session: Session): Promise<void> | void;
  after?(
    error: unknown,
    message: JsonObject,
    session: Session,
    response: JsonObject | undefined,
  ): Promise<void> | void;
}

/** The four filter lists an application holds, in the order they were added. */
export class HandlerFilters {
  readonly before: HandlerFilter[] = [];
  readonly after: HandlerFilter[] = [];
  readonly globalBefore: HandlerFilter[] = [];
  readonly globalAfter: HandlerFilter[] = [];
}
