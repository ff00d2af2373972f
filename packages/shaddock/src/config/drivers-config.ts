import { ConfigError, ErrorCode } from '../errors.js';
import { fieldPath, isRecord } from './config-file.js';
import { describe, type FieldSource, invalid, optionalInteger, optionalString } from './fields.js';

/** How servers carry RPC: a direct TCP mesh (default, fastest), or NATS where they cannot reach each other. */
export type RpcTransport = 'tcp' | 'nats';

/**
 * `rpc` in `config/cluster.*`: the transport, and the bounds every RPC server puts on each peer
 * (absent: the defaults of `RpcServer`, which every process of the cluster then shares).
 */
export interface RpcDriverConfig {
  readonly transport: RpcTransport;
  /** The largest RPC frame, in bytes, requests and replies (default 8 MiB): a peer that sends more is cut. */
  readonly maxFrameLength?: number;
  /** Bytes of replies queued for a peer that does not read them, past which it is cut (default 64 MiB). */
  readonly maxPendingBytes?: number;
  /** Milliseconds from a peer's connection to its valid proof of membership (default 5 000). */
  readonly handshakeTimeout?: number;
  /** Milliseconds a peer not yet authenticated may stay silent (default 2 000). */
  readonly handshakeIdleTimeout?: number;
}

/** Where the NATS servers are, and how to log in to them. */
export interface NatsServiceConfig {
  /** `nats://host:port` URLs; one is enough, the client learns the rest of a NATS cluster. */
  readonly servers: readonly string[];
  readonly user?: string;
  readonly pass?: string;
  readonly token?: string;
}

/** Where Redis is. */
export interface RedisServiceConfig {
  /** `redis://[user:pass@]host:port[/db]`. */
  readonly url: string;
}

/**
 * The cluster's scale-out services, from `config/cluster.*` and the environment: with `nats`,
 * membership (and, with `rpc.transport: 'nats'`, RPC) goes through NATS and no master is needed;
 * with `redis`, channel membership and online status live in Redis. Without either, the cluster
 * is the one-machine kind: the master's registry and memory stores.
 */
export interface DriverConfig {
  /** Names the cluster on shared services: every subject, bucket and key starts with it. */
  readonly name: string;
  readonly nats?: NatsServiceConfig;
  readonly redis?: RedisServiceConfig;
  readonly rpc: RpcDriverConfig;
  /**
   * The cluster secret every server-to-server connection proves it knows (RPC, monitor, NATS
   * orders): `SHADDOCK_CLUSTER_SECRET`, else `secret` in `config/cluster.*`. At least 32 characters;
   * `shaddock init` generates one. Production refuses to start without it. In the config a process
   * runs with (`createApp`'s, `app.cluster`), it is always set: the configured one, or outside
   * production the well-known development one (see `resolveClusterSecret`).
   */
  readonly secret?: string;
}

/** The variables that override `config/cluster.*` (one server can be pointed elsewhere without a file). */
export const DRIVER_VARIABLES = {
  name: 'SHADDOCK_CLUSTER',
  nats: 'SHADDOCK_NATS_URL',
  redis: 'SHADDOCK_REDIS_URL',
  rpcTransport: 'SHADDOCK_RPC_TRANSPORT',
  secret: 'SHADDOCK_CLUSTER_SECRET',
} as const;

/** The shortest cluster secret accepted. */
export const MIN_SECRET_LENGTH = 32;

const DEFAULT_NAME = 'shaddock';

/** The one-machine cluster: no scale-out service, RPC over TCP. */
export const LOCAL_DRIVER_CONFIG: DriverConfig = Object.freeze({
  name: DEFAULT_NAME,
  rpc: Object.freeze({ transport: 'tcp' as const }),
});
const NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
const FIELDS = new Set(['name', 'nats', 'redis', 'rpc', 'secret']);

/** A flat cluster file has its fields at the top; an env-keyed one only has environments. */
export function driversAreEnvKeyed(content: unknown): boolean {
  if (!isRecord(content) || Object.keys(content).some((key) => FIELDS.has(key))) return false;
  const values = Object.values(content);
  return values.length > 0 && values.every(isRecord);
}

/**
 * Reads the driver config of one environment from the file's `content` (absent: no file), then
 * applies the environment's variables. Throws a `ConfigError` naming the field.
 */
export function readDriverConfig(
  file: string,
  content: unknown,
  at: string,
  environment: NodeJS.ProcessEnv,
): DriverConfig {
  if (content !== undefined && !isRecord(content)) {
    throw new ConfigError(
      ErrorCode.ConfigInvalid,
      file,
      at === '' ? undefined : at,
      `expected an object { name, nats, redis, rpc }, got ${describe(content)}`,
    );
  }
  const record = content ?? {};
  const source: FieldSource = { file, at, record };
  for (const key of Object.keys(record)) {
    if (!FIELDS.has(key))
      throw invalid(source, key, `unknown field "${key}" (known: ${[...FIELDS].join(', ')})`);
  }
  const name = variable(environment, DRIVER_VARIABLES.name) ?? optionalString(source, 'name') ?? DEFAULT_NAME;
  if (!NAME_PATTERN.test(name)) {
    throw invalid(source, 'name', `cluster name "${name}" must be 1-64 letters, digits, "-" or "_"`);
  }
  const nats = readNats(source, variable(environment, DRIVER_VARIABLES.nats));
  const redis = readRedis(source, variable(environment, DRIVER_VARIABLES.redis));
  const rpc = readRpc(source);
  const transport = variable(environment, DRIVER_VARIABLES.rpcTransport) ?? rpc.transport;
  if (transport !== 'tcp' && transport !== 'nats') {
    throw invalid(source, 'rpc', `rpc transport "${transport}" is neither "tcp" nor "nats"`);
  }
  if (transport === 'nats' && nats === undefined) {
    throw invalid(source, 'rpc', 'rpc transport "nats" needs a "nats" service (or SHADDOCK_NATS_URL)');
  }
  const secret = variable(environment, DRIVER_VARIABLES.secret) ?? optionalString(source, 'secret');
  if (secret !== undefined && secret.length < MIN_SECRET_LENGTH) {
    throw invalid(source, 'secret', `the cluster secret must be at least ${MIN_SECRET_LENGTH} characters`);
  }
  return {
    name,
    ...(nats === undefined ? {} : { nats }),
    ...(redis === undefined ? {} : { redis }),
    rpc: { ...rpc, transport },
    ...(secret === undefined ? {} : { secret }),
  };
}

