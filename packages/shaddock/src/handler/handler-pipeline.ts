import path from 'node:path';
import type { JsonObject } from '@shaddock/protocol';
import { ErrorCode, ShaddockError } from '../errors.js';
import type { Kernel } from '../kernel/index.js';
import type { Logger } from '../logging/index.js';
import { loadRemotes } from '../rpc/index.js';
import type { HandlerSession, SessionData } from '../session/index.js';
import type { ClientMessage } from './client-message.js';
import { checkResponse, messageOf, unknownRoute } from './error-body.js';
import { bodyOfFailure, Failures } from './failure.js';
import { type ChainStep, composeStage, type Link, type Step } from './filter-chain.js';
import { forwardMessage } from './forward.js';
import { type HandlerEntry, HandlerTable, instantiateHandler } from './handler-table.js';
import { MessageContext } from './message-context.js';
import type { ForwardedResponse } from './message-remote.js';
import { parseRoute, type RouteParts } from './route.js';
import type { ErrorHandler, HandlerSource } from './types.js';

/** Options of {@link HandlerPipeline}. */
export interface HandlerPipelineOptions {
  /** Where failures are logged (default `app.logger`); lines carry `{ category: 'handler' }`. */
  readonly logger?: Logger;
  /** Makes the session a forwarded message runs with (default: the `backendSessionService`'s `create`). */
  readonly createSession?: (data: SessionData) => HandlerSession;
}

/** The settings naming the two error handlers. */
type ErrorHandlerSetting = 'errorHandler' | 'globalErrorHandler';

/** A composed chain and what running it takes. */
interface Chain<Route extends RouteParts> {
  readonly step: Step<Route>;
  /** It has filters: the message gets a `MessageContext` before it runs. */
  readonly filtered: boolean;
  /** The error handlers the chain does not run itself, for a message that comes out of it failed, in order. */
  readonly errorHandlers: readonly ErrorHandlerSetting[];
}

interface Chains {
  /** A client's message for a handler here: global filters → filters → handler. */
  readonly local: Chain<HandlerEntry>;
  /** A client's message for another server type: global filters → forward. */
  readonly forward: Chain<RouteParts>;
  /** A message a frontend forwarded here: filters → handler. */
  readonly backend: Chain<HandlerEntry>;
}

/** How one run ends: the response body (for a failed message, its body by now), and the context if it has one. */
type Finish<Result> = (
  message: ClientMessage,
  body: JsonObject | undefined,
  context: MessageContext | undefined,
) => Result;

/**
 * The handlers of this server and the way messages reach them (service `handlers`). On a
 * frontend, `handleClientMessage` runs global before filters → (the route's type is this one ?
 * before filters → handler → after filters : forward to a server of that type) → global after
 * filters; a backend runs forwarded messages' before filters → handler → after filters in
 * `handleForwarded`. Every message runs the same way ({@link HandlerPipeline.run}): its chain,
 * composed once per change of the application's filter lists (a chain without filters is the
 * handler call or the forward itself), then, if it failed, the error handlers the chain did not
 * run, then one log line and the error body ({@link Failures}). Failures become `{ code, message }`
 * bodies, never rejections.
 */
export class HandlerPipeline {
  readonly #app: Kernel;
  readonly #table: HandlerTable;
  readonly #failures: Failures;
  readonly #createSession: (data: SessionData) => HandlerSession;
  #chains: Chains | undefined;
  /** The filter lists' lengths the chains were composed for. */
  readonly #sizes = [-1, -1, -1, -1];

