import type { JsonObject } from '@shaddock/protocol';
import { ErrorCode, ShaddockError } from '../errors.js';
import { getLogger, type Logger, SummarizedRepeats } from '../logging/index.js';
import { Refusal } from './admission.js';
import { type Blacklist, IpBlacklist } from './blacklist.js';
import { CloseReason } from './close-reason.js';
import type { ConnectionContext, ConnectorHandlers, ConnectorSessions } from './connection-context.js';
import type { ConnectorSettings } from './connector-config.js';
import type { FrontendCodec } from './frontend-codec.js';
import { HybridServer } from './hybrid-server.js';
import { PomeloConnection } from './pomelo-connection.js';
import { createPushScheduler, type PushScheduler, type SchedulableConnection } from './push-scheduler.js';
import type { ClientTransport } from './transport.js';

/** A push target: a session, or anything with a session's id (never a connection's id). */
export interface PushTarget {
  /** The session's id. */
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
  /**
   * Writes `packageBytes` to the connection that carries each session now, through the push
   * scheduler. A session with no connection (closed, unknown, or detached from its connection)
   * is skipped: the push is dropped, not kept for later, and counted in `droppedPushes`.
   */
  send(packageBytes: Uint8Array, sessions: Iterable<PushTarget>): void;
  /** Pushes dropped by `send` so far because their session had no connection. */
  readonly droppedPushes: number;
  readonly blacklist: Blacklist;
  /**
   * Client connections open now, handshaken or not; sockets still in their TLS handshake or
   * WebSocket upgrade are not counted here (they are against `max-connections`).
   */
  readonly connectionCount: number;
  /** The port clients connect to, once listening (the one the OS chose when `clientPort` is 0). */
  readonly port: number | undefined;
}

/** What a {@link ConnectorServer} works with; the component takes them from the app's services. */
export interface ConnectorServerOptions<S extends PushTarget> {
  readonly sessions: ConnectorSessions<S>;
  readonly handlers: ConnectorHandlers;
  /** Where the connector logs (default the `connector` category). */
  readonly logger?: Logger;
  /**
   * Failures of the server's own (never a client's bad input); default: logged at `error`, one
   * line per kind of failure, then a count of its repeats (see `SummarizedRepeats`).
   */
  readonly report?: (error: unknown) => void;
}

/** Where and how a {@link ConnectorServer} listens. */
export interface ConnectorStartOptions {
  readonly settings: ConnectorSettings;
  readonly codec: FrontendCodec;
  readonly port: number;
  readonly host: string | undefined;
}

/** Accept errors that mean the process or the system is out of file descriptors. */
const FD_LIMIT_CODES: ReadonlySet<unknown> = new Set(['EMFILE', 'ENFILE']);

/** What the log says when a burst of sockets is refused at accept. */
const REFUSED: Readonly<Record<Refusal, string>> = {
  [Refusal.MaxConnections]: 'max-connections reached: connections refused',
  [Refusal.DescriptorBudget]: 'near the open-files limit: connections refused',
  [Refusal.PerIp]: 'maxConnectionsPerIp reached: connections refused',
  [Refusal.OutOfDescriptors]: 'out of file descriptors: connections refused',
};

/** What a {@link ConnectorServer.drain} did: the figures of its log line. */
export interface DrainReport {
  /** Messages (requests and notifies) in the handlers when the drain began. */
  readonly inFlightAtStop: number;
  /** Requests still in the handlers at the drain timeout, answered `ServerStopping`. */
  readonly requestsCut: number;
  /** Notifies still in the handlers at the drain timeout. */
  readonly notifiesCut: number;
  /** Requests that came during the drain, answered `ServerStopping`. */
  readonly requestsRefused: number;
  /** Notifies that came during the drain, dropped. */
  readonly notifiesDropped: number;
  readonly clientsKicked: number;
  readonly durationMs: number;
}

/** How long a draining frontend waits for no message to come before it kicks its clients. */
export const STOP_QUIET_MS = 200;
/** The longest it waits so: a client that keeps sending after `ServerStopping` is kicked anyway. */
export const STOP_QUIET_MAX_MS = 2_000;

/** The clock of silence and handshake timeouts: one interval for every connection. */
const MIN_SWEEP_MS = 25;
const MAX_SWEEP_MS = 5000;

/**
 * The hybrid connector of one frontend: listens, runs each client's {@link PomeloConnection},
 * pushes through the scheduler, sweeps silent clients, and stops.
 */
