import type { HandshakeRequest, JsonObject } from '@shaddock/protocol';
import { DEFAULT_MAX_PACKAGE_BODY_LENGTH, MAX_PACKAGE_BODY_LENGTH } from '@shaddock/protocol';
import { ErrorCode, ShaddockError } from '../errors.js';
import type { ClientConnection } from './client-connection.js';
import type { PushSchedulerOption } from './push-scheduler.js';

/** The largest WebSocket message a connector can be set to accept. */
const MAX_FRAME_SIZE = 64 * 1024 * 1024;
/**
 * The user handshake hook: resolves with the handshake response's `user` data (or nothing), or
 * throws/rejects to refuse the client. A thrown `{ code, reason }` answers with that `code`
 * (default 500) and closes the connection with `reason`.
 */
export type HandshakeHook = (
  request: HandshakeRequest,
  connection: ClientConnection,
) => JsonObject | undefined | Promise<JsonObject | undefined>;

/** What a {@link HandshakeHook} throws to refuse a client with its own code. */
export interface HandshakeRejection {
  readonly code: number;
  readonly reason?: string;
}

/** `checkClient`: `false` refuses the client's handshake with code 501 (Pomelo's "old client"). */
export type CheckClient = (type: string | undefined, version: string | undefined) => boolean;

/** TLS for `wss://` and TLS over TCP: PEM file paths, watched and reloaded on change without a restart. */
export interface ConnectorTlsFiles {
  readonly key: string;
  readonly cert: string;
  /** Extra CA certificates to send with the chain. */
  readonly ca?: string;
  readonly passphrase?: string;
}

/** A per-connection request rate: `requests` messages per `perMs` milliseconds, as a token bucket. */
export interface RateLimit {
  readonly requests: number;
  readonly perMs: number;
}

/**
 * The app setting `connectorConfig` (`app.set('connectorConfig', {...})`): every option of the
 * hybrid connector (WebSocket and TCP on `clientPort`). All optional.
 *
 * @example
 * app.configure('production', 'connector', (app) =>
 *   app.set('connectorConfig', { heartbeat: 10, rateLimit: { requests: 50, perMs: 1000 } }),
 * );
 */
export interface ConnectorConfig {
  /** Seconds between client heartbeats, sent in the handshake (an integer); 0 runs none. Default 10. */
  readonly heartbeat?: number;
  /**
   * Seconds without ANY package from a client (heartbeat, data or handshake) before it is closed
   * with reason `'heartbeat timeout'`. Default 2 × `heartbeat`; no timeout when `heartbeat` is 0
   * and this is unset. Pomelo counts heartbeats only; counting every package also keeps a busy
   * client whose heartbeats lag behind its traffic.
   */
  readonly timeout?: number;
  /**
   * Seconds a client socket has from its accept to the handshake ACK, whatever it sends
   * meanwhile: the TLS handshake, the WebSocket upgrade and the Pomelo handshake share this one
   * absolute deadline (bytes trickled one at a time do not extend it). Default 10.
   */
  readonly handshakeTimeout?: number;
  /** Compress routes with the dictionary. Default true. */
  readonly useDict?: boolean;
  /**
   * `'auto'` (default): sorted handler routes of every server type, then `config/dictionary.json`,
   * as Pomelo does. `'stable'`: `config/dictionary.json` alone, so codes never move.
   */
  readonly dictionaryMode?: 'auto' | 'stable';
  /** Protobuf bodies from `config/serverProtos.json` / `config/clientProtos.json`. Default: true when either exists. */
  readonly useProtobuf?: boolean;
  readonly handshake?: HandshakeHook;
  readonly checkClient?: CheckClient;
  readonly ssl?: ConnectorTlsFiles;
  /** Address to listen on; default the server's `clientHost`, else its `host`. `'0.0.0.0'` takes every interface. */
  readonly listenHost?: string;
  /** IPs refused at connect time: exact addresses, or regular expressions (sources or `RegExp`s) as Pomelo's blacklist. */
  readonly blacklist?: readonly (string | RegExp)[];
  /** Largest package body accepted from a client, in bytes. Default 1 MiB, at most 16 MiB − 1. */
  readonly maxPackageSize?: number;
  /**
   * Largest WebSocket message accepted, in bytes: one message may carry several packages, each
   * still held to `maxPackageSize`. Default 4 × `maxPackageSize`, at most 64 MiB.
   */
  readonly maxFrameSize?: number;
  /** Requests and notifies allowed per connection; over it a request gets `{ code: 429 }`, a notify is dropped. Default none. */
  readonly rateLimit?: RateLimit;
  /** Unsent bytes a connection may hold; over it the client is closed with reason `'slow client'`. Default 4 MiB. */
  readonly maxBufferedBytes?: number;
  /** Messages in the handlers per connection before its socket stops being read (resumed at half). Default 256. */
  readonly maxPendingRequests?: number;
  /** A header a trusted proxy sets to the client's IP (`x-forwarded-for`, `x-real-ip`); WebSocket only. */
  readonly realIpHeader?: string;
  /**
   * Client sockets one IP address may hold open, handshaken or not; past it a new socket from
   * that address is closed at accept, before anything is read. Loopback addresses are not
   * counted (a proxy on the same host). With `realIpHeader`, WebSocket clients are counted by
   * the header's address once upgraded. 0: no limit. Default 64.
   */
  readonly maxConnectionsPerIp?: number;
  /** `'direct'` (default) or `'buffer'`: see {@link PushSchedulerOption}. */
  readonly pushScheduler?: PushSchedulerOption;
  /** Disable Nagle on client sockets. Default true. */
  readonly noDelay?: boolean;
}

