import type { JsonObject } from '@shaddock/protocol';
import { sleep } from './abortable.js';
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
import {
  Connection,
  type ConnectionListener,
  type ConnectionSetup,
  type DisconnectReason,
  timerDelay,
} from './connection.js';
import { type Dialed, Dialer } from './dialer.js';
import { Emitter, type Listener } from './emitter.js';
import { ClientError, ClientErrorCode } from './errors.js';
import { Negotiation } from './negotiation.js';
import {
  type ClientSettings,
  type ConnectOptions,
  duration,
  type ReconnectPolicy,
  type ResolverConnectOptions,
  reconnectDelay,
  resolveSettings,
  sharedOptions,
} from './options.js';
import { type Endpoint, endpointName } from './resolver.js';
import type { OpenTransport, TransportTarget } from './transport.js';
import type { Client, ClientEvents, ClientState, RequestOptions } from './types.js';

/**
 * Connects with the given transports and resolves once the handshake is done. Each platform
 * entry (`index.ts` for Node, `browser.ts`) passes its own `openTransport`.
 */
export async function connectWith<Api extends ClientApi = AnyClientApi>(
  options: ConnectOptions | ResolverConnectOptions,
  openTransport: OpenTransport,
): Promise<Client<Api>> {
  const client = new ShaddockClient<Api>(resolveSettings(options), openTransport);
  await client.start();
  return client;
}

interface Attempt {
  readonly connection: Connection;
  readonly abort: AbortController;
}

class ShaddockClient<Api extends ClientApi> implements Client<Api>, ConnectionListener {
  readonly events = new Emitter<ClientEvents>();
  readonly #pushes = new Emitter<Record<string, JsonObject>>();
  readonly #settings: ClientSettings;
  readonly #openTransport: OpenTransport;
  readonly #target: Omit<TransportTarget, 'signal' | 'host' | 'port'>;
  readonly #setup: ConnectionSetup;
  /** Aborted by `close()`: stops a resolver, a backoff wait, a gate query. */
  readonly #lifetime = new AbortController();
  readonly #dialer: Dialer;
  #state: ClientState = 'connecting';
  #handshake: JsonObject | undefined;
  #endpoint: Endpoint | undefined;
  /** The connection while connected. */
  #connection: Connection | undefined;
  /** The latest connection, to await its socket on close. */
  #latest: Connection | undefined;
  #attempt: Attempt | undefined;
  #closed = false;
  #closing: Promise<void> | undefined;