export class ConnectorServer<S extends PushTarget> implements Connector {
  readonly blacklist = new IpBlacklist();
  /** Every open connection, by the connection's id. */
  readonly #connections = new Map<number, PomeloConnection<S>>();
  /** The connection that carries each session now, by the session's id. */
  readonly #bySession = new Map<number, SchedulableConnection>();
  /** One line, then a count, per burst of what a flood would repeat: refusals, failures. */
  readonly #repeats = new SummarizedRepeats();
  #log: Logger = getLogger('connector');
  #droppedPushes = 0;
  #scheduler: PushScheduler | undefined;
  #context: ConnectionContext<S> | undefined;
  #server: HybridServer | undefined;
  #sweepTimer: ReturnType<typeof setInterval> | undefined;
  #silenceSweeps = 0;
  #handshakeTimeoutMs = 0;
  #nextId = 1;
  #inflight = 0;
  #port: number | undefined;
  #drained: (() => void) | undefined;
  /** What came while stopping: requests answered `ServerStopping`, notifies dropped. */
  readonly #refusals = { requests: 0, notifies: 0 };
  #lastRefusalAt = 0;

  get port(): number | undefined {
    return this.#port;
  }

  get connectionCount(): number {
    return this.#connections.size;
  }

  get droppedPushes(): number {
    return this.#droppedPushes;
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
    const bySession = this.#bySession;
    const scheduler = this.#scheduler;
    if (scheduler === undefined) return;
    for (const session of sessions) {
      const connection = bySession.get(session.id);
      if (connection !== undefined) scheduler.push(packageBytes, connection);
      else this.#droppedPushes++;
    }
  }

