import type { JsonObject } from '@shaddock/protocol';
import { ErrorCode, ShaddockError } from '../errors.js';
import { type Blacklist, IpBlacklist } from './blacklist.js';
import {
  CloseReason,
  type ConnectionContext,
  type ConnectorHandlers,
  type ConnectorSessions,
} from './connection-context.js';
import type { ConnectorSettings } from './connector-config.js';
import type { FrontendCodec } from './frontend-codec.js';
import { HybridServer } from './hybrid-server.js';
import { PomeloConnection } from './pomelo-connection.js';
import { createPushScheduler, type PushScheduler } from './push-scheduler.js';
import type { ClientTransport } from './transport.js';

/** A push target: a session (or anything with the session's id, which is its connection's id). */
export interface PushTarget {
  readonly id: number;
}

/**
 * The frontend's connector, as other parts of the server use it (service `connector`): encode a
 * push once, hand the same bytes to many sessions, manage the blacklist.
 *
 * @example
 * const connector = app.services.get('connector');
 * connector.send(connector.encodePush('onChat', { text: 'hi' }), sessions);
 */
export interface Connector {
  /** A push package (dictionary route, protobuf body when a proto exists), encoded ONCE for every target. */
  encodePush(route: string, body: JsonObject): Uint8Array;
  /** Writes `packageBytes` to each session's connection through the push scheduler; closed or unknown sessions are skipped. */
  send(packageBytes: Uint8Array, sessions: Iterable<PushTarget>): void;
  readonly blacklist: Blacklist;
  /** Client connections open now, handshaken or not. */
  readonly connectionCount: number;
  /** The port clients connect to, once listening (the one the OS chose when `clientPort` is 0). */
  readonly port: number | undefined;
}

/** What a {@link ConnectorServer} works with; the component takes them from the app's services. */
export interface ConnectorServerOptions<S extends PushTarget> {
  readonly sessions: ConnectorSessions<S>;
  readonly handlers: ConnectorHandlers;
  /** Failures of the server's own (never a client's bad input). */
  readonly report: (error: unknown) => void;
}

/** Where and how a {@link ConnectorServer} listens. */
export interface ConnectorStartOptions {
  readonly settings: ConnectorSettings;
  readonly codec: FrontendCodec;
  readonly port: number;
  readonly host: string | undefined;
}

/** The clock of silence and handshake timeouts: one interval for every connection. */
const MIN_SWEEP_MS = 25;
const MAX_SWEEP_MS = 5000;

/**
 * The hybrid connector of one frontend: listens, runs each client's {@link PomeloConnection},
 * pushes through the scheduler, sweeps silent clients, and stops.
 */
export class ConnectorServer<S extends PushTarget> implements Connector {
  readonly blacklist = new IpBlacklist();
  readonly #connections = new Map<number, PomeloConnection<S>>();
  #scheduler: PushScheduler | undefined;
  #context: ConnectionContext<S> | undefined;
  #server: HybridServer | undefined;
  #sweepTimer: ReturnType<typeof setInterval> | undefined;
  #silenceSweeps = 0;
  #handshakeSweeps = 1;
  #nextId = 1;
  #inflight = 0;
  #port: number | undefined;
  #drained: (() => void) | undefined;

  get port(): number | undefined {
    return this.#port;
  }

  get connectionCount(): number {
    return this.#connections.size;
  }

  /** Messages in the handlers now, every connection counted. */
  get inflight(): number {
    return this.#inflight;
  }

  encodePush(route: string, body: JsonObject): Uint8Array {
    const context = this.#context;
    if (context === undefined) {
      throw new ShaddockError(
        ErrorCode.ConnectorNotStarted,
        'the connector encodes pushes once it has started',
      );
    }
    try {
      return context.codec.encodePush(route, body);
    } catch (cause) {
      const reason = cause instanceof Error ? cause.message : String(cause);
      throw new ShaddockError(
        ErrorCode.ConnectorEncodeFailed,
        `push "${route}" cannot be encoded: ${reason}`,
        {
          cause,
        },
      );
    }
  }

