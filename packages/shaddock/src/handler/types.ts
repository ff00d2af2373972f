import type { JsonObject, JsonValue } from '@shaddock/protocol';
import type { Kernel } from '../kernel/index.js';
import type { HandlerSession } from '../session/index.js';
import type { HandlerContext } from './handler-filters.js';

/**
 * One handler method, routed as `serverType.handler.method`: it gets the message body and the
 * session and answers the response body (a notify's answer is dropped). What it throws answers
 * `{ code, message }`: the error's numeric `code`, else 500.
 *
 * @example
 * const send: HandlerMethod<{ text: string }, { ok: boolean }> = async (message, session) => ({ ok: true });
 */
export type HandlerMethod<
  Message extends JsonObject = JsonObject,
  Response extends JsonObject | undefined = JsonObject | undefined,
> = (
  message: Message,
  session: HandlerSession,
  // biome-ignore lint/suspicious/noConfusingVoidType: a method that answers nothing is typed `void`, not `undefined`.
) => Promise<Response | void> | Response | void;

/**
 * A handler: an object whose own methods (own properties, or the methods of its class and the
 * classes it extends) are {@link HandlerMethod}s. `Object.prototype`'s names are never routes.
 */
export type Handler = object;

/**
 * How a handler is given: the object, a factory `(app) => handler`, or a class `new (app)`. The
 * factory's parameter is checked both ways, so a factory typed for the full `Application` fits.
 */
export type HandlerSource = Handler | AppFactory<Handler> | (new (app: Kernel) => Handler);

/** `(app) => T`, its parameter checked both ways (a method's), so `(app: Application) => T` fits too. */
export type AppFactory<T> = { make(app: Kernel): T }['make'];

/**
 * The `errorHandler` and `globalErrorHandler` settings: turns an error into a response body, or
 * returns `undefined` to answer the default `{ code, message }`.
 */
export type ErrorHandler = {
  // A method's parameters are checked both ways: a handler typed for object messages still fits.
  handle(
    error: unknown,
    message: JsonValue,
    session: HandlerSession,
    context: HandlerContext,
  ): JsonObject | undefined | Promise<JsonObject | undefined>;
}['handle'];
