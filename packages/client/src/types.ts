import type { JsonObject } from '@shaddock/protocol';
import type {
  AnyClientApi,
  ClientApi,
  NotifyBody,
  NotifyRoute,
  PushBody,
  PushRoute,
  RequestBody,
  RequestRoute,
  ResponseBody,
} from './api.js';
import type { DisconnectReason } from './connection.js';
import type { EventSource, Listener } from './emitter.js';
import type { Endpoint } from './endpoint.js';
import type { ClientError } from './errors.js';

export type { DisconnectReason } from './connection.js';

/**
 * Where a client is in its life: opening the socket, waiting for the handshake, connected,
 * waiting to reconnect (or re-handshaking) after a loss, or closed for good.
 */
export type ClientState = 'connecting' | 'handshaking' | 'connected' | 'reconnecting' | 'closed';

/** A client's lifecycle events and their payloads. */
export interface ClientEvents {
  /** A handshake succeeded, the first time and after each reconnect; `endpoint` is the server's address. */
  connected: { readonly handshake: JsonObject | undefined; readonly endpoint: Endpoint };
  /** An established connection ended. `error` says how, as a {@link ClientError}. */
  disconnected: { readonly reason: DisconnectReason; readonly error: ClientError };
  /** The server kicked this client; it closes and does not reconnect. */
  kick: { readonly reason: string };
  /** Nothing arrived from the server within the heartbeat timeout; the connection is dropped. */
  'heartbeat-timeout': { readonly timeout: number };
  /** A reconnect attempt (with `resolve`, a round) is scheduled `delay` milliseconds from now. */
  reconnecting: { readonly attempt: number; readonly delay: number };
  /**
   * A connection to `endpoint` could not be opened or handshaken (`error` says why: refused,
   * timed out, closed before the handshake...); the client moves on to the next candidate at
   * once. `attempt` is 0 on the first connect, else the reconnect attempt.
   */
  'endpoint-failed': { readonly attempt: number; readonly endpoint: Endpoint; readonly error: ClientError };
  /** The resolver threw or answered no usable endpoint; `error` is a `ResolveFailed`, the round fails. */
  'resolve-failed': { readonly attempt: number; readonly error: ClientError };
  /** Reconnected (and handshaken again) after `attempt` attempts. */
  reconnected: { readonly attempt: number };
  /** The server broke the protocol, reconnecting failed for good, or a handshake was refused. */
  error: ClientError;
  /** The client is closed for good, by its owner or by a failure; `error` is absent after `close()`. */
  closed: { readonly error: ClientError | undefined };
}

/** Per-request options. */
export interface RequestOptions {
  /** Milliseconds to wait for the response; default the client's `requestTimeout`. */
  readonly timeout?: number;
}

/**
 * A connection to a Pomelo-protocol server (Shaddock, Pinus, Pomelo), typed by `Api`.
 *
 * @example
 * ```ts
 * const client = await connect({ host: '127.0.0.1', port: 3010 });
 * client.on('onChat', (message) => console.log(message));
 * const reply = await client.request('connector.entryHandler.enter', { username: 'a' });
 * await client.close();
 * ```
 */
export interface Client<Api extends ClientApi = AnyClientApi> {
  readonly state: ClientState;
  /** The `user` data of the server's handshake response, if any (from the latest handshake). */
  readonly handshake: JsonObject | undefined;
  /** The address of the server of the latest connection (the one a resolver chose). */
  readonly endpoint: Endpoint | undefined;
  /** Lifecycle events. */
  readonly events: EventSource<ClientEvents>;
  /**
   * Sends a request and resolves with the response body, whatever it holds: a Pomelo server
   * answers a failed handler with a body such as `{ code: 500 }`, and that is a response.
   * Rejects with a {@link ClientError}: `Timeout`, `Disconnected` (the connection ended first),
   * `NotConnected` (issued while not connected: nothing is queued), `Closed`, `EncodeFailed`.
   */
  request<Route extends RequestRoute<Api>>(
    route: Route,
    body: RequestBody<Api, Route>,
    options?: RequestOptions,
  ): Promise<ResponseBody<Api, Route>>;
  /** Sends a notify (no response). Throws a {@link ClientError} `NotConnected` or `EncodeFailed`. */
  notify<Route extends NotifyRoute<Api>>(route: Route, body: NotifyBody<Api, Route>): void;
  /** Calls `listener` with the body of every push on `route`. */
  on<Route extends PushRoute<Api>>(route: Route, listener: Listener<PushBody<Api, Route>>): this;
  /** Calls `listener` with the body of the next push on `route` only. */
  once<Route extends PushRoute<Api>>(route: Route, listener: Listener<PushBody<Api, Route>>): this;
  /** Removes one registration of `listener` for `route`. */
  off<Route extends PushRoute<Api>>(route: Route, listener: Listener<PushBody<Api, Route>>): this;
  /** Closes for good: pending requests reject with `Closed`; resolves once the socket is gone. */
  close(): Promise<void>;
}
