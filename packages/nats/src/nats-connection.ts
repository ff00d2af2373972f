import { connect, type NatsConnection, type Status } from '@nats-io/transport-node';
import type { DriverConfig, DriverContext, Logger, NatsServiceConfig } from 'shaddock';
import { RepeatedLog } from './membership-repeats.js';

/** What {@link NatsConnections} connects with. */
export interface NatsConnectionOptions {
  /** `nats://host:port` URLs (`config/cluster.*` `nats.servers`). */
  readonly servers: readonly string[];
  readonly user?: string;
  readonly pass?: string;
  readonly token?: string;
  /** The connection's name on the NATS server (its monitoring pages): this server's id. */
  readonly name: string;
  /** Where connection news (lost, back, errors) is written. */
  readonly logger: Logger;
  /** How long the first connection may take before {@link NatsUnreachable}, in ms (default 3 000). */
  readonly connectTimeoutMs?: number;
}

/** The connection news a driver reacts to. */
export type NatsConnectionEvent = 'disconnect' | 'reconnect';

/** The NATS servers could not be reached at start-up; the message names them (without credentials). */
export class NatsUnreachable extends Error {
  override name = 'NatsUnreachable';
  readonly code = 'SHADDOCK_ERR_NATS_UNREACHABLE';
  /** The URLs tried, credentials removed. */
  readonly servers: readonly string[];

  constructor(servers: readonly string[], options?: ErrorOptions) {
    const shown = servers.map(displayUrl);
    const reason = options?.cause instanceof Error ? ` (${options.cause.message})` : '';
    super(
      `cannot connect to NATS at ${shown.join(', ')}${reason}: is nats-server running there, ` +
        'and are config/cluster.* "nats" (or SHADDOCK_NATS_URL) and its credentials right?',
      options,
    );
    this.servers = shown;
  }
}

/**
 * One NATS connection shared by every driver of this package in a process (membership, the RPC
 * link, leadership): opened by the first {@link NatsConnections.acquire}, closed by the last
 * {@link NatsConnections.release}. It reconnects forever with a short wait (a NATS restart or a
 * network cut heals by itself), pings every second so a dead link is noticed within a few, and
 * logs each change of state. Drivers learn of them with {@link NatsConnections.on}.
 *
 * @example
 * const connections = sharedNatsConnections(config, context);
 * const nc = await connections.acquire();
 * try { await nc.request('svc', payload); } finally { await connections.release(); }
 */
