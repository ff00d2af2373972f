import { type Endpoint, endpointName, isEndpoint } from './endpoint.js';
import { ClientError, ClientErrorCode } from './errors.js';
import { invalid, type Resolver } from './options.js';

export { type Endpoint, type EndpointFailure, endpointName, isEndpoint } from './endpoint.js';
export type { Candidates, ResolveContext, Resolver } from './options.js';

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