  /** Starts listening; resolves with the port (the one the OS chose for port 0). */
  async start(services: ConnectorServerOptions<S>, options: ConnectorStartOptions): Promise<number> {
    const { settings, codec, port, host } = options;
    const log = services.logger ?? this.#log;
    this.#log = log;
    const report =
      services.report ??
      ((error: unknown) =>
        this.#repeats.log(log, 'error', `failure:${kindOf(error)}`, { err: error }, 'connector failure'));
    this.blacklist.addPatterns(settings.blacklist);
    this.#scheduler = createPushScheduler(settings.pushScheduler);
    this.#context = {
      settings,
      codec: codec.codec,
      handshake: codec.handshake,
      sessions: services.sessions,
      handlers: services.handlers,
      report,
      attached: (sessionId, connection) => {
        this.#bySession.set(sessionId, connection);
      },
      detached: (sessionId, connection) => {
        // only its own: the session may have moved to another connection meanwhile
        if (this.#bySession.get(sessionId) === connection) this.#bySession.delete(sessionId);
      },
      closed: (id) => this.#connections.delete(id),
      inflight: (delta) => {
        this.#inflight += delta;
        if (this.#inflight === 0) this.#drained?.();
      },
      stopping: false,
      refused: (request) => {
        this.#lastRefusalAt = performance.now();
        if (request) this.#refusals.requests++;
        else this.#refusals.notifies++;
      },
    };
    const server = new HybridServer(settings, {
      refuses: (ip) => !this.blacklist.empty && this.blacklist.has(ip),
      onTransport: (transport, first, acceptedAt) => this.#accept(transport, first, acceptedAt),
      onRefused: (refusal, ip) => this.#refused(refusal, ip),
      report: (error) => {
        const code = (error as { code?: unknown } | null)?.code;
        if (FD_LIMIT_CODES.has(code)) this.#refused(Refusal.OutOfDescriptors, undefined, String(code));
        else report(error);
      },
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

  /**
   * The frontend's part of a graceful stop: stops accepting clients; answers every new request
   * with `ResponseCode.ServerStopping` (a new notify is dropped); waits up to `deadlineMs` (the
   * drain timeout) for the messages in the handlers, forwarded ones included, and answers the
   * requests still there with `ServerStopping`; flushes the pushes; kicks every client with
   * `'server stopping'` and waits for the sockets to close (the close grace at most). Logs what it
   * did, and at `warn` what it cut.
   */
  async drain(deadlineMs: number): Promise<DrainReport> {
    const startedAt = performance.now();
    this.#server?.stopAccepting();
    if (this.#context !== undefined) this.#context.stopping = true;
    const inFlightAtStop = this.#inflight;
    const deadline = startedAt + deadlineMs;
    if (this.#inflight > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, deadlineMs);
        this.#drained = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#drained = undefined;
    }
    await this.#quiet(deadline);
    const notifiesCut = this.#inflight;
    const { requestsCut, kicked, closed } = this.#kickAll(false);
    await closed;
    const report: DrainReport = {
      inFlightAtStop,
      requestsCut,
      notifiesCut: Math.max(0, notifiesCut - requestsCut),
      requestsRefused: this.#refusals.requests,
      notifiesDropped: this.#refusals.notifies,
      clientsKicked: kicked,
      durationMs: Math.round(performance.now() - startedAt),
    };
    if (report.requestsCut > 0 || report.notifiesCut > 0) {
      this.#log.warn(
        { ...report, drainTimeoutMs: deadlineMs },
        `drain timeout (${deadlineMs} ms) passed: ${report.requestsCut} requests answered 'server stopping' and ${report.notifiesCut} notifies left unfinished`,
      );
    } else {
      this.#log.info(
        { ...report },
        `drained: ${inFlightAtStop} messages in flight finished, ${kicked} clients kicked`,
      );
    }
    return report;
  }

  /**
   * Waits until no message has come for {@link STOP_QUIET_MS} (at most {@link STOP_QUIET_MAX_MS},
   * and never past `deadline`): a request on its way when the last one in flight was answered is
   * answered `ServerStopping` rather than met by the kick, and a client told so stops sending.
   */
  async #quiet(deadline: number): Promise<void> {
    const until = Math.min(deadline, performance.now() + STOP_QUIET_MAX_MS);
    for (;;) {
      const quietAt = this.#lastRefusalAt + STOP_QUIET_MS;
      const now = performance.now();
      if (now >= until) return;
      await new Promise((resolve) =>
        setTimeout(resolve, Math.min(until, Math.max(quietAt, now + STOP_QUIET_MS)) - now),
      );
      if (performance.now() - this.#lastRefusalAt >= STOP_QUIET_MS) return;
    }
  }

  /** Closes the server; clients still there are kicked (dropped at once when `force`). */
  async stop(force: boolean): Promise<void> {
    this.#server?.close();
    clearInterval(this.#sweepTimer);
    if (this.#context !== undefined) this.#context.stopping = true;
    const { closed } = this.#kickAll(force);
    this.#scheduler?.close();
    this.#repeats.flush();
    await closed;
  }

  /**
   * Answers the requests still in the handlers `ServerStopping`, flushes the pushes (those answers
   * included), then kicks every client with `'server stopping'` (dropped at once when `force`);
   * `closed` settles once every socket has closed.
   */
  #kickAll(force: boolean): { requestsCut: number; kicked: number; closed: Promise<unknown> } {
    const connections = [...this.#connections.values()];
    const closed = Promise.all(connections.map((connection) => connection.whenClosed()));
    let requestsCut = 0;
    for (const connection of connections) requestsCut += connection.cut();
    this.#scheduler?.flush();
    for (const connection of connections) {
      connection.kick(CloseReason.ServerStopping);
      if (force) connection.terminate();
    }
    return { requestsCut, kicked: connections.length, closed };
  }

  #accept(transport: ClientTransport, first: Uint8Array | undefined, acceptedAt: number): void {
    const context = this.#context;
    if (context === undefined) {
      transport.destroy();
      return;
    }
    // max-connections and the per-IP limit were applied at accept (HybridServer).
    const connection = new PomeloConnection<S>(this.#nextId++, transport, context, acceptedAt);
    this.#connections.set(connection.id, connection);
    connection.start(first);
  }

  /** A socket closed at accept: one line when a burst begins, one with its count when it ends. */
  #refused(refusal: Refusal, ip: string | undefined, code?: string): void {
    const settings = this.#context?.settings;
    const fields: Record<string, unknown> = { refusal };
    if (refusal === Refusal.MaxConnections || refusal === Refusal.DescriptorBudget) {
      fields['limit'] = this.#server?.socketLimit?.limit;
      fields['maxConnections'] = settings?.maxConnections;
    } else if (refusal === Refusal.PerIp) {
      fields['maxConnectionsPerIp'] = settings?.maxConnectionsPerIp;
      fields['ip'] = ip;
    } else {
      fields['code'] = code;
    }
    fields['open'] = this.#connections.size + (this.#server?.unroutedCount ?? 0);
    this.#repeats.log(this.#log, 'warn', `refused:${refusal}`, fields, REFUSED[refusal]);
  }

  #startSweeping(settings: ConnectorSettings): void {
    const { timeoutMs, handshakeTimeoutMs } = settings;
    const shortest = timeoutMs > 0 ? Math.min(timeoutMs, handshakeTimeoutMs) : handshakeTimeoutMs;
    const sweepMs = Math.min(MAX_SWEEP_MS, Math.max(MIN_SWEEP_MS, Math.floor(shortest / 4)));
    this.#silenceSweeps = timeoutMs > 0 ? Math.ceil(timeoutMs / sweepMs) : 0;
    this.#handshakeTimeoutMs = handshakeTimeoutMs;
    this.#sweepTimer = setInterval(this.#sweep, sweepMs);
    this.#sweepTimer.unref();
  }

  readonly #sweep = (): void => {
    const silence = this.#silenceSweeps;
    // Accepted before this, and still not handshaken: past the deadline.
    const cutoff = performance.now() - this.#handshakeTimeoutMs;
    this.#server?.sweep(cutoff);
    for (const connection of this.#connections.values()) connection.sweep(silence, cutoff);
  };
}

/** A bounded name of a failure: its code, its class, or what was thrown. */
function kindOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' || typeof code === 'number') return String(code);
  return error instanceof Error ? error.name : typeof error;
}