export class NatsConnections {
  readonly #options: NatsConnectionOptions;
  readonly #logger: Logger;
  readonly #repeats: RepeatedLog;
  readonly #listeners: Record<NatsConnectionEvent, Set<() => void>> = {
    disconnect: new Set(),
    reconnect: new Set(),
  };
  #users = 0;
  #opening: Promise<NatsConnection> | undefined;

  constructor(options: NatsConnectionOptions) {
    this.#options = options;
    this.#logger = options.logger.child({ category: 'nats' });
    this.#repeats = new RepeatedLog(this.#logger);
  }

  /** The connection, opened on first use; rejects with {@link NatsUnreachable} when NATS cannot be reached. */
  async acquire(): Promise<NatsConnection> {
    this.#users += 1;
    this.#opening ??= this.#open();
    const opening = this.#opening;
    try {
      return await opening;
    } catch (error) {
      this.#users -= 1;
      if (this.#opening === opening) this.#opening = undefined;
      throw error;
    }
  }

  /** Gives back one {@link acquire}; the last one closes the connection. */
  async release(): Promise<void> {
    if (this.#users === 0) return;
    this.#users -= 1;
    if (this.#users === 0) await this.close();
  }

  /** Closes the connection now, whoever holds it (shutdown; tests that cut a member off). */
  async close(): Promise<void> {
    this.#users = 0;
    const opening = this.#opening;
    this.#opening = undefined;
    const connection = await opening?.catch(() => undefined);
    if (connection && !connection.isClosed()) await connection.close().catch(() => {});
  }

  /** Calls `listener` on each `disconnect` or `reconnect` of the connection; returns what stops it. */
  on(event: NatsConnectionEvent, listener: () => void): () => void {
    this.#listeners[event].add(listener);
    return () => this.#listeners[event].delete(listener);
  }

  async #open(): Promise<NatsConnection> {
    const { servers, user, pass, token, name } = this.#options;
    let connection: NatsConnection;
    try {
      connection = await connect({
        servers: [...servers],
        name,
        ...(user === undefined ? {} : { user }),
        ...(pass === undefined ? {} : { pass }),
        ...(token === undefined ? {} : { token }),
        timeout: this.#options.connectTimeoutMs ?? 3_000,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 250,
        reconnectJitter: 100,
        pingInterval: 1_000,
        maxPingOut: 2,
      });
    } catch (error) {
      throw new NatsUnreachable(servers, { cause: error });
    }
    this.#logger.debug({ server: connection.getServer(), name }, 'connected to NATS');
    this.#watch(connection).catch((error: unknown) =>
      this.#logger.error({ err: error }, 'watching the NATS connection failed'),
    );
    return connection;
  }

  /** Logs the connection's news and passes on the two drivers act on. */
  async #watch(connection: NatsConnection): Promise<void> {
    let lostAt = 0;
    for await (const status of connection.status()) {
      switch (status.type) {
        case 'disconnect':
          lostAt = performance.now();
          this.#logger.warn({ server: displayUrl(status.server) }, 'lost the NATS connection; reconnecting');
          this.#emit('disconnect');
          break;
        case 'reconnect':
          this.#logger.info(
            { server: displayUrl(status.server), downMs: Math.round(performance.now() - lostAt) },
            'NATS connection back',
          );
          this.#emit('reconnect');
          break;
        default:
          this.#report(status);
      }
    }
    const error = await connection.closed();
    if (error) this.#logger.error({ err: error }, 'the NATS connection closed on an error');
  }

  #report(status: Status): void {
    switch (status.type) {
      case 'error':
        this.#repeats.log('error', 'error', { err: status.error }, 'NATS reported an error');
        break;
      case 'staleConnection':
        this.#logger.warn('the NATS connection went stale (no answer to pings); reconnecting');
        break;
      case 'ldm':
        this.#logger.info(
          { server: displayUrl(status.server) },
          'the NATS server is entering lame duck mode',
        );
        break;
      case 'slowConsumer':
        this.#repeats.log(
          'warn',
          `slow:${status.sub.getSubject()}`,
          { subject: status.sub.getSubject(), pending: status.pending },
          'a NATS subscription falls behind (slow consumer)',
        );
        break;
      default:
        break;
    }
  }

  #emit(event: NatsConnectionEvent): void {
    for (const listener of this.#listeners[event]) {
      try {
        listener();
      } catch (error) {
        this.#logger.error({ err: error, event }, 'a NATS connection listener threw');
      }
    }
  }
}

// One per process and connection settings: what every driver of this package shares.
const shared = new Map<string, NatsConnections>();

/**
 * The process's {@link NatsConnections} for the cluster's `nats` settings: the same one for every
 * driver of this package (membership, RPC link, leadership), named after this server.
 */
export function sharedNatsConnections(
  config: DriverConfig,
  context: Pick<DriverContext, 'server' | 'logger'>,
): NatsConnections {
  const nats = requireNats(config);
  const key = JSON.stringify([nats.servers, nats.user, nats.pass, nats.token, context.server.id]);
  let connections = shared.get(key);
  if (connections === undefined) {
    connections = new NatsConnections({ ...nats, name: context.server.id, logger: context.logger });
    shared.set(key, connections);
  }
  return connections;
}

/** The cluster's `nats` settings; throws naming the fix when there are none. */
export function requireNats(config: DriverConfig): NatsServiceConfig {
  if (config.nats === undefined) {
    throw new Error(
      `cluster "${config.name}" has no "nats" settings: set config/cluster.* "nats" or SHADDOCK_NATS_URL`,
    );
  }
  return config.nats;
}

/** A URL as it may be shown in a log or an error: without its user and password. */
export function displayUrl(url: string): string {
  try {
    const parsed = new URL(url.includes('://') ? url : `nats://${url}`);
    return `${parsed.protocol}//${parsed.host}`;
  } catch {
    return url.replace(/^[^@/]*@/, '');
  }
}
