import type { JsonObject } from '@shaddock/protocol';
import { type HandshakeCache, memoryCache } from './cache.js';
import { ClientError, ClientErrorCode } from './errors.js';

/** TLS settings for `wss` and `tls`; browsers use their own trust store and ignore them. */
export interface TlsOptions {
  /** Reject a server whose certificate does not verify. Default true. */
  readonly rejectUnauthorized?: boolean;
  /** PEM certificate(s) of the authority to trust, e.g. a test CA. */
  readonly ca?: string;
}

/** How the client reconnects after losing an established connection. */
export interface ReconnectOptions {
  /** Attempts before giving up and closing. Default 10 (Pomelo's); `Infinity` never gives up. */
  readonly maxAttempts?: number;
  /** Milliseconds before the first attempt. Default 500. */
  readonly initialDelay?: number;
  /** The longest wait between attempts, in milliseconds. Default 30 000 (or `initialDelay` if longer). */
  readonly maxDelay?: number;
  /** Each wait is the previous one times this. Default 2. */
  readonly factor?: number;
  /** Each wait varies at random by up to this fraction, either way, so clients spread out. Default 0.2. */
  readonly jitter?: number;
}

/** Which transport carries the Pomelo packages: WebSocket, or raw TCP (Node only). */
export type TransportKind = 'ws' | 'tcp';

/** What `connect()` takes. Only `host` and `port` are required. */
export interface ConnectOptions {
  readonly host: string;
  readonly port: number;
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
  /** Reconnect after an established connection is lost. Default off. */
  readonly reconnect?: boolean | ReconnectOptions;
  /** The largest package body accepted from the server, in bytes. Default 1 MiB. */
  readonly maxBodyLength?: number;
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
  readonly host: string;
  readonly port: number;
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
export function resolveSettings(options: ConnectOptions): ClientSettings {
  const { host, port } = options;
  if (typeof host !== 'string' || host === '') invalid('host', host, 'a non-empty string');
  check('port', port, Number.isInteger(port) && port > 0 && port < 65_536, 'an integer from 1 to 65535');
  const transport = options.transport ?? 'ws';
  if (transport !== 'ws' && transport !== 'tcp') invalid('transport', transport, "'ws' or 'tcp'");
  const factor = options.heartbeatTimeoutFactor ?? 2;
  return {
    host,
    port,
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
    reconnect: reconnectPolicy(options.reconnect),
    maxBodyLength: options.maxBodyLength,
  };
}

/** Checks a timeout in milliseconds, the default when absent. */
export function duration(name: string, value = DEFAULT_TIMEOUT): number {
  return check(name, value, value > 0 && value < Infinity, 'a positive number of milliseconds');
}

function reconnectPolicy(option: ConnectOptions['reconnect']): ReconnectPolicy | undefined {
  if (!option) return undefined;
  const options = option === true ? {} : option;
  const { maxAttempts = 10, initialDelay = 500, factor = 2, jitter = 0.2 } = options;
  const maxDelay = options.maxDelay ?? Math.max(30_000, initialDelay);
  return {
    maxAttempts: check('reconnect.maxAttempts', maxAttempts, maxAttempts >= 1, 'at least 1'),
    initialDelay: check('reconnect.initialDelay', initialDelay, initialDelay >= 0, 'at least 0'),
    maxDelay: check('reconnect.maxDelay', maxDelay, maxDelay >= initialDelay, 'at least initialDelay'),
    factor: check('reconnect.factor', factor, factor >= 1, 'at least 1'),
    jitter: check('reconnect.jitter', jitter, jitter >= 0 && jitter <= 1, 'from 0 to 1'),
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

function invalid(name: string, value: unknown, expected: string): never {
  throw new ClientError(ClientErrorCode.InvalidOptions, `${name} must be ${expected}, got ${String(value)}`);
}
