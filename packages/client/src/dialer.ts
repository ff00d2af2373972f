import { untilAborted } from './abortable.js';
import type { Connection } from './connection.js';
import type { Emitter } from './emitter.js';
import { ClientError, ClientErrorCode, isClientError } from './errors.js';
import type { ConnectOptions } from './options.js';
import {
  asResolveFailed,
  candidatesOf,
  type Endpoint,
  type EndpointFailure,
  endpointName,
  type ResolveContext,
  type Resolver,
} from './resolver.js';
import type { Client, ClientEvents } from './types.js';

/** Failures remembered, one per endpoint: enough for any list of connectors, bounded for a resolver that invents them. */
const MAX_FAILURES_KEPT = 64;
/** Asks of the resolver in one round, when each answer brings new endpoints. */
const MAX_ASKS_PER_ROUND = 8;

/** What a {@link Dialer} needs from its client. */
export interface DialerSetup {
  readonly resolve: Resolver;
  /** One address given, no resolver: bytes that are not the protocol end reconnecting, as they always did. */
  readonly fixed: boolean;
  /** Aborted when the client closes. */
  readonly signal: AbortSignal;
  readonly events: Emitter<ClientEvents>;
  /** Opens a socket to `endpoint` and handshakes; rejects with a {@link ClientError}. */
  establish(endpoint: Endpoint): Promise<Connection>;
  /** A side connection for resolvers (a gate query). */
  connect(options: ConnectOptions): Promise<Client>;
}

/** An established connection and where it goes. */
export interface Dialed {
  readonly connection: Connection;
  readonly endpoint: Endpoint;
}

/**
 * Finds a server for a client, one round at a time: asks the resolver, tries each candidate
 * in turn (a failure moves on to the next at once; a timeout costs its timeout only), and asks
 * again while the answers bring endpoints not yet tried in the round. It remembers the latest
 * failure of each endpoint, which resolvers see as `failed`.
 */
export class Dialer {
  readonly #setup: DialerSetup;
  readonly #failed = new Map<string, EndpointFailure>();

  constructor(setup: DialerSetup) {
    this.#setup = setup;
  }

  /**
   * One round: resolves with the first candidate that handshakes, or rejects with the round's
   * error: the one failure if there was one, else a `ConnectFailed` naming each endpoint, with an
   * `AggregateError` of them as its cause. A {@link fatal} error ends the round at once.
   */
  async round(attempt: number): Promise<Dialed> {
    const { events, signal } = this.#setup;
    const tried = new Set<string>();
    const errors: { readonly name: string; readonly error: ClientError }[] = [];
    for (let ask = 0; ask < MAX_ASKS_PER_ROUND; ask++) {
      let candidates: readonly Endpoint[];
      try {
        candidates = await this.#ask(attempt);
      } catch (caught) {
        if (signal.aborted) throw caught;
        const error = asResolveFailed(caught);
        events.emit('resolve-failed', { attempt, error });
        errors.push({ name: 'resolver', error });
        break;
      }
      let fresh = false;
      for (const endpoint of candidates) {
        const name = endpointName(endpoint);
        if (tried.has(name)) continue;
        tried.add(name);
        fresh = true;
        try {
          const connection = await this.#setup.establish(endpoint);
          this.#failed.delete(name);
          return { connection, endpoint };
        } catch (caught) {
          if (signal.aborted || this.fatal(caught)) throw caught;
          const error = asClientError(caught);
          this.failed(endpoint, error);
          events.emit('endpoint-failed', { attempt, endpoint, error });
          errors.push({ name, error });
        }
      }
      if (!fresh) break;
    }
    throw roundError(errors);
  }

  /** Remembers that `endpoint` failed (could not connect, or its connection was lost). */
  failed(endpoint: Endpoint, error: ClientError): void {
    const name = endpointName(endpoint);
    this.#failed.delete(name);
    this.#failed.set(name, { endpoint, error, at: Date.now() });
    if (this.#failed.size > MAX_FAILURES_KEPT) {
      const oldest = this.#failed.keys().next();
      if (!oldest.done) this.#failed.delete(oldest.value);
    }
  }

  /**
   * True for an error another candidate or round will not mend: a server that speaks the
   * protocol and refuses the handshake (every connector runs the same checks), options this
   * platform cannot use, and, with one fixed address, bytes that are not the protocol (with a
   * resolver, that address is just not a Pomelo server, and the next candidate may be).
   */
  fatal(error: unknown): boolean {
    return (
      isClientError(error, ClientErrorCode.HandshakeRejected) ||
      isClientError(error, ClientErrorCode.InvalidOptions) ||
      (this.#setup.fixed && isClientError(error, ClientErrorCode.Protocol))
    );
  }

  async #ask(attempt: number): Promise<readonly Endpoint[]> {
    const { resolve, signal } = this.#setup;
    const context: ResolveContext = {
      attempt,
      failed: [...this.#failed.values()],
      signal,
      connect: (options) => this.#setup.connect(options),
    };
    // Called inside a promise, so that a resolver that throws at once rejects like one that fails later.
    const answer = await untilAborted(
      Promise.resolve().then(() => resolve(context)),
      signal,
    );
    return candidatesOf(answer);
  }
}

function asClientError(error: unknown): ClientError {
  return error instanceof ClientError
    ? error
    : new ClientError(ClientErrorCode.ConnectFailed, 'the connection could not be opened', { cause: error });
}

function roundError(errors: readonly { readonly name: string; readonly error: ClientError }[]): ClientError {
  const [first] = errors;
  if (first === undefined)
    return new ClientError(ClientErrorCode.ConnectFailed, 'no candidate to connect to');
  if (errors.length === 1) return first.error;
  const list = errors.map(({ name, error }) => `${name} (${error.message})`).join(', ');
  return new ClientError(ClientErrorCode.ConnectFailed, `no candidate could be connected to: ${list}`, {
    cause: new AggregateError(
      errors.map(({ error }) => error),
      list,
    ),
  });
}
