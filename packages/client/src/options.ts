import type { JsonObject } from '@shaddock/protocol';
import { type HandshakeCache, memoryCache } from './cache.js';
import { type Endpoint, type EndpointFailure, isPort } from './endpoint.js';
import { ClientError, ClientErrorCode } from './errors.js';
import type { TlsOptions, TransportKind } from './transport.js';
import type { Client } from './types.js';

export type { TlsOptions, TransportKind } from './transport.js';

/** What a {@link Resolver} is told each time it is asked. */
export interface ResolveContext {
  /** 0 for the first connect, then the reconnect round (1-based), as in the `reconnecting` event. */
  readonly attempt: number;
  /**
   * Endpoints that failed recently (could not be connected to, or whose connection was lost),
   * the latest failure of each, oldest first. An endpoint leaves the list once a connection to
   * it succeeds.
   */
  readonly failed: readonly EndpointFailure[];
  /** Aborted when the client is closed: whatever the resolver is doing is no longer wanted. */
  readonly signal: AbortSignal;
  /**
   * Opens a side connection, e.g. to a gate: `connect()` of the client's own platform (browser
   * or Node), with the client's transport, TLS, path, client type and timeouts as defaults, but
   * not its `user`, `cache` nor `reconnect`. Close it when done.
   */
  connect(options: ConnectOptions): Promise<Client>;
}

/** What a resolver answers: one endpoint, or several to try in this order. */
export type Candidates = Endpoint | readonly Endpoint[];

/**
 * Tells a client where to connect. It is asked before the first connect and before each
 * reconnect round, and answers candidates that the client tries in order until one handshakes.
 * A candidate that fails (refused, timed out, closed before the handshake) is skipped at once
 * for the next; when all have failed, the client asks again, and backs off (a round) only when
 * the answer holds nothing new. A resolver that throws fails the round with `ResolveFailed`.
 * Ready-made: `fromList`, `fromGate`.
 *
 * @example
 * ```ts
 * const resolve: Resolver = async ({ failed }) => {
 *   const servers = await (await fetch('/connectors')).json();
 *   return servers.filter((s) => !failed.some((f) => f.endpoint.host === s.host && f.endpoint.port === s.port));
 * };
 * ```
 */
export type Resolver = (context: ResolveContext) => Candidates | Promise<Candidates>;

/** How the client reconnects after losing an established connection. */
export interface ReconnectOptions {
  /**
   * Attempts before giving up and closing (with `resolve`: rounds, each trying every candidate).
   * Default 10 (Pomelo's); `Infinity` never gives up.
   */
  readonly maxAttempts?: number;
  /** Milliseconds before the first attempt (round). Default 500. */
  readonly initialDelay?: number;
  /** The longest wait between attempts, in milliseconds. Default 30 000 (or `initialDelay` if longer). */
  readonly maxDelay?: number;
  /** Each wait is the previous one times this. Default 2. */
  readonly factor?: number;
  /** Each wait varies at random by up to this fraction, either way, so clients spread out. Default 0.2. */
  readonly jitter?: number;
}

/** How a client behaves, whatever it connects to: everything `connect()` takes but the address. */
export interface ClientOptions {
  /** Default `'ws'`; `'tcp'` works in Node only. */
  readonly transport?: TransportKind;
  /** `true` or TLS settings: `wss://` for ws, TLS for tcp. */
  readonly tls?: boolean | TlsOptions;
  /** The WebSocket path. Default `'/'`. */
  readonly path?: string;
  /** Handshake `user` data, handed to the server's handshake hook. */
  readonly user?: JsonObject;
  /** Handshake `sys.type`. Default `'js-websocket'`, as Pomelo's JS client sends. */
  readonly clientType?: string;
  /** Handshake `sys.version`. Default `'0.0.1'`. */
  readonly clientVersion?: string;
  /** Where the dictionary and protos are kept between handshakes. Default: in memory. */
  readonly cache?: HandshakeCache;
  /** Milliseconds to open the socket. Default 10 000. */
  readonly connectTimeout?: number;
  /** Milliseconds for the server to answer the handshake. Default 10 000. */
  readonly handshakeTimeout?: number;
  /** Milliseconds a request waits for its response, unless the call says otherwise. Default 10 000. */
  readonly requestTimeout?: number;
  /** The server is silent when nothing arrives for this many heartbeat intervals. Default 2. */
  readonly heartbeatTimeoutFactor?: number;
  /**
   * Reconnect after an established connection is lost. Default off. With `resolve`, each attempt
   * is a round: the resolver is asked for candidates and each is tried in turn.
   */
  readonly reconnect?: boolean | ReconnectOptions;
  /** The largest package body accepted from the server, in bytes. Default 1 MiB. */
  readonly maxBodyLength?: number;
}