/** {@link ConnectorConfig} checked, in milliseconds, with every default filled in. */
export interface ConnectorSettings {
  readonly heartbeatSeconds: number;
  /** 0: no silence timeout. */
  readonly timeoutMs: number;
  readonly handshakeTimeoutMs: number;
  readonly useDict: boolean;
  readonly dictionaryMode: 'auto' | 'stable';
  readonly useProtobuf: boolean | undefined;
  readonly handshake: HandshakeHook | undefined;
  readonly checkClient: CheckClient | undefined;
  readonly ssl: ConnectorTlsFiles | undefined;
  readonly listenHost: string | undefined;
  readonly blacklist: readonly (string | RegExp)[];
  readonly maxPackageSize: number;
  readonly maxFrameSize: number;
  readonly rateLimit: RateLimit | undefined;
  readonly maxBufferedBytes: number;
  readonly maxPendingRequests: number;
  readonly realIpHeader: string | undefined;
  /** 0: no limit. */
  readonly maxConnectionsPerIp: number;
  readonly pushScheduler: PushSchedulerOption;
  readonly noDelay: boolean;
  /** The server's `max-connections`, every accepted socket counted; 0: no limit. */
  readonly maxConnections: number;
}

const DEFAULT_HEARTBEAT_SECONDS = 10;
const DEFAULT_HANDSHAKE_TIMEOUT_SECONDS = 10;
const DEFAULT_MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
const DEFAULT_MAX_PENDING_REQUESTS = 256;
const DEFAULT_MAX_CONNECTIONS_PER_IP = 64;

