import type { ClientError } from './errors.js';

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

/** `host:port`, with an IPv6 host in brackets: an endpoint's key and its name in messages. */
export function endpointName({ host, port }: Endpoint): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** True for `{ host, port }` with a non-empty host and a valid port. */
export function isEndpoint(value: unknown): value is Endpoint {
  if (typeof value !== 'object' || value === null) return false;
  const { host, port } = value as { host?: unknown; port?: unknown };
  return typeof host === 'string' && host !== '' && isPort(port);
}

/** True for a TCP port number a client can connect to. */
export function isPort(port: unknown): port is number {
  return Number.isInteger(port) && (port as number) > 0 && (port as number) < 65_536;
}
