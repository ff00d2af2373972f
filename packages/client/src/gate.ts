import type { JsonObject } from '@shaddock/protocol';
import { sleep } from './abortable.js';
import { isPort } from './endpoint.js';
import { ClientError, ClientErrorCode, isClientError } from './errors.js';
import {
  type ClientOptions,
  type ConnectOptions,
  invalid,
  type ReconnectOptions,
  type ReconnectPolicy,
  reconnectDelay,
  reconnectPolicy,
} from './options.js';
import {
  describe,
  type Endpoint,
  endpointName,
  isEndpoint,
  type ResolveContext,
  type Resolver,
} from './resolver.js';

/** Options of {@link fromGate}: the gate's address, what to ask it, and how to connect to it. */
export interface GateOptions extends Omit<ClientOptions, 'reconnect'> {
  /** The gate's address: the one address clients know. */
  readonly host: string;
  readonly port: number;
  /** The route that answers `{ code: 200, host, port }`. Default `'gate.gateHandler.queryEntry'`. */
  readonly route?: string;
  /**
   * The request body, or a function of the resolver's context (to tell the gate which
   * connectors just failed, say). Default `{}`.
   */
  readonly body?: JsonObject | ((context: ResolveContext) => JsonObject);
  /**
   * How often, and with which backoff, the gate itself is tried in one ask when it cannot be
   * reached. Default 3 tries, from 100 ms, doubling, up to 1 s, ±20 %.
   */
  readonly retry?: ReconnectOptions;
}

const GATE_ROUTE = 'gate.gateHandler.queryEntry';

const GATE_RETRY: ReconnectPolicy = {
  maxAttempts: 3,
  initialDelay: 100,
  maxDelay: 1000,
  factor: 2,
  jitter: 0.2,
};

/** Errors of a gate that could not be asked, which may mend: the gate is retried on them. */
const UNREACHABLE: readonly ClientErrorCode[] = [
  ClientErrorCode.ConnectFailed,
  ClientErrorCode.ConnectTimeout,
  ClientErrorCode.HandshakeTimeout,
  ClientErrorCode.ConnectionLost,
  ClientErrorCode.Disconnected,
  ClientErrorCode.Timeout,
];

/**
 * A resolver that asks a gate for a connector, the Pomelo gate pattern: each ask opens a
 * short-lived connection to the gate (with the client's transport settings unless `options`
 * say otherwise), requests `route` with `body`, and answers the `{ host, port }` of its
 * `{ code: 200, host, port }` response. A gate that cannot be reached is tried again with
 * backoff (`retry`); an answer that names no connector fails the ask with `ResolveFailed`.
 *
 * @example
 * ```ts
 * const client = await connect({
 *   resolve: fromGate({ host: 'gate.example.com', port: 3014, body: { username: 'ada' } }),
 *   reconnect: true,
 * });
 * ```
 */
export function fromGate(options: GateOptions): Resolver {
  const { route = GATE_ROUTE, body = {}, retry = {}, ...connectOptions } = options;
  const { host, port } = connectOptions;
  if (typeof host !== 'string' || host === '') invalid('fromGate host', host, 'a non-empty string');
  if (!isPort(port)) invalid('fromGate port', port, 'an integer from 1 to 65535');
  if (typeof route !== 'string' || route === '') invalid('fromGate route', route, 'a non-empty string');
  const policy = reconnectPolicy(retry, 'fromGate.retry', GATE_RETRY);
  const gate = endpointName({ host, port });
  return async (context) => {
    const request = typeof body === 'function' ? body(context) : body;
    let lastError: unknown;
    for (let attempt = 1; attempt <= policy.maxAttempts && !context.signal.aborted; attempt++) {
      if (attempt > 1) await sleep(reconnectDelay(policy, attempt - 1, Math.random()), context.signal);
      try {
        return await queryEntry(context, connectOptions, route, request);
      } catch (error) {
        lastError = error;
        if (!UNREACHABLE.some((code) => isClientError(error, code))) break;
      }
    }
    if (isClientError(lastError, ClientErrorCode.ResolveFailed)) throw lastError;
    throw new ClientError(
      ClientErrorCode.ResolveFailed,
      `the gate at ${gate} could not be asked for a connector`,
      {
        cause: lastError,
      },
    );
  };
}

/** One query: connect to the gate, ask, close. */
async function queryEntry(
  context: ResolveContext,
  options: ConnectOptions,
  route: string,
  body: JsonObject,
): Promise<Endpoint> {
  const gate = await context.connect(options);
  const close = (): void => void gate.close();
  context.signal.addEventListener('abort', close);
  try {
    if (context.signal.aborted) throw context.signal.reason;
    const response = await gate.request(route, body);
    if (response.code === 200 && isEndpoint(response)) return { host: response.host, port: response.port };
    const where = endpointName(options);
    throw new ClientError(
      ClientErrorCode.ResolveFailed,
      `the gate at ${where} answered "${route}" with ${describe(response)}, not { code: 200, host, port }`,
    );
  } finally {
    context.signal.removeEventListener('abort', close);
    await gate.close();
  }
}
