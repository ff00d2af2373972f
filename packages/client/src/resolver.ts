import { ClientError, ClientErrorCode } from './errors.js';
import { type ConnectOptions, invalid, isPort } from './options.js';
import type { Client } from './types.js';

/** An address a client can connect to: a connector's client-facing host and port. */
export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

/** An endpoint that failed recently, and how. */
export interface EndpointFailure {
  readonly endpoint: Endpoint;
  /**
   * Why: `ConnectFailed` (refused, unreachable), `ConnectTimeout`, `HandshakeTimeout`,
   * `ConnectionLost` (closed before the handshake, or an established connection lost),
   * `HeartbeatTimeout`, `Protocol` (not a Pomelo server).
   */
  readonly error: ClientError;
  /** When, in milliseconds since the epoch (`Date.now()`). */
  readonly at: number;
}

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
 * Ready-made: {@link fromList}, {@link fromGate}.
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

/** `host:port`, with an IPv6 host in brackets: an endpoint's key and its name in messages. */
export function endpointName({ host, port }: Endpoint): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The endpoints of a resolver's answer, checked: a bad answer is a `ResolveFailed`. */
export function candidatesOf(answer: unknown): readonly Endpoint[] {
  const list: readonly unknown[] = Array.isArray(answer) ? answer : [answer];
  if (list.length === 0) throw resolveFailed('the resolver answered no endpoint');
  return list.map((candidate) => {
    if (!isEndpoint(candidate)) {
      throw resolveFailed(`the resolver answered ${describe(candidate)}, not { host, port }`);
    }
    return { host: candidate.host, port: candidate.port };
  });
}

/** True for `{ host, port }` with a non-empty host and a valid port. */
export function isEndpoint(value: unknown): value is Endpoint {
  if (typeof value !== 'object' || value === null) return false;
  const { host, port } = value as { host?: unknown; port?: unknown };
  return typeof host === 'string' && host !== '' && isPort(port);
}

/** `error` as a `ResolveFailed`, kept when it is one already. */
export function asResolveFailed(error: unknown): ClientError {
  if (error instanceof ClientError && error.code === ClientErrorCode.ResolveFailed) return error;
  const message = error instanceof Error ? error.message : String(error);
  return resolveFailed(`the resolver failed: ${message}`, error);
}

function resolveFailed(message: string, cause?: unknown): ClientError {
  return new ClientError(ClientErrorCode.ResolveFailed, message, cause === undefined ? {} : { cause });
}

/** A value in an error message: JSON, cut short. */
export function describe(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

/** Options of {@link fromList}. */
export interface ListOptions {
  /**
   * Where the first ask starts in the list: `'random'` (the default, so clients spread over
   * the connectors) or `'first'`. Each later ask starts one further on (round-robin).
   */
  readonly start?: 'random' | 'first';
}

/**
 * A resolver over a fixed list of connectors: each ask answers the whole list, round-robin
 * from a random start, with the endpoints that failed recently moved to the end (the one that
 * failed longest ago first), so a dead connector is tried last rather than first, yet is not
 * forgotten should it come back.
 *
 * @example
 * ```ts
 * const client = await connect({
 *   resolve: fromList([{ host: 'c1.example.com', port: 3010 }, { host: 'c2.example.com', port: 3010 }]),
 *   reconnect: true,
 * });
 * ```
 */
export function fromList(endpoints: readonly Endpoint[], options: ListOptions = {}): Resolver {
  if (!Array.isArray(endpoints) || endpoints.length === 0) {
    invalid('fromList endpoints', describe(endpoints), 'a non-empty list');
  }
  const list = endpoints.map((endpoint, index): Endpoint => {
    if (!isEndpoint(endpoint)) invalid(`fromList endpoints[${index}]`, describe(endpoint), '{ host, port }');
    return { host: endpoint.host, port: endpoint.port };
  });
  let next = options.start === 'first' ? 0 : Math.floor(Math.random() * list.length);
  return ({ failed }) => {
    const start = next;
    next = (next + 1) % list.length;
    const failedAt = new Map(failed.map((failure) => [endpointName(failure.endpoint), failure.at]));
    return [...list.slice(start), ...list.slice(0, start)]
      .map((endpoint, order) => ({ endpoint, order, failedAt: failedAt.get(endpointName(endpoint)) ?? -1 }))
      .sort((a, b) => a.failedAt - b.failedAt || a.order - b.order)
      .map(({ endpoint }) => endpoint);
  };
}