/** What `connect()` takes to connect to one address, and reconnect to the same one. */
export interface ConnectOptions extends ClientOptions {
  readonly host: string;
  readonly port: number;
  /** Not with `host` and `port`: see {@link ResolverConnectOptions}. */
  readonly resolve?: undefined;
}

/**
 * What `connect()` takes to find its server through a {@link Resolver}: the first connect and
 * every reconnect ask it for candidates, so a client finds a live connector instead of retrying
 * a dead address.
 *
 * @example
 * ```ts
 * const client = await connect({
 *   resolve: fromGate({ host: 'gate.example.com', port: 3014, body: { username } }),
 *   reconnect: true,
 * });
 * ```
 */
export interface ResolverConnectOptions extends ClientOptions {
  /** Where to connect: a function of the attempt, or {@link fromList} / {@link fromGate}. */
  readonly resolve: Resolver;
  readonly host?: undefined;
  readonly port?: undefined;
}

/** The reconnect policy with every default filled in. */
export interface ReconnectPolicy {
  readonly maxAttempts: number;
  readonly initialDelay: number;
  readonly maxDelay: number;
  readonly factor: number;
  readonly jitter: number;
}

/** {@link ConnectOptions} with every default filled in and every value checked. */
export interface ClientSettings {
  /** Where to connect: the resolver given, or one that always answers `host:port`. */
  readonly resolve: Resolver;
  /** True when `connect()` was given one address, not a resolver: reconnects behave as they always did. */
  readonly fixed: boolean;
  readonly transport: TransportKind;
  readonly tls: TlsOptions | undefined;
  readonly path: string;
  readonly user: JsonObject | undefined;
  readonly clientType: string;
  readonly clientVersion: string;
  readonly cache: HandshakeCache;
  readonly connectTimeout: number;
  readonly handshakeTimeout: number;
  readonly requestTimeout: number;
  readonly heartbeatTimeoutFactor: number;
  readonly reconnect: ReconnectPolicy | undefined;
  readonly maxBodyLength: number | undefined;
}

const DEFAULT_TIMEOUT = 10_000;

/** Fills in defaults and checks values; a bad value is a {@link ClientError} `InvalidOptions`. */
export function resolveSettings(options: ConnectOptions | ResolverConnectOptions): ClientSettings {
  const transport = options.transport ?? 'ws';
  if (transport !== 'ws' && transport !== 'tcp') invalid('transport', transport, "'ws' or 'tcp'");
  const factor = options.heartbeatTimeoutFactor ?? 2;
  return {
    ...where(options),
    transport,
    tls: options.tls === true ? {} : options.tls || undefined,
    path: options.path ?? '/',
    user: options.user,
    clientType: options.clientType ?? 'js-websocket',
    clientVersion: options.clientVersion ?? '0.0.1',
    cache: options.cache ?? memoryCache(),
    connectTimeout: duration('connectTimeout', options.connectTimeout),
    handshakeTimeout: duration('handshakeTimeout', options.handshakeTimeout),
    requestTimeout: duration('requestTimeout', options.requestTimeout),
    heartbeatTimeoutFactor: check(
      'heartbeatTimeoutFactor',
      factor,
      factor > 1 && factor < Infinity,
      'over 1',
    ),
    reconnect: options.reconnect
      ? reconnectPolicy(options.reconnect === true ? {} : options.reconnect)
      : undefined,
    maxBodyLength: options.maxBodyLength,
  };
}

