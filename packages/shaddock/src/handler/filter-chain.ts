import type { JsonObject } from '@shaddock/protocol';
import { compose, type Middleware } from './compose.js';
import { messageOf } from './error-body.js';
import type { HandlerFilter } from './handler-filters.js';
import type { MessageContext } from './message-context.js';
import type { HandlerLogger } from './types.js';

/** A link of the handler chain: answers the response body, or `undefined` (no body). */
export type Link = Middleware<MessageContext, JsonObject | undefined>;

/** A whole chain, or its last step. */
export type Step = (context: MessageContext) => Promise<JsonObject | undefined>;

/**
 * Composes one stage of the frontend path, once per change of its filter lists:
 * after filters (outermost, so the last added runs first) → `recover` (turns what is thrown
 * inside into an error body) → before filters and wraps, in the order added → `last`.
 */
export function composeStage(
  before: readonly HandlerFilter[],
  after: readonly HandlerFilter[],
  recover: Link,
  last: Step,
  logger: HandlerLogger,
): Step {
  const links: Link[] = [];
  for (const filter of after) if (filter.after) links.push(afterLink(filter, logger));
  links.push(recover);
  for (const filter of before) {
    if (filter.wrap) links.push(wrapLink(filter));
    if (filter.before) links.push(beforeLink(filter));
  }
  return compose(links, last);
}

function wrapLink(filter: HandlerFilter): Link {
  return (context, next) => filter.wrap!(context.body, context.session, context, next);
}

function beforeLink(filter: HandlerFilter): Link {
  return async (context, next) => {
    await filter.before!(context.body, context.session, context);
    return next();
  };
}

function afterLink(filter: HandlerFilter, logger: HandlerLogger): Link {
  return async (context, next) => {
    const response = await next();
    try {
      await filter.after!(context.error, context.body, context.session, response, context);
    } catch (error) {
      logger.warn(`an after filter failed on ${context.route}: ${messageOf(error)}`, error);
    }
    return response;
  };
}
