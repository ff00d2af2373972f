import path from 'node:path';
import type { JsonObject } from '@shaddock/protocol';
import { ErrorCode, ShaddockError } from '../errors.js';
import type { Kernel } from '../kernel/index.js';
import { loadRemotes } from '../rpc/index.js';
import type { HandlerSession, SessionData } from '../session/index.js';
import { checkResponse, errorBody, messageOf, responseCodeOf, unknownRoute } from './error-body.js';
import type { Link, Step } from './filter-chain.js';
import { composeStage } from './filter-chain.js';
import { backendFailure, forwardMessage, forwardToBackend } from './forward.js';
import { type HandlerEntry, HandlerTable, instantiateHandler } from './handler-table.js';
import { MessageContext } from './message-context.js';
import type { ForwardedMessage, ForwardedResponse } from './message-remote.js';
import { parseRoute, type RouteParts } from './route.js';
import { consoleHandlerLogger, type ErrorHandler, type HandlerLogger, type HandlerSource } from './types.js';

/** Options of {@link HandlerPipeline}. */
export interface HandlerPipelineOptions {
  /** Where failed notifies and failing after filters are reported (default `console.warn`). */
  readonly logger?: HandlerLogger;
  /** Makes the session a forwarded message runs with (default: the `backendSessionService`'s `create`). */
  readonly createSession?: (data: SessionData) => HandlerSession;
}

/** A message as the connector hands it over. */
export interface ClientMessage {
  /** The request id; 0 for a notify. */
  readonly id: number;
  readonly route: string;
  readonly body: JsonObject;
}

interface Chains {
  /** No filter at all: a local handler runs bare. */
  readonly bare: boolean;
  /** No before/after filter: a forwarded message's handler runs bare. */
  readonly bareRoute: boolean;
  /** after filters → errorHandler → before filters → handler. */
  readonly local: Step;
  /** global after → globalErrorHandler → global before → local or forward. */
  readonly global: Step;
}

/**
 * The handlers of this server and the way messages reach them (service `handlers`). On a
 * frontend, `handleClientMessage` runs global before filters → (the route's type is this one ?
 * before filters → handler → after filters : forward to a server of that type) → global after
 * filters; a backend runs forwarded messages' before filters → handler → after filters in
 * `handleForwarded`. Failures become `{ code, message }` bodies, never rejections. The chains are
 * composed once per change of the application's filter lists; with no filter, a local handler runs
 * with no allocation beyond its own promise.
 */
export class HandlerPipeline {
  readonly #app: Kernel;
  readonly #table: HandlerTable;
  readonly #logger: HandlerLogger;
  readonly #createSession: (data: SessionData) => HandlerSession;
  #chains: Chains | undefined;
  /** The filter lists' lengths the chains were composed for. */
  readonly #sizes = [-1, -1, -1, -1];

  constructor(app: Kernel, options: HandlerPipelineOptions = {}) {
    this.#app = app;
    this.#table = new HandlerTable(app.serverType);
    this.#logger = options.logger ?? consoleHandlerLogger;
    this.#createSession =
      options.createSession ?? ((data) => app.services.get('backendSessionService').create(data));
  }

  /** Adds a handler of this server type: an object, a class or a factory (called with the app). Throws `HandlerInvalid`. */
  registerHandler(name: string, handler: HandlerSource): void {
    this.#table.register(name, instantiateHandler(name, handler, this.#app));
  }