function where(options: ConnectOptions | ResolverConnectOptions): Pick<ClientSettings, 'resolve' | 'fixed'> {
  const { host, port, resolve } = options;
  if (resolve !== undefined) {
    if (typeof resolve !== 'function') invalid('resolve', resolve, 'a function');
    if (host !== undefined) invalid('host', host, 'absent with resolve');
    if (port !== undefined) invalid('port', port, 'absent with resolve');
    return { resolve, fixed: false };
  }
  if (typeof host !== 'string' || host === '') invalid('host', host, 'a non-empty string');
  if (!isPort(port)) invalid('port', port, 'an integer from 1 to 65535');
  const endpoint = { host, port };
  return { resolve: () => endpoint, fixed: true };
}

/**
 * The options a client's side connections (a gate query) take from the client: how to connect,
 * not who it is (`user`), what it cached (`cache`) nor whether it reconnects.
 */
export function sharedOptions(settings: ClientSettings): ClientOptions {
  return {
    transport: settings.transport,
    ...(settings.tls === undefined ? {} : { tls: settings.tls }),
    path: settings.path,
    clientType: settings.clientType,
    clientVersion: settings.clientVersion,
    connectTimeout: settings.connectTimeout,
    handshakeTimeout: settings.handshakeTimeout,
    requestTimeout: settings.requestTimeout,
    heartbeatTimeoutFactor: settings.heartbeatTimeoutFactor,
    ...(settings.maxBodyLength === undefined ? {} : { maxBodyLength: settings.maxBodyLength }),
  };
}

/** Checks a timeout in milliseconds, the default when absent. */
export function duration(name: string, value = DEFAULT_TIMEOUT): number {
  return check(name, value, value > 0 && value < Infinity, 'a positive number of milliseconds');
}

/** Pomelo's reconnect defaults: 10 attempts, from 500 ms, doubling, up to 30 s, ±20 %. */
const RECONNECT_DEFAULTS: ReconnectPolicy = {
  maxAttempts: 10,
  initialDelay: 500,
  maxDelay: 30_000,
  factor: 2,
  jitter: 0.2,
};

/** A backoff policy from its options, `defaults` filling the gaps; `name` prefixes error messages. */
export function reconnectPolicy(
  options: ReconnectOptions,
  name = 'reconnect',
  defaults: ReconnectPolicy = RECONNECT_DEFAULTS,
): ReconnectPolicy {
  const {
    maxAttempts = defaults.maxAttempts,
    initialDelay = defaults.initialDelay,
    factor = defaults.factor,
    jitter = defaults.jitter,
  } = options;
  const maxDelay = options.maxDelay ?? Math.max(defaults.maxDelay, initialDelay);
  return {
    maxAttempts: check(`${name}.maxAttempts`, maxAttempts, maxAttempts >= 1, 'at least 1'),
    initialDelay: check(`${name}.initialDelay`, initialDelay, initialDelay >= 0, 'at least 0'),
    maxDelay: check(`${name}.maxDelay`, maxDelay, maxDelay >= initialDelay, 'at least initialDelay'),
    factor: check(`${name}.factor`, factor, factor >= 1, 'at least 1'),
    jitter: check(`${name}.jitter`, jitter, jitter >= 0 && jitter <= 1, 'from 0 to 1'),
  };
}

/**
 * The wait before reconnect attempt `attempt` (1-based): `initialDelay × factor^(attempt−1)`,
 * capped at `maxDelay`, then varied by ±`jitter` using `random` (a number in [0, 1)).
 */
export function reconnectDelay(policy: ReconnectPolicy, attempt: number, random: number): number {
  const base = Math.min(policy.maxDelay, policy.initialDelay * policy.factor ** (attempt - 1));
  return Math.round(Math.min(policy.maxDelay, base * (1 + policy.jitter * (2 * random - 1))));
}

function check(name: string, value: number, valid: boolean, expected: string): number {
  if (!valid) invalid(name, value, expected);
  return value;
}

/** Throws `InvalidOptions`: `name` must be `expected`. */
export function invalid(name: string, value: unknown, expected: string): never {
  throw new ClientError(ClientErrorCode.InvalidOptions, `${name} must be ${expected}, got ${String(value)}`);
}