/** Checks `config` and fills in defaults; a bad value is a `SHADDOCK_ERR_CONNECTOR_CONFIG_INVALID` error. */
export function resolveConnectorConfig(
  config: ConnectorConfig = {},
  maxConnections: number | undefined = undefined,
): ConnectorSettings {
  const heartbeat = config.heartbeat ?? DEFAULT_HEARTBEAT_SECONDS;
  check(
    'heartbeat',
    heartbeat,
    Number.isInteger(heartbeat) && heartbeat >= 0,
    'an integer number of seconds',
  );
  const timeout = config.timeout ?? heartbeat * 2;
  check('timeout', timeout, timeout >= 0 && timeout < Infinity, 'seconds, 0 or more');
  const handshakeTimeout = config.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT_SECONDS;
  check(
    'handshakeTimeout',
    handshakeTimeout,
    handshakeTimeout > 0 && handshakeTimeout < Infinity,
    'positive seconds',
  );
  const maxPackageSize = config.maxPackageSize ?? DEFAULT_MAX_PACKAGE_BODY_LENGTH;
  check(
    'maxPackageSize',
    maxPackageSize,
    Number.isInteger(maxPackageSize) && maxPackageSize > 0 && maxPackageSize <= MAX_PACKAGE_BODY_LENGTH,
    `bytes, from 1 to ${MAX_PACKAGE_BODY_LENGTH}`,
  );
  const maxFrameSize = config.maxFrameSize ?? Math.min(4 * (maxPackageSize + 4), MAX_FRAME_SIZE);
  check(
    'maxFrameSize',
    maxFrameSize,
    Number.isInteger(maxFrameSize) && maxFrameSize >= maxPackageSize + 4 && maxFrameSize <= MAX_FRAME_SIZE,
    `bytes, from maxPackageSize + 4 to ${MAX_FRAME_SIZE}`,
  );
  const maxBufferedBytes = config.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
  check('maxBufferedBytes', maxBufferedBytes, maxBufferedBytes > 0, 'positive bytes');
  const maxPending = config.maxPendingRequests ?? DEFAULT_MAX_PENDING_REQUESTS;
  check(
    'maxPendingRequests',
    maxPending,
    Number.isInteger(maxPending) && maxPending > 0,
    'a positive integer',
  );
  const rate = config.rateLimit;
  if (rate !== undefined) {
    check('rateLimit.requests', rate.requests, rate.requests > 0 && rate.requests < Infinity, 'positive');
    check('rateLimit.perMs', rate.perMs, rate.perMs > 0 && rate.perMs < Infinity, 'positive milliseconds');
  }
  const dictionaryMode = config.dictionaryMode ?? 'auto';
  if (dictionaryMode !== 'auto' && dictionaryMode !== 'stable') {
    throw new ShaddockError(
      ErrorCode.ConnectorConfigInvalid,
      `connectorConfig.dictionaryMode must be 'auto' or 'stable', got ${String(dictionaryMode)}`,
    );
  }
  const perIp = config.maxConnectionsPerIp ?? DEFAULT_MAX_CONNECTIONS_PER_IP;
  check('maxConnectionsPerIp', perIp, Number.isInteger(perIp) && perIp >= 0, 'a non-negative integer');
  const limit = maxConnections ?? 0;
  check('max-connections', limit, Number.isInteger(limit) && limit >= 0, 'a non-negative integer');
  return {
    heartbeatSeconds: heartbeat,
    timeoutMs: timeout * 1000,
    handshakeTimeoutMs: handshakeTimeout * 1000,
    useDict: config.useDict ?? true,
    dictionaryMode,
    useProtobuf: config.useProtobuf,
    handshake: config.handshake,
    checkClient: config.checkClient,
    ssl: config.ssl,
    listenHost: config.listenHost,
    blacklist: config.blacklist ?? [],
    maxPackageSize,
    maxFrameSize,
    rateLimit: rate,
    maxBufferedBytes,
    maxPendingRequests: maxPending,
    realIpHeader: config.realIpHeader?.toLowerCase(),
    maxConnectionsPerIp: perIp,
    pushScheduler: config.pushScheduler ?? 'direct',
    noDelay: config.noDelay ?? true,
    maxConnections: limit,
  };
}

function check(field: string, value: unknown, ok: boolean, expected: string): void {
  if (typeof value !== 'number' || Number.isNaN(value) || !ok) {
    throw new ShaddockError(
      ErrorCode.ConnectorConfigInvalid,
      `connectorConfig.${field} must be ${expected}, got ${String(value)}`,
    );
  }
}