  /** Loads `app/servers/<type>/handler/*.{js,ts}` (default folder), each file's default export a handler named after the file. */
  async load(folder = handlerFolder(this.#app.appDir, this.#app.serverType)): Promise<void> {
    for (const [name, handler] of await loadHandlerFolder(folder, this.#app))
      this.#table.register(name, handler);
  }

  /** Every `type.handler.method` route of this server type. */
  routes(): readonly string[] {
    return this.#table.routes();
  }

  /** Frontend entry. Never rejects; resolves `undefined` for a notify (id 0), whose failures are logged. */
  handleClientMessage(session: HandlerSession, message: ClientMessage): Promise<JsonObject | undefined> {
    const chains = this.#currentChains();
    const entry = this.#table.find(message.route);
    if (entry !== undefined && chains.bare) return this.#runBare(entry, message, session);
    const parts = entry ?? parseRoute(message.route);
    if (parts === undefined || (entry === undefined && parts.serverType === this.#app.serverType)) {
      return Promise.resolve(this.#refuse(message, unknownRoute(message.route)));
    }
    if (entry === undefined && chains.bare) return this.#forwardBare(parts, message, session);
    const context = new MessageContext(message.id, message.route, parts, message.body, session, entry);
    return chains.global(context).then(
      (body) => this.#finish(context, body),
      (error: unknown) => this.#finish(context, errorBody(error), error),
    );
  }

  /** Backend entry, behind `messageRemote.forwardMessage`. Never rejects. */
  async handleForwarded(message: ForwardedMessage, data: SessionData): Promise<ForwardedResponse> {
    const entry = this.#table.find(message.route);
    if (entry === undefined) return failedReply(message.id, unknownRoute(message.route));
    let session: HandlerSession;
    try {
      session = this.#createSession(data);
    } catch (error) {
      return failedReply(message.id, error);
    }
    const chains = this.#currentChains();
    if (chains.bareRoute) return this.#runForwardedBare(entry, message, session);
    const context = new MessageContext(message.id, message.route, entry, message.body, session, entry);
    let body: JsonObject | undefined;
    try {
      body = await chains.local(context);
    } catch (error) {
      context.error = error;
      context.failed = true;
      body = errorBody(error);
    }
    return reply(context, body);
  }

  async #runForwardedBare(
    entry: HandlerEntry,
    message: ForwardedMessage,
    session: HandlerSession,
  ): Promise<ForwardedResponse> {
    try {
      const response = checkResponse(
        await entry.call.call(entry.instance, message.body, session),
        entry.route,
      );
      return { response: message.id === 0 ? undefined : response };
    } catch (error) {
      const context = new MessageContext(message.id, message.route, entry, message.body, session, entry);
      context.error = error;
      return reply(context, await this.#recover(context, errorBody(error), 'errorHandler'));
    }
  }

  async #runBare(
    entry: HandlerEntry,
    message: ClientMessage,
    session: HandlerSession,
  ): Promise<JsonObject | undefined> {
    try {
      const response = checkResponse(
        await entry.call.call(entry.instance, message.body, session),
        entry.route,
      );
      return message.id === 0 ? undefined : (response ?? {});
    } catch (error) {
      const context = new MessageContext(message.id, message.route, entry, message.body, session, entry);
      context.error = error;
      let body = await this.#recover(context, errorBody(error), 'errorHandler');
      if (context.failed) body = await this.#recover(context, body, 'globalErrorHandler');
      return this.#finish(context, body);
    }
  }

  /** A message for a backend with no filter anywhere: no context unless it fails. */
  async #forwardBare(
    parts: RouteParts,
    message: ClientMessage,
    session: HandlerSession,
  ): Promise<JsonObject | undefined> {
    let answer: ForwardedResponse;
    try {
      answer = await forwardToBackend(this.#app, parts.serverType, message, session);
    } catch (error) {
      return this.#forwardFailed(parts, message, session, error, errorBody(error));
    }
    const { response, error } = answer;
    if (error === undefined) return message.id === 0 ? undefined : (response ?? {});
    const failure = backendFailure(error);
    return this.#forwardFailed(parts, message, session, failure, response ?? errorBody(failure));
  }

  /** A failed bare forward: the global error handler may still answer it, as in the full chain. */
  async #forwardFailed(
    parts: RouteParts,
    message: ClientMessage,
    session: HandlerSession,
    error: unknown,
    fallback: JsonObject,
  ): Promise<JsonObject | undefined> {
    const context = new MessageContext(message.id, message.route, parts, message.body, session, undefined);
    context.error = error;
    return this.#finish(context, await this.#recover(context, fallback, 'globalErrorHandler'));
  }

  /** Runs the error handler named `setting`: its body answers; without one the fallback does and the message stays failed. */
  async #recover(context: MessageContext, fallback: JsonObject, setting: string): Promise<JsonObject> {
    const handler = this.#app.get<ErrorHandler>(setting);
    if (typeof handler === 'function') {
      try {
        const body = await handler(context.error, context.body, context.session, context);
        if (body !== undefined && body !== null) {
          context.failed = false;
          return body;
        }
      } catch (error) {
        this.#logger.warn(`${setting} failed on ${context.route}: ${messageOf(error)}`, error);
      }
    }
    context.failed = true;
    return fallback;
  }

  #finish(context: MessageContext, body: JsonObject | undefined, thrown?: unknown): JsonObject | undefined {
    if (thrown !== undefined) {
      context.error = thrown;
      context.failed = true;
    }
    if (context.id !== 0) return body ?? {};
    if (context.failed)
      this.#logger.warn(`notify ${context.route} failed: ${messageOf(context.error)}`, context.error);
    return undefined;
  }

  #refuse(message: ClientMessage, error: ShaddockError): JsonObject | undefined {
    if (message.id !== 0) return errorBody(error);
    this.#logger.warn(`notify ${String(message.route)} refused: ${error.message}`);
    return undefined;
  }

