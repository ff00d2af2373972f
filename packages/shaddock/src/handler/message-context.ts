import type { JsonObject } from '@shaddock/protocol';
import type { HandlerSession } from '../session/index.js';
import type { HandlerContext } from './handler-filters.js';
import type { HandlerEntry } from './handler-table.js';
import type { RouteParts } from './route.js';

/**
 * One message on its way through the chain: what filters see as their `context`, plus its body,
 * its session and how it is going. Made only where filters or an error need it.
 */
export class MessageContext implements HandlerContext {
  readonly id: number;
  readonly route: string;
  readonly serverType: string;
  readonly handler: string;
  readonly method: string;
  readonly body: JsonObject;
  readonly session: HandlerSession;
  /** The handler method here, or `undefined` when the message is forwarded. */
  readonly entry: HandlerEntry | undefined;
  /** What failed the message, for after filters and error handlers (kept when an error handler answered). */
  error: unknown = undefined;
  /** The answer is the default error body: no error handler turned the error into a response. */
  failed = false;

  constructor(
    id: number,
    route: string,
    parts: RouteParts,
    body: JsonObject,
    session: HandlerSession,
    entry: HandlerEntry | undefined,
  ) {
    this.id = id;
    this.route = route;
    this.serverType = parts.serverType;
    this.handler = parts.handler;
    this.method = parts.method;
    this.body = body;
    this.session = session;
    this.entry = entry;
  }
}