function variable(environment: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = environment[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function readNats(source: FieldSource, fromEnvironment: string | undefined): NatsServiceConfig | undefined {
  const value = source.record['nats'];
  if (fromEnvironment !== undefined) {
    const servers = fromEnvironment.split(',').map((url) => url.trim());
    const rest = isRecord(value)
      ? credentials({ ...source, record: value, at: fieldPath(source.at, 'nats') })
      : {};
    return { ...rest, servers: servers.map((url) => checkUrl(source, 'nats', url, ['nats:', 'tls:'])) };
  }
  if (value === undefined) return undefined;
  if (typeof value === 'string') return { servers: [checkUrl(source, 'nats', value, ['nats:', 'tls:'])] };
  if (!isRecord(value)) throw invalid(source, 'nats', `expected a URL or { servers, user, pass, token }`);
  const inner: FieldSource = { ...source, record: value, at: fieldPath(source.at, 'nats') };
  const raw = value['servers'];
  const list = typeof raw === 'string' ? [raw] : raw;
  if (!Array.isArray(list) || list.length === 0 || !list.every((url) => typeof url === 'string')) {
    throw invalid(inner, 'servers', 'expected a URL or a non-empty list of URLs');
  }
  return {
    ...credentials(inner),
    servers: list.map((url: string) => checkUrl(inner, 'servers', url, ['nats:', 'tls:'])),
  };
}

function credentials(source: FieldSource): Omit<NatsServiceConfig, 'servers'> {
  const user = optionalString(source, 'user');
  const pass = optionalString(source, 'pass');
  const token = optionalString(source, 'token');
  return {
    ...(user === undefined ? {} : { user }),
    ...(pass === undefined ? {} : { pass }),
    ...(token === undefined ? {} : { token }),
  };
}

function readRedis(source: FieldSource, fromEnvironment: string | undefined): RedisServiceConfig | undefined {
  if (fromEnvironment !== undefined)
    return { url: checkUrl(source, 'redis', fromEnvironment, ['redis:', 'rediss:']) };
  const value = source.record['redis'];
  if (value === undefined) return undefined;
  if (typeof value === 'string') return { url: checkUrl(source, 'redis', value, ['redis:', 'rediss:']) };
  if (!isRecord(value)) throw invalid(source, 'redis', 'expected a URL or { url }');
  const inner: FieldSource = { ...source, record: value, at: fieldPath(source.at, 'redis') };
  const url = optionalString(inner, 'url');
  if (url === undefined) throw invalid(inner, 'url', 'missing "url"');
  return { url: checkUrl(inner, 'url', url, ['redis:', 'rediss:']) };
}

const RPC_FIELDS = new Set([
  'transport',
  'maxFrameLength',
  'maxPendingBytes',
  'handshakeTimeout',
  'handshakeIdleTimeout',
]);

/** `rpc`: the transport (unchecked yet: the variable may replace it) and the bounds. */
function readRpc(source: FieldSource): Omit<RpcDriverConfig, 'transport'> & { transport: string } {
  const rpc = source.record['rpc'];
  if (rpc === undefined || rpc === null) return { transport: 'tcp' };
  if (!isRecord(rpc))
    throw invalid(source, 'rpc', 'expected { transport: "tcp" | "nats", maxFrameLength, … }');
  const inner: FieldSource = { ...source, record: rpc, at: fieldPath(source.at, 'rpc') };
  for (const key of Object.keys(rpc)) {
    if (!RPC_FIELDS.has(key))
      throw invalid(inner, key, `unknown field "${key}" (known: ${[...RPC_FIELDS].join(', ')})`);
  }
  const bounds = {
    maxFrameLength: optionalInteger(inner, 'maxFrameLength', 1_024, 0xffff_ffff),
    maxPendingBytes: optionalInteger(inner, 'maxPendingBytes', 65_536, Number.MAX_SAFE_INTEGER),
    handshakeTimeout: optionalInteger(inner, 'handshakeTimeout', 100, 600_000),
    handshakeIdleTimeout: optionalInteger(inner, 'handshakeIdleTimeout', 100, 600_000),
  };
  const result: Record<string, number | string> = { transport: optionalString(inner, 'transport') ?? 'tcp' };
  for (const [key, value] of Object.entries(bounds)) if (value !== undefined) result[key] = value;
  return result as Omit<RpcDriverConfig, 'transport'> & { transport: string };
}

function checkUrl(source: FieldSource, key: string, url: string, protocols: readonly string[]): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalid(source, key, `"${url}" is not a URL`);
  }
  if (!protocols.includes(parsed.protocol)) {
    throw invalid(source, key, `"${url}" must start with ${protocols.map((p) => `${p}//`).join(' or ')}`);
  }
  return url;
}