  send(packageBytes: Uint8Array, sessions: Iterable<PushTarget>): void {
    const connections = this.#connections;
    const scheduler = this.#scheduler;
    if (scheduler === undefined) return;
    for (const session of sessions) {
      const connection = connections.get(session.id);
      if (connection !== undefined) scheduler.push(packageBytes, connection);
    }
  }

  /** Starts listening; resolves with the port (the one the OS chose for port 0). */
  async start(services: ConnectorServerOptions<S>, options: ConnectorStartOptions): Promise<number> {
    const { settings, codec, port, host } = options;
    const { report } = services;
    this.blacklist.addPatterns(settings.blacklist);
    this.#scheduler = createPushScheduler(settings.pushScheduler);
    this.#context = {
      settings,
      codec: codec.codec,
      handshake: codec.handshake,
      sessions: services.sessions,
      handlers: services.handlers,
      report,
      closed: (id) => this.#connections.delete(id),
      inflight: (delta) => {
        this.#inflight += delta;
        if (this.#inflight === 0) this.#drained?.();
      },
    };
    const server = new HybridServer(settings, {
      refuses: (ip) => !this.blacklist.empty && this.blacklist.has(ip),
      onTransport: (transport, first) => this.#accept(transport, first),
      report,
    });
    this.#server = server;
    try {
      this.#port = await server.listen(port, host);
    } catch (error) {
      server.close();
      throw error;
    }
    this.#startSweeping(settings);
    return this.#port;
  }

  /** Stops accepting clients, then waits (up to `deadlineMs`) for the messages in the handlers. */
  async drain(deadlineMs: number): Promise<void> {
    this.#server?.stopAccepting();
    if (this.#inflight === 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, deadlineMs);
      this.#drained = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.#drained = undefined;
  }

  /** Kicks every client with `'server stopping'` (dropped at once when `force`), then closes the server. */
  async stop(force: boolean): Promise<void> {
    this.#server?.close();
    clearInterval(this.#sweepTimer);
    const connections = [...this.#connections.values()];
    const gone = connections.map((connection) => connection.whenClosed());
    this.#scheduler?.flush();
    for (const connection of connections) {
      connection.kick(CloseReason.ServerStopping);
      if (force) connection.terminate();
    }
    this.#scheduler?.close();
    await Promise.all(gone);
  }

  #accept(transport: ClientTransport, first: Uint8Array | undefined): void {
    const context = this.#context;
    if (context === undefined) {
      transport.destroy();
      return;
    }
    const connection = new PomeloConnection<S>(this.#nextId++, transport, context);
    const limit = context.settings.maxConnections;
    if (limit > 0 && this.#connections.size >= limit) {
      connection.start();
      connection.kick(CloseReason.ServerFull);
      return;
    }
    this.#connections.set(connection.id, connection);
    connection.start(first);
  }

  #startSweeping(settings: ConnectorSettings): void {
    const { timeoutMs, handshakeTimeoutMs } = settings;
    const shortest = timeoutMs > 0 ? Math.min(timeoutMs, handshakeTimeoutMs) : handshakeTimeoutMs;
    const sweepMs = Math.min(MAX_SWEEP_MS, Math.max(MIN_SWEEP_MS, Math.floor(shortest / 4)));
    this.#silenceSweeps = timeoutMs > 0 ? Math.ceil(timeoutMs / sweepMs) : 0;
    this.#handshakeSweeps = Math.ceil(handshakeTimeoutMs / sweepMs);
    this.#sweepTimer = setInterval(this.#sweep, sweepMs);
    this.#sweepTimer.unref();
  }

  readonly #sweep = (): void => {
    const silence = this.#silenceSweeps;
    const handshake = this.#handshakeSweeps;
    for (const connection of this.#connections.values()) connection.sweep(silence, handshake);
  };
}
