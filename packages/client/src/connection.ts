import {
  decodeHandshakeResponse,
  decodeKick,
  encodePackage,
  HandshakeCode,
  type HandshakeResponse,
  isProtocolError,
  type JsonObject,
  type MessageCodec,
  MessageType,
  PackageType,
} from '@shaddock/protocol';
import { ClientError, ClientErrorCode } from './errors.js';
import { PendingRequests } from './pending-requests.js';
import type { Transport, TransportHandlers } from './transport.js';

const HEARTBEAT = encodePackage(PackageType.Heartbeat);
const HANDSHAKE_ACK = encodePackage(PackageType.HandshakeAck);

/** Why an established connection ended. */
export type DisconnectReason =
  | 'connection-lost'
  | 'heartbeat-timeout'
  | 'kicked'
  | 'protocol-error'
  | 'client-closed';

/** What a connection reports to the client that owns it, once established. */
export interface ConnectionListener {
  onPush(route: string, body: JsonObject): void;
  onKick(reason: string): void;
  /** `timeout` is the silence, in milliseconds, that was exceeded. */
  onHeartbeatTimeout(timeout: number): void;
  /** The connection ended, once; every pending request is already rejected. */
  onEnd(reason: DisconnectReason, error: ClientError): void;
}

/** What a connection needs to know, fixed for the life of the client. */
export interface ConnectionSetup {
  /** The HANDSHAKE package to send; asked for each connection, as the cache may have changed. */
  handshakeRequest(): Uint8Array;
  readonly handshakeTimeout: number;
  readonly heartbeatTimeoutFactor: number;
  /** Builds the message codec from an accepted handshake (dictionary, protos, cache). */
  negotiate(response: HandshakeResponse): MessageCodec;
}

/**
 * One connection's protocol: handshake, ACK, heartbeats, requests and their responses,
 * pushes, kick. Every deadline it keeps (handshake, heartbeat to send, server silence,
 * request timeouts) shares ONE timer, armed for the earliest and re-armed lazily when it fires.
 */
export class Connection implements TransportHandlers {
  readonly #setup: ConnectionSetup;
  readonly #listener: ConnectionListener;
  #phase: 'opening' | 'handshaking' | 'open' | 'ended' = 'opening';
  #transport: Transport | undefined;
  #codec: MessageCodec | undefined;
  #handshake:
    | { resolve: (user: JsonObject | undefined) => void; reject: (error: ClientError) => void }
    | undefined;
  #endError: ClientError | undefined;
  readonly #pending = new PendingRequests();
  #heartbeatInterval = 0;
  #silenceTimeout = 0;
  #lastReceivedAt = 0;
  #heartbeatDueAt = 0;
  #handshakeDeadline = Infinity;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timerAt = 0;

  constructor(setup: ConnectionSetup, listener: ConnectionListener) {
    this.#setup = setup;
    this.#listener = listener;
  }

  /** Resolves when the socket is gone. */
  get closed(): Promise<void> {
    return this.#transport?.closed ?? Promise.resolve();
  }

