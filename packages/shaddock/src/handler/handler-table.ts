import type { JsonValue } from '@shaddock/protocol';
import { ErrorCode, ShaddockError } from '../errors.js';
import { RemoteRegistry } from '../rpc/index.js';
import type { HandlerSession } from '../session/index.js';
import { isReservedName, type RouteParts } from './route.js';
import type { Handler, HandlerSource } from './types.js';

/** One routable handler method, resolved once at registration. */
export interface HandlerEntry extends RouteParts {
  readonly route: string;
  readonly instance: object;
  readonly call: (this: unknown, message: JsonValue, session: HandlerSession) => unknown;
}

/**
 * The handlers of one server type and their routes. Which methods a handler offers is decided the
 * way remotes' are (the RPC `RemoteRegistry` lists them: own enumerable functions and the class
 * prototype chain up to `Object.prototype`), minus every `Object.prototype` name and any name
 * holding a dot. Lookups are one `Map.get` by the full route.
 */
export class HandlerTable {
  readonly serverType: string;
  readonly #methods = new RemoteRegistry();
  readonly #entries = new Map<string, HandlerEntry>();
  #routes: readonly string[] | undefined;

  constructor(serverType: string) {
    this.serverType = serverType;
  }

  /** Adds a handler object under `name`. Throws `HandlerInvalid` on a bad name, a duplicate or a non-object. */
  register(name: string, handler: Handler): void {
    if (typeof name !== 'string' || name === '' || name.includes('.') || isReservedName(name)) {
      throw new ShaddockError(ErrorCode.HandlerInvalid, `"${String(name)}" cannot name a handler`);
    }
    if (typeof handler !== 'object' || handler === null) {
      throw new ShaddockError(
        ErrorCode.HandlerInvalid,
        `handler ${this.serverType}.${name} is not an object`,
      );
    }
    if (this.#methods.remoteNames('user', this.serverType).includes(name)) {
      throw new ShaddockError(
        ErrorCode.HandlerInvalid,
        `handler ${this.serverType}.${name} is already registered`,
      );
    }
    this.#methods.registerRemote(this.serverType, name, handler);
    for (const method of this.#methods.methodNames('user', this.serverType, name)) {
      if (method.includes('.') || isReservedName(method)) continue;
      const found = this.#methods.find('user', this.serverType, name, method);
      if (found === undefined) continue;
      const route = `${this.serverType}.${name}.${method}`;
      this.#entries.set(route, {
        route,
        serverType: this.serverType,
        handler: name,
        method,
        instance: found.instance,
        call: found.method,
      });
    }
    this.#routes = undefined;
  }

  /** The handler method of a full route, or `undefined`. */
  find(route: string): HandlerEntry | undefined {
    return this.#entries.get(route);
  }

  /** Every route, in registration order. */
  routes(): readonly string[] {
    this.#routes ??= Object.freeze([...this.#entries.keys()]);
    return this.#routes;
  }
}

/**
 * Makes a handler from what `registerHandler` was given: the object itself, a class (constructed
 * with `context`) or a factory (called with it). A factory must answer the handler itself: async
 * factories belong in the handler folder, which the loader awaits.
 */
export function instantiateHandler(name: string, source: HandlerSource, context: unknown): Handler {
  let handler: unknown = source;
  if (typeof source === 'function') {
    handler = Function.prototype.toString.call(source).startsWith('class')
      ? new (source as new (context: unknown) => unknown)(context)
      : (source as (context: unknown) => unknown)(context);
  }
  if (
    typeof handler !== 'object' ||
    handler === null ||
    typeof (handler as { then?: unknown }).then === 'function'
  ) {
    throw new ShaddockError(
      ErrorCode.HandlerInvalid,
      `handler ${name}: give an object, a class, or a factory that returns the handler (not a promise)`,
    );
  }
  return handler;
}