  constructor(app: Kernel, options: HandlerPipelineOptions = {}) {
    this.#app = app;
    this.#table = new HandlerTable(app.serverType);
    this.#failures = new Failures(
      (options.logger ?? app.logger).child({ category: 'handler' }),
      app.env === 'production',
    );
    this.#createSession =
      options.createSession ?? ((data) => app.services.get('backendSessionService').create(data));
  }

  /** Adds a handler of this server type: an object, a class or a factory (called with the app). Throws `HandlerInvalid`. */
  registerHandler(name: string, handler: HandlerSource): void {
    this.#table.register(name, instantiateHandler(name, handler, this.#app));
  }

  /** Loads `app/servers/<type>/handler/*.{js,ts}` (default folder), each file's default export a handler named after the file. */
  async load(folder = handlerFolder(this.#app.appDir, this.#app.serverType)): Promise<void> {
    const loader = this.#app.services.find('serverFolderLoader');
    const handlers = loader ? await loader(folder, 'handler') : await loadHandlerFolder(folder, this.#app);
    for (const [name, handler] of handlers) this.#table.register(name, handler);
  }

  /** Every `type.handler.method` route of this server type. */
  routes(): readonly string[] {
    return this.#table.routes();
  }

  /** Frontend entry. Never rejects; resolves `undefined` for a notify (id 0), whose failures are logged. */
  handleClientMessage(session: HandlerSession, message: ClientMessage): Promise<JsonObject | undefined> {
    const chains = this.#currentChains();
    const entry = this.#table.find(message.route);
    if (entry !== undefined) return this.#run(chains.local, message, session, entry, toClient);
    const parts = parseRoute(message.route);
    if (parts === undefined || parts.serverType === this.#app.serverType) {
      const error = unknownRoute(message.route);
      this.#failures.report(error, { id: message.id, route: message.route, session, entry: undefined });
      return Promise.resolve(message.id === 0 ? undefined : this.#failures.body(error));
    }
    return this.#run(chains.forward, message, session, parts, toClient);
  }

  /** Backend entry, behind `messageRemote.forwardMessage`. Never rejects. */
  async handleForwarded(message: ClientMessage, data: SessionData): Promise<ForwardedResponse> {
    const entry = this.#table.find(message.route);
    let session: HandlerSession | undefined;
    try {
      if (entry === undefined) throw unknownRoute(message.route);
      session = this.#createSession(data);
    } catch (error) {
      this.#failures.report(error, { id: message.id, route: message.route, session, entry });
      const body = this.#failures.body(error);
      return { response: message.id === 0 ? undefined : body, error: body };
    }
    return this.#run(this.#currentChains().backend, message, session, entry, this.#toFrontend);
  }

  /** Writes the counts of repeated failures the log still holds back (at shutdown). */
  flushLog(): void {
    this.#failures.flush();
  }

  /**
   * Runs one message: its chain, then for a failed message the error handlers the chain lacks,
   * one log line if none answered, and the error body. With no filter there is no context unless
   * the message fails, and no promise but this function's and the handler's.
   */
  async #run<Route extends RouteParts, Result>(
    chain: Chain<Route>,
    message: ClientMessage,
    session: HandlerSession,
    route: Route,
    finish: Finish<Result>,
  ): Promise<Result> {
    let context = chain.filtered ? new MessageContext(message, session, route) : undefined;
    let body: JsonObject | undefined;
    try {
      body = checkResponse(await chain.step(message, session, route, context), message.route);
      if (context === undefined || !context.failed) return finish(message, body, context);
    } catch (error) {
      context ??= new MessageContext(message, session, route);
      context.error = error;
      context.failed = true;
      body = bodyOfFailure(error);
    }
    for (const setting of chain.errorHandlers) {
      if (!context.failed) break;
      body = await this.#recover(context, body, setting);
    }
    if (context.failed) {
      this.#failures.report(context.error, context);
      body ??= this.#failures.body(context.error);
    }
    return finish(message, body, context);
  }

  /**
   * Runs the error handler named `setting` for a failed message: its body answers and the message
   * is no longer failed; without one (or if it answers nothing, or throws) the message stays
   * failed and answers `fallback`, else the error body.
   */
  async #recover(
    context: MessageContext,
    fallback: JsonObject | undefined,
    setting: ErrorHandlerSetting,
  ): Promise<JsonObject> {
    const handler = this.#app.get<ErrorHandler>(setting);
    if (typeof handler === 'function') {
      try {
        const body = await handler(context.error, context.body, context.session, context);
        if (body !== undefined && body !== null) {
          context.failed = false;
          return body;
        }
      } catch (error) {
        this.#failures.hookFailed(setting, error, context);
      }
    }
    context.failed = true;
    return fallback ?? this.#failures.body(context.error);
  }

  /** The link that turns what fails inside a stage into an error body, running the stage's error handler. */
  #recoverLink<Route extends RouteParts>(setting: ErrorHandlerSetting): Link<Route> {
    return async (context, next) => {
      let body: JsonObject | undefined;
      try {
        body = await next();
      } catch (error) {
        context.error = error;
        context.failed = true;
        body = bodyOfFailure(error);
      }
      return context.failed ? this.#recover(context, body, setting) : body;
    };
  }

  readonly #toFrontend: Finish<ForwardedResponse> = (message, body, context) => {
    const response = message.id === 0 ? undefined : body;
    if (context === undefined || !context.failed) return { response };
    return { response, error: this.#failures.body(context.error) };
  };

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
    const failures = this.#failures;
    const hasLocal = before.length > 0 || after.length > 0;
    const hasGlobal = globalBefore.length > 0 || globalAfter.length > 0;
    // Run bare, a handler's answer is checked by `#run`; inside filters, before after filters see it.
    const invoke: Step<HandlerEntry> = (message, session, entry) =>
      entry.call.call(entry.instance, message.body, session);
    const invokeChecked: ChainStep<HandlerEntry> = async (message, session, entry) =>
      checkResponse(await entry.call.call(entry.instance, message.body, session), entry.route);
    const forward: ChainStep<RouteParts> = (message, session, parts, context) =>
      forwardMessage(this.#app, parts.serverType, message, session, context);
    const filteredLocal = hasLocal
      ? composeStage(before, after, this.#recoverLink('errorHandler'), invokeChecked, failures)
      : undefined;
    const backend: Chain<HandlerEntry> = {
      step: filteredLocal ?? invoke,
      filtered: hasLocal,
      errorHandlers: hasLocal ? [] : ['errorHandler'],
    };
    if (!hasGlobal) {
      this.#chains = {
        backend,
        local: { ...backend, errorHandlers: [...backend.errorHandlers, 'globalErrorHandler'] },
        forward: { step: forward, filtered: false, errorHandlers: ['globalErrorHandler'] },
      };
    } else {
      // Global filters see a message that failed where it ran as its error body (a local handler's
      // is recovered inside, a backend's comes marked failed), as after filters do.
      const recoverGlobal = this.#recoverLink('globalErrorHandler');
      const local =
        filteredLocal ?? composeStage([], [], this.#recoverLink('errorHandler'), invokeChecked, failures);
      this.#chains = {
        backend,
        local: {
          step: composeStage(globalBefore, globalAfter, recoverGlobal, local, failures),
          filtered: true,
          errorHandlers: [],
        },
        forward: {
          step: composeStage(globalBefore, globalAfter, recoverGlobal, forward, failures),
          filtered: true,
          errorHandlers: [],
        },
      };
    }
    this.#sizes.splice(0, 4, before.length, after.length, globalBefore.length, globalAfter.length);
    return this.#chains;
  }
}

/** A client's answer: nothing for a notify, `{}` for a request answered with nothing. */
function toClient(message: ClientMessage, body: JsonObject | undefined): JsonObject | undefined {
  return message.id === 0 ? undefined : (body ?? {});
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
