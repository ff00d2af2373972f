import type { Component, Kernel } from '../kernel/index.js';
import type { HandlerFilters } from './handler-filters.js';
import { HandlerPipeline, type HandlerPipelineOptions } from './handler-pipeline.js';
import { createMessageRemote } from './message-remote.js';
import type { HandlerSource } from './types.js';

declare module '../kernel/index.js' {
  interface Services {
    /** The handlers of this server and the frontend path's filter chain. */
    handlers: HandlerPipeline;
    /** The application's handler filter lists (`app.before`, `app.after`, `app.globalBefore`, `app.globalAfter`). */
    handlerFilters: HandlerFilters;
  }
}

/** Options of {@link handlerComponent}. */
export interface HandlerComponentOptions extends HandlerPipelineOptions {
  /** Handlers registered in code (`app.registerHandler`), added after the handler folder's. */
  readonly handlers?: Iterable<readonly [string, HandlerSource]>;
}

/** The handler component: its pipeline is the `handlers` service. */
export interface HandlerComponent extends Component {
  readonly name: 'handler';
  readonly pipeline: HandlerPipeline;
  start(): Promise<void>;
  /** Writes the counts of repeated failures still held back in the log. */
  stop(): void;
}

/**
 * Provides the `handlers` service at once; on `start`, loads the handlers of `app.serverType`
 * from `app/servers/<type>/handler/` and those given in `options.handlers`, then offers them to
 * frontends as the system remote `messageRemote`. Load it after the RPC component (every server
 * but the master).
 */
export function handlerComponent(app: Kernel, options: HandlerComponentOptions = {}): HandlerComponent {
  const pipeline = new HandlerPipeline(app, options);
  app.services.provide('handlers', pipeline);
  return {
    name: 'handler',
    pipeline,
    async start() {
      await pipeline.load();
      for (const [name, handler] of options.handlers ?? []) pipeline.registerHandler(name, handler);
      app.services
        .get('remoteRegistry')
        .registerSystemRemote(app.serverType, 'messageRemote', createMessageRemote(pipeline));
    },
    stop() {
      pipeline.flushLog();
    },
  };
}
