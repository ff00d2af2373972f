import type { JsonValue } from '@shaddock/protocol';
import type { HandlerSession } from '../session/index.js';
import type { ClientMessage } from './client-message.js';
import type { HandlerContext } from './handler-filters.js';
import type { HandlerEntry } from './handler-table.js';
import type { RouteParts } from './route.js';

/**
 * One message on its way through a chain with filters: what filters see as their `context`, plus
 * the message, its session, its route and how it is going. Made once per message where filters
 * run, or when a message fails (for the error handlers); a route with no filters runs without one.
 */
export class MessageContext<Route extends RouteParts = RouteParts> implements HandlerContext {
  readonly message: ClientMessage;
  readonly id: number;
  readonly route: string;
  readonly serverType: string;
  readonly handler: string;
  readonly method: string;
  readonly body: JsonValue;
  readonly session: HandlerSession;
  /** Where the message runs: the handler method here, or the parts of a forwarded route. */
  readonly target: Route;
  /** The handler method here, or `undefined` when the message is forwarded. */
  readonly entry: HandlerEntry | undefined;
  /** What failed the message, for after filters and error handlers (kept when an error handler answered). */
  error: unknown = undefined;
  /** The answer is the default error body: no error handler turned the error into a response. */
  failed = false;

  constructor(message: ClientMessage, session: HandlerSession, target: Route) {
    this.message = message;
    this.id = message.id;
    this.route = message.route;
    this.serverType = target.serverType;
    this.handler = target.handler;
    this.method = target.method;
    this.body = message.body;
    this.session = session;
    this.target = target;
    this.entry = 'instance' in target ? (target as unknown as HandlerEntry) : undefined;
  }
}
