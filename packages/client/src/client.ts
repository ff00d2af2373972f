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
import {
  Connection,
  type ConnectionListener,
  type ConnectionSetup,
  type DisconnectReason,
  timerDelay,
} from './connection.js';
import { Emitter, type Listener } from './emitter.js';
import { ClientError, ClientErrorCode, isClientError } from './errors.js';
import { Negotiation } from './negotiation.js';
import {
  type ClientSettings,
  type ConnectOptions,
  duration,
  type ReconnectPolicy,
  reconnectDelay,
  resolveSettings,
} from './options.js';
import type { OpenTransport, TransportTarget } from './transport.js';
import type { Client, ClientEvents, ClientState, RequestOptions } from './types.js';

/**
 * Connects with the given transports and resolves once the handshake is done. Each platform
 * entry (`index.ts` for Node, `browser.ts`) passes its own `openTransport`.
 */
export async function connectWith<Api extends ClientApi = AnyClientApi>(
  options: ConnectOptions,
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
  readonly #target: Omit<TransportTarget, 'signal'>;
  readonly #setup: ConnectionSetup;
  #state: ClientState = 'connecting';
  #handshake: JsonObject | undefined;
  /** The connection while connected. */
  #connection: Connection | undefined;
  /** The latest connection, to await its socket on close. */
  #latest: Connection | undefined;
  #attempt: Attempt | undefined;
  #closed = false;
  #closing: Promise<void> | undefined;
  #wake: (() => void) | undefined;

  constructor(settings: ClientSettings, openTransport: OpenTransport) {
    this.#settings = settings;
    this.#openTransport = openTransport;
    const { transport: kind, host, port, tls, path, maxBodyLength } = settings;
    this.#target = { kind, host, port, tls, path, maxBodyLength };
    const negotiation = new Negotiation(settings);
    this.#setup = {
      handshakeTimeout: settings.handshakeTimeout,
      heartbeatTimeoutFactor: settings.heartbeatTimeoutFactor,
      handshakeRequest: () => negotiation.request(),
      negotiate: (response) => negotiation.codec(response),
    };
  }

  get state(): ClientState {
    return this.#state;
  }

  get handshake(): JsonObject | undefined {
    return this.#handshake;
  }

  async start(): Promise<void> {
    try {
      this.#connected(await this.#establish(), 0);
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
    this.#wake?.();
    const attempt = this.#attempt;
    attempt?.abort.abort(new ClientError(ClientErrorCode.Closed, 'the client was closed'));
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
    if (reason === 'protocol-error') this.events.emit('error', error);
    const policy = this.#settings.reconnect;
    if (policy !== undefined && (reason === 'connection-lost' || reason === 'heartbeat-timeout')) {
      void this.#reconnect(policy);
    } else {
      this.#finish(error);
    }
  }

  /** Opens a socket and handshakes, within the connect and handshake timeouts. */
  async #establish(): Promise<Connection> {
    const abort = new AbortController();
    const connection = new Connection(this.#setup, this);
    this.#attempt = { connection, abort };
    this.#latest = connection;
    const { connectTimeout } = this.#settings;
    const timer = setTimeout(() => {
      const where = `${this.#target.host}:${this.#target.port}`;
      abort.abort(
        new ClientError(
          ClientErrorCode.ConnectTimeout,
          `no connection to ${where} within ${connectTimeout} ms`,
        ),
      );
    }, timerDelay(connectTimeout));
    try {
      if (this.#state !== 'reconnecting') this.#state = 'connecting';
      const transport = await this.#openTransport({ ...this.#target, signal: abort.signal }, connection);
      clearTimeout(timer);
      if (this.#state !== 'reconnecting') this.#state = 'handshaking';
      this.#handshake = await connection.handshake(transport);
      return connection;
    } finally {
      clearTimeout(timer);
      this.#attempt = undefined;
    }
  }

  #connected(connection: Connection, attempt: number): void {
    this.#connection = connection;
    this.#state = 'connected';
    this.events.emit('connected', { handshake: this.#handshake });
    if (attempt > 0) this.events.emit('reconnected', { attempt });
  }

  async #reconnect(policy: ReconnectPolicy): Promise<void> {
    this.#state = 'reconnecting';
    let lastError: unknown;
    for (let attempt = 1; attempt <= policy.maxAttempts; attempt++) {
      const delay = reconnectDelay(policy, attempt, Math.random());
      this.events.emit('reconnecting', { attempt, delay });
      await this.#sleep(delay);
      if (this.#closed) return;
      try {
        const connection = await this.#establish();
        if (this.#closed) return;
        return this.#connected(connection, attempt);
      } catch (error) {
        if (this.#closed) return;
        lastError = error;
        // A refused handshake or a broken protocol will not mend by trying again.
        if (
          isClientError(error, ClientErrorCode.HandshakeRejected) ||
          isClientError(error, ClientErrorCode.Protocol)
        ) {
          return this.#fail(error);
        }
      }
    }
    const message = `could not reconnect in ${policy.maxAttempts} attempts`;
    this.#fail(new ClientError(ClientErrorCode.ReconnectFailed, message, { cause: lastError }));
  }

  #sleep(delay: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#wake = undefined;
        resolve();
      }, timerDelay(delay));
      this.#wake = () => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
    });
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