  constructor(settings: ClientSettings, openTransport: OpenTransport) {
    this.#settings = settings;
    this.#openTransport = openTransport;
    const { transport: kind, tls, path, maxBodyLength } = settings;
    this.#target = { kind, tls, path, maxBodyLength };
    const negotiation = new Negotiation(settings);
    this.#setup = {
      handshakeTimeout: settings.handshakeTimeout,
      heartbeatTimeoutFactor: settings.heartbeatTimeoutFactor,
      handshakeRequest: () => negotiation.request(),
      negotiate: (response) => negotiation.codec(response),
    };
    const shared = sharedOptions(settings);
    this.#dialer = new Dialer({
      resolve: settings.resolve,
      fixed: settings.fixed,
      signal: this.#lifetime.signal,
      events: this.events,
      establish: (endpoint) => this.#establish(endpoint),
      connect: (options) => connectWith({ ...shared, ...options }, openTransport),
    });
  }

  get state(): ClientState {
    return this.#state;
  }

  get handshake(): JsonObject | undefined {
    return this.#handshake;
  }

  get endpoint(): Endpoint | undefined {
    return this.#endpoint;
  }

  async start(): Promise<void> {
    try {
      this.#connected(await this.#dialer.round(0), 0);
    } catch (error) {
      this.#state = 'closed';
      throw error;
    }
  }

  request<Route extends RequestRoute<Api>>(
    route: Route,
    body: RequestBody<Api, Route>,
    options?: RequestOptions,
  ): Promise<ResponseBody<Api, Route>> {
    const connection = this.#connection;
    if (connection === undefined) return Promise.reject(this.#notConnected(route));
    let timeout = this.#settings.requestTimeout;
    if (options?.timeout !== undefined) {
      try {
        timeout = duration('timeout', options.timeout);
      } catch (error) {
        return Promise.reject(error);
      }
    }
    return connection.request(route, body as JsonObject, timeout) as Promise<ResponseBody<Api, Route>>;
  }

  notify<Route extends NotifyRoute<Api>>(route: Route, body: NotifyBody<Api, Route>): void {
    const connection = this.#connection;
    if (connection === undefined) throw this.#notConnected(route);
    connection.notify(route, body as JsonObject);
  }

  on<Route extends PushRoute<Api>>(route: Route, listener: Listener<PushBody<Api, Route>>): this {
    this.#pushes.on(route, listener as Listener<JsonObject>);
    return this;
  }

  once<Route extends PushRoute<Api>>(route: Route, listener: Listener<PushBody<Api, Route>>): this {
    this.#pushes.once(route, listener as Listener<JsonObject>);
    return this;
  }

  off<Route extends PushRoute<Api>>(route: Route, listener: Listener<PushBody<Api, Route>>): this {
    this.#pushes.off(route, listener as Listener<JsonObject>);
    return this;
  }

  close(): Promise<void> {
    if (this.#closing) return this.#closing;
    this.#closed = true;
    const closed = new ClientError(ClientErrorCode.Closed, 'the client was closed');
    this.#lifetime.abort(closed);
    const attempt = this.#attempt;
    attempt?.abort.abort(closed);
    attempt?.connection.close();
    this.#connection?.close();
    const latest = this.#latest;
    this.#finish(undefined);
    this.#closing = Promise.all([latest?.closed, attempt?.connection.closed]).then(() => undefined);
    return this.#closing;
  }

  onPush(route: string, body: JsonObject): void {
    this.#pushes.emit(route, body);
  }

  onKick(reason: string): void {
    this.events.emit('kick', { reason });
  }

  onHeartbeatTimeout(timeout: number): void {
    this.events.emit('heartbeat-timeout', { timeout });
  }

  onEnd(reason: DisconnectReason, error: ClientError): void {
    this.#connection = undefined;
    this.events.emit('disconnected', { reason, error });
    if (reason === 'client-closed' || this.#closed) return;
    if (this.#endpoint !== undefined) this.#dialer.failed(this.#endpoint, error);
    if (reason === 'protocol-error') this.events.emit('error', error);
    const policy = this.#settings.reconnect;
    if (policy !== undefined && (reason === 'connection-lost' || reason === 'heartbeat-timeout')) {
      void this.#reconnect(policy);
    } else {
      this.#finish(error);
    }
  }

  /** Opens a socket to `endpoint` and handshakes, within the connect and handshake timeouts. */
  async #establish(endpoint: Endpoint): Promise<Connection> {
    const abort = new AbortController();
    const connection = new Connection(this.#setup, this);
    this.#attempt = { connection, abort };
    this.#latest = connection;
    const { connectTimeout } = this.#settings;
    const timer = setTimeout(() => {
      const where = endpointName(endpoint);
      abort.abort(
        new ClientError(
          ClientErrorCode.ConnectTimeout,
          `no connection to ${where} within ${connectTimeout} ms`,
        ),
      );
    }, timerDelay(connectTimeout));
    try {
      if (this.#state !== 'reconnecting') this.#state = 'connecting';
      const target = { ...this.#target, host: endpoint.host, port: endpoint.port, signal: abort.signal };
      const transport = await this.#openTransport(target, connection);
      clearTimeout(timer);
      if (this.#state !== 'reconnecting') this.#state = 'handshaking';
      this.#handshake = await connection.handshake(transport);
      return connection;
    } finally {
      clearTimeout(timer);
      this.#attempt = undefined;
    }
  }

  #connected({ connection, endpoint }: Dialed, attempt: number): void {
    this.#connection = connection;
    this.#endpoint = endpoint;
    this.#state = 'connected';
    this.events.emit('connected', { handshake: this.#handshake, endpoint });
    if (attempt > 0) this.events.emit('reconnected', { attempt });
  }

  /** Rounds of the dialer, a backoff wait before each, until one connects or `maxAttempts` have failed. */
  async #reconnect(policy: ReconnectPolicy): Promise<void> {
    this.#state = 'reconnecting';
    let lastError: unknown;
    for (let attempt = 1; attempt <= policy.maxAttempts; attempt++) {
      const delay = reconnectDelay(policy, attempt, Math.random());
      this.events.emit('reconnecting', { attempt, delay });
      await sleep(delay, this.#lifetime.signal);
      if (this.#closed) return;
      try {
        const dialed = await this.#dialer.round(attempt);
        // Closed while the last handshake completed: that connection is nobody's now.
        if (this.#closed) return dialed.connection.close();
        return this.#connected(dialed, attempt);
      } catch (error) {
        if (this.#closed) return;
        lastError = error;
        if (this.#dialer.fatal(error)) return this.#fail(error as ClientError);
      }
    }
    const message = `could not reconnect in ${policy.maxAttempts} attempts`;
    this.#fail(new ClientError(ClientErrorCode.ReconnectFailed, message, { cause: lastError }));
  }

  #fail(error: ClientError): void {
    this.events.emit('error', error);
    this.#finish(error);
  }

  #finish(error: ClientError | undefined): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#closed = true;
    this.events.emit('closed', { error });
  }

  #notConnected(route: string): ClientError {
    if (this.#state === 'closed')
      return new ClientError(ClientErrorCode.Closed, `"${route}": the client is closed`);
    return new ClientError(
      ClientErrorCode.NotConnected,
      `"${route}": the client is ${this.#state}, not connected`,
    );
  }
}