  /** Sends the handshake; resolves with the server's `user` data once accepted and acknowledged. */
  handshake(transport: Transport): Promise<JsonObject | undefined> {
    this.#transport = transport;
    if (this.#phase === 'ended') {
      transport.close();
      return Promise.reject(this.#endError);
    }
    this.#phase = 'handshaking';
    return new Promise((resolve, reject) => {
      this.#handshake = { resolve, reject };
      this.#handshakeDeadline = performance.now() + this.#setup.handshakeTimeout;
      this.#rearm();
      transport.send(this.#setup.handshakeRequest());
    });
  }

  /** Sends a request; the caller has checked that the connection is open. */
  request(route: string, body: JsonObject, timeout: number): Promise<JsonObject> {
    const id = this.#pending.nextId();
    let bytes: Uint8Array;
    try {
      bytes = this.#codec!.encodeRequest(id, route, body);
    } catch (cause) {
      return Promise.reject(encodeFailed(route, cause));
    }
    return new Promise((resolve, reject) => {
      const deadline = performance.now() + timeout;
      if (this.#pending.add(id, { route, deadline, timeout, resolve, reject })) this.#armAt(deadline);
      this.#transport!.send(bytes);
    });
  }

  /** Sends a notify; the caller has checked that the connection is open. Throws `EncodeFailed`. */
  notify(route: string, body: JsonObject): void {
    let bytes: Uint8Array;
    try {
      bytes = this.#codec!.encodeNotify(route, body);
    } catch (cause) {
      throw encodeFailed(route, cause);
    }
    this.#transport!.send(bytes);
  }

  /** Closes for good: pending requests reject with `Closed`. */
  close(): void {
    this.#end('client-closed', new ClientError(ClientErrorCode.Closed, 'the client was closed'), false);
  }

  onPackage(type: PackageType, body: Uint8Array): void {
    if (this.#phase === 'ended') return;
    this.#lastReceivedAt = performance.now();
    try {
      if (type === PackageType.Data) {
        if (this.#phase === 'open') this.#receiveData(body);
      } else if (type === PackageType.Heartbeat) {
        if (this.#heartbeatInterval > 0 && this.#heartbeatDueAt === 0 && this.#phase === 'open') {
          this.#heartbeatDueAt = this.#lastReceivedAt + this.#heartbeatInterval;
          this.#armAt(this.#heartbeatDueAt);
        }
      } else if (type === PackageType.Handshake) {
        if (this.#phase === 'handshaking') this.#receiveHandshake(body);
      } else if (type === PackageType.Kick) {
        const { reason } = decodeKick(body);
        if (this.#phase === 'open') this.#listener.onKick(reason);
        this.#end(
          'kicked',
          new ClientError(ClientErrorCode.Kicked, `the server kicked this client: ${reason}`),
          false,
        );
      }
    } catch (error) {
      if (!isProtocolError(error)) throw error;
      this.#end('protocol-error', protocolError(error), true);
    }
  }

  onClose(cause: Error | undefined): void {
    if (isProtocolError(cause)) this.#end('protocol-error', protocolError(cause), true);
    else
      this.#end(
        'connection-lost',
        new ClientError(ClientErrorCode.ConnectionLost, 'the connection was lost', { cause }),
        true,
      );
  }

  #receiveHandshake(body: Uint8Array): void {
    const response = decodeHandshakeResponse(body);
    if (response.code !== HandshakeCode.Ok) {
      const error = new ClientError(
        ClientErrorCode.HandshakeRejected,
        `the server rejected the handshake with code ${response.code}`,
        { handshakeCode: response.code },
      );
      this.#end('connection-lost', error, false);
      return;
    }
    this.#codec = this.#setup.negotiate(response);
    const seconds = response.sys?.heartbeat ?? 0;
    this.#heartbeatInterval = seconds > 0 ? seconds * 1000 : 0;
    this.#silenceTimeout = this.#heartbeatInterval * this.#setup.heartbeatTimeoutFactor;
    this.#transport!.send(HANDSHAKE_ACK);
    this.#phase = 'open';
    this.#handshakeDeadline = Infinity;
    // Pomelo answers the ACK with a heartbeat; should a server not, the client still starts the cycle.
    if (this.#heartbeatInterval > 0) this.#heartbeatDueAt = this.#lastReceivedAt + this.#heartbeatInterval;
    const handshake = this.#handshake!;
    this.#handshake = undefined;
    this.#rearm();
    handshake.resolve(response.user);
  }

  #receiveData(body: Uint8Array): void {
    const pending = this.#pending;
    pending.beginLookup();
    let message: ReturnType<MessageCodec['decodeFromServer']>;
    try {
      message = this.#codec!.decodeFromServer(body, pending.routeOf);
    } catch (error) {
      if (!pending.lookedUp) throw error;
      const request = pending.takeFound();
      // A response nobody waits for (its request timed out) is dropped unread, even if its body cannot be read.
      if (request === undefined) return;
      if (isProtocolError(error)) request.reject(protocolError(error));
      throw error;
    }
    if (message.type === MessageType.Response) pending.takeFound()?.resolve(message.body);
    else this.#listener.onPush(message.route, message.body);
  }

  readonly #onTimer = (): void => {
    this.#timer = undefined;
    const now = performance.now();
    if (this.#phase === 'handshaking' && now >= this.#handshakeDeadline) {
      const error = new ClientError(ClientErrorCode.HandshakeTimeout, 'no handshake response in time');
      this.#end('connection-lost', error, true);
      return;
    }
    if (this.#phase !== 'open') {
      this.#rearm();
      return;
    }
    if (this.#silenceTimeout > 0 && now - this.#lastReceivedAt >= this.#silenceTimeout) {
      this.#listener.onHeartbeatTimeout(this.#silenceTimeout);
      const message = `nothing arrived from the server for ${this.#silenceTimeout} ms`;
      this.#end('heartbeat-timeout', new ClientError(ClientErrorCode.HeartbeatTimeout, message), true);
      return;
    }
    if (this.#heartbeatDueAt !== 0 && now >= this.#heartbeatDueAt) {
      this.#heartbeatDueAt = 0;
      this.#transport!.send(HEARTBEAT);
    }
    if (now >= this.#pending.nextDeadline) this.#pending.expire(now);
    this.#rearm();
  };

  #rearm(): void {
    if (this.#phase === 'ended') return;
    let at = Math.min(this.#pending.nextDeadline, this.#handshakeDeadline);
    if (this.#heartbeatDueAt !== 0) at = Math.min(at, this.#heartbeatDueAt);
    if (this.#silenceTimeout > 0) at = Math.min(at, this.#lastReceivedAt + this.#silenceTimeout);
    if (at !== Infinity) this.#armAt(at);
  }

  #armAt(at: number): void {
    if (this.#timer !== undefined) {
      if (this.#timerAt <= at) return;
      clearTimeout(this.#timer);
    }
    this.#timerAt = at;
    this.#timer = setTimeout(this.#onTimer, timerDelay(at - performance.now()));
  }

  #end(reason: DisconnectReason, error: ClientError, force: boolean): void {
    if (this.#phase === 'ended') return;
    const wasOpen = this.#phase === 'open';
    this.#phase = 'ended';
    this.#endError = error;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#transport?.close(force);
    const pendingError =
      reason === 'client-closed'
        ? error
        : new ClientError(ClientErrorCode.Disconnected, `the connection ended (${reason})`, { cause: error });
    this.#pending.rejectAll(pendingError);
    const handshake = this.#handshake;
    this.#handshake = undefined;
    if (handshake) handshake.reject(error);
    else if (wasOpen) this.#listener.onEnd(reason, error);
  }
}

/** A delay setTimeout takes as it is: past 2^31−1 ms it would fire at once; the timer then re-arms. */
export function timerDelay(milliseconds: number): number {
  return Math.min(0x7fffffff, Math.max(0, Math.ceil(milliseconds)));
}

function encodeFailed(route: string, cause: unknown): ClientError {
  return new ClientError(ClientErrorCode.EncodeFailed, `the body for "${route}" could not be encoded`, {
    cause,
  });
}

function protocolError(cause: Error): ClientError {
  return new ClientError(
    ClientErrorCode.Protocol,
    `the server sent bytes that are not the Pomelo protocol: ${cause.message}`,
    {
      cause,
    },
  );
}