  #currentChains(): Chains {
    const { before, after, globalBefore, globalAfter } = this.#app.services.get('handlerFilters');
    const sizes = this.#sizes;
    if (
      this.#chains !== undefined &&
      sizes[0] === before.length &&
      sizes[1] === after.length &&
      sizes[2] === globalBefore.length &&
      sizes[3] === globalAfter.length
    ) {
      return this.#chains;
    }
    return this.#compose();
  }

  #compose(): Chains {
    const { before, after, globalBefore, globalAfter } = this.#app.services.get('handlerFilters');
    const recoverLocal: Link = async (context, next) => {
      try {
        return await next();
      } catch (error) {
        context.error = error;
        return this.#recover(context, errorBody(error), 'errorHandler');
      }
    };
    const recoverGlobal: Link = async (context, next) => {
      let body: JsonObject | undefined;
      try {
        body = await next();
      } catch (error) {
        context.error = error;
        context.failed = true;
        body = errorBody(error);
      }
      return context.failed
        ? this.#recover(context, body ?? errorBody(context.error), 'globalErrorHandler')
        : body;
    };
    const invoke: Step = async (context) => {
      const entry = context.entry!;
      return checkResponse(await entry.call.call(entry.instance, context.body, context.session), entry.route);
    };
    const local = composeStage(before, after, recoverLocal, invoke, this.#logger);
    const dispatch: Step = (context) => (context.entry ? local(context) : forwardMessage(this.#app, context));
    const global = composeStage(globalBefore, globalAfter, recoverGlobal, dispatch, this.#logger);
    const bareRoute = before.length === 0 && after.length === 0;
    this.#chains = {
      bare: bareRoute && globalBefore.length === 0 && globalAfter.length === 0,
      bareRoute,
      local,
      global,
    };
    this.#sizes.splice(0, 4, before.length, after.length, globalBefore.length, globalAfter.length);
    return this.#chains;
  }
}

/** `app/servers/<type>/handler` under `base`. */
export function handlerFolder(base: string, serverType: string): string {
  return path.join(base, 'app', 'servers', serverType, 'handler');
}

/** Loads a handler folder with the RPC remote loader (same file rules, same default-export shapes). */
export async function loadHandlerFolder(folder: string, context: unknown): Promise<Map<string, object>> {
  try {
    return await loadRemotes(folder, { context });
  } catch (cause) {
    throw new ShaddockError(
      ErrorCode.HandlerInvalid,
      `cannot load the handlers in ${folder}: ${messageOf(cause)}`,
      { cause },
    );
  }
}

function reply(context: MessageContext, body: JsonObject | undefined): ForwardedResponse {
  const response = context.id === 0 ? undefined : body;
  if (!context.failed) return { response };
  return { response, error: { code: responseCodeOf(context.error), message: messageOf(context.error) } };
}

function failedReply(id: number, error: unknown): ForwardedResponse {
  const body = errorBody(error);
  return {
    response: id === 0 ? undefined : body,
    error: { code: responseCodeOf(error), message: messageOf(error) },
  };
}
