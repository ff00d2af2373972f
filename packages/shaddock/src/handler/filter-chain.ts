import type { JsonObject } from '@shaddock/protocol';
import type { HandlerSession } from '../session/index.js';
import type { ClientMessage } from './client-message.js';
import { compose, type Middleware } from './compose.js';
import type { Failures } from './failure.js';
import type { HandlerFilter } from './handler-filters.js';
import { MessageContext } from './message-context.js';
import type { RouteParts } from './route.js';

/** A link of the handler chain: answers the response body, or `undefined` (no body). */
export type Link<Route extends RouteParts = RouteParts> = Middleware<
  MessageContext<Route>,
  JsonObject | undefined
>;

/**
 * A chain, or its last step: runs one message for its session on `route` (the handler method
 * here, or the parts of a forwarded route) and answers what a handler method answers, a value or
 * a promise of one, unchecked (the caller runs `checkResponse`); a failure throws or rejects.
 * `context` is the message's context when the chain has filters, else `undefined`.
 */
export type Step<Route extends RouteParts = RouteParts> = (
  message: ClientMessage,
  session: HandlerSession,
  route: Route,
  context: MessageContext<Route> | undefined,
) => unknown;

/** A {@link Step} that answers a promise of a checked response body: what a stage composes around. */
export type ChainStep<Route extends RouteParts = RouteParts> = (
  message: ClientMessage,
  session: HandlerSession,
  route: Route,
  context: MessageContext<Route> | undefined,
) => Promise<JsonObject | undefined>;

/**
 * Composes one stage of the message path, once per change of its filter lists: after filters
 * (outermost, so the last added runs first) → `recover` (turns what is thrown inside into an
 * error body, running an error handler) → before filters and wraps, in the order added → `last`.
 * With no link at all the stage is `last` itself: a route without filters costs nothing more than
 * its handler (or its forward).
 */
export function composeStage<Route extends RouteParts>(
  before: readonly HandlerFilter[],
  after: readonly HandlerFilter[],
  recover: Link<Route> | undefined,
  last: ChainStep<Route>,
  failures: Failures,
): ChainStep<Route> {
  const links: Link<Route>[] = [];
  for (const filter of after) if (filter.after) links.push(afterLink(filter, failures));
  if (recover !== undefined) links.push(recover);
  for (const filter of before) {
    if (filter.wrap) links.push(wrapLink(filter));
    if (filter.before) links.push(beforeLink(filter));
  }
  if (links.length === 0) return last;
  const chain = compose(links, (context: MessageContext<Route>) =>
    last(context.message, context.session, context.target, context),
  );
  // The pipeline makes the context of a message whose chain has filters; an inner stage reuses it.
  return (message, session, route, context) => chain(context ?? new MessageContext(message, session, route));
}

function wrapLink<Route extends RouteParts>(filter: HandlerFilter): Link<Route> {
  return (context, next) => filter.wrap!(context.body, context.session, context, next);
}

function beforeLink<Route extends RouteParts>(filter: HandlerFilter): Link<Route> {
  return async (context, next) => {
    await filter.before!(context.body, context.session, context);
    return next();
  };
}

function afterLink<Route extends RouteParts>(filter: HandlerFilter, failures: Failures): Link<Route> {
  return async (context, next) => {
    const response = await next();
    try {
      await filter.after!(context.error, context.body, context.session, response, context);
    } catch (error) {
      failures.hookFailed('after filter', error, context);
    }
    return response;
  };
}
