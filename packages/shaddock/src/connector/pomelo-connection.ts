import {
  type DecodedMessage,
  encodeKick,
  encodePackage,
  isProtocolError,
  type JsonObject,
  MessageType,
  PackageType,
  type ProtocolError,
} from '@shaddock/protocol';
import { ResponseCode } from '../errors.js';
import type { ClientAddress, ClientConnection } from './client-connection.js';
import { CloseReason } from './close-reason.js';
import type { ConnectionContext } from './connection-context.js';
import { encodeResponse } from './frontend-codec.js';
import { answerHandshake, type HandshakeOutcome, refusal } from './handshake.js';
import type { SchedulableConnection } from './push-scheduler.js';
import { TokenBucket } from './rate-limit.js';
import type { ClientTransport, TransportSink } from './transport.js';
import type { WebSocketFrameError } from './websocket-frames.js';

const HEARTBEAT = encodePackage(PackageType.Heartbeat);
const RATE_LIMITED: JsonObject = { code: ResponseCode.RateLimited, message: 'too many requests' };
const INTERNAL_ERROR: JsonObject = { code: ResponseCode.HandlerError, message: 'internal error' };
const STOPPING: JsonObject = { code: ResponseCode.ServerStopping, message: 'server stopping' };
const CUT: JsonObject = {
  code: ResponseCode.ServerStopping,
  message: 'server stopping: the request did not finish before the drain deadline',
};
// Pomelo's socket states, plus HANDSHAKING while the user's handshake hook runs.
const INITED = 0;
const HANDSHAKING = 1;
const WAIT_ACK = 2;
const WORKING = 3;
const CLOSED = 4;

/**
 * One client connection speaking Pomelo: the handshake state machine (INITED → WAIT_ACK →
 * WORKING → CLOSED; a package out of turn closes it), heartbeats, messages into the handler
 * pipeline, responses and pushes out, kick, and the per-connection protections.
 */
export class PomeloConnection<S extends { readonly id: number }>
  implements ClientConnection, TransportSink, SchedulableConnection
{
  readonly id: number;
  readonly remoteAddress: ClientAddress;
  readonly #transport: ClientTransport;
  readonly #context: ConnectionContext<S>;
  readonly #limiter: TokenBucket | undefined;
  /** When its socket was accepted (`performance.now()`): the handshake deadline counts from there. */
  readonly #acceptedAt: number;
  #state = INITED;
  #session: S | undefined;
  #inflight = 0;
  /**
   * The requests (not notifies) in the handlers, made on first use: a stop answers those it cuts.
   * An array (a few entries, swap-removed), not a Set: a Set's add and delete of a new object per
   * request costs several times more on this path.
   */
  #requests: DecodedMessage[] | undefined;
  #paused = false;
  /** Packages held for the buffer scheduler's flush (made on first use). */
  #queue: Uint8Array[] | undefined;
  #queuedBytes = 0;
  #silentSweeps = 0;
  #gone = false;
  #whenGone: Promise<void> | undefined;
  #resolveGone: (() => void) | undefined;

  constructor(id: number, transport: ClientTransport, context: ConnectionContext<S>, acceptedAt: number) {
    this.id = id;
    this.#transport = transport;
    this.#context = context;
    this.#acceptedAt = acceptedAt;
    this.remoteAddress = transport.remoteAddress;
    const rate = context.settings.rateLimit;
    this.#limiter = rate === undefined ? undefined : new TokenBucket(rate);
  }

  get bufferedAmount(): number {
    return this.#transport.bufferedAmount + this.#queuedBytes;
  }

  get closed(): boolean {
    return this.#state === CLOSED;
  }

  /** Starts reading; `first` holds bytes already read from the socket. */
  start(first?: Uint8Array): void {
    this.#transport.attach(this, first);
  }

  send(bytes: Uint8Array): void {
    if (this.#state === CLOSED) return;
    if (this.#queue !== undefined) {
      this.#append(bytes);
      return;
    }
    const buffered = this.#transport.bufferedAmount;
    if (buffered > 0 && buffered + bytes.length > this.#context.settings.maxBufferedBytes) {
      this.#drop(CloseReason.SlowClient);
      return;
    }
    this.#transport.write(bytes);
  }

  enqueue(bytes: Uint8Array): boolean {
    if (this.#state === CLOSED) return false;
    const first = this.#queue === undefined;
    this.#append(bytes);
    return first && this.#queue !== undefined;
  }

  flushQueue(): void {
    const chunks = this.#queue;
    if (chunks === undefined || this.#state === CLOSED) return;
    const total = this.#queuedBytes;
    this.#queue = undefined;
    this.#queuedBytes = 0;
    this.#transport.writeMany(chunks, total);
  }

  kick(reason: string): void {
    if (this.#state === CLOSED) return;
    this.send(encodeKick(reason));
    this.close(reason);
  }

  /**
   * Closes with `reason` (the session's close reason). `refused`: a client refused or misbehaving
   * (bad input, a refused or late handshake): its socket is not read any more (see
   * `ClientTransport.refuse`).
   */
  close(reason: string, refused = false): void {
    if (this.#state === CLOSED) return;
    this.flushQueue();
    this.#state = CLOSED;
    if (refused) this.#transport.refuse();
    else this.#transport.close();
    this.#finish(reason);
  }

  /** Drops the socket at once (after `kick`, what was written is flushed first). */
  terminate(): void {
    this.#transport.destroy();
  }

  /** Settles once the socket is gone, not only closing. */
  whenClosed(): Promise<void> {
    if (this.#gone) return Promise.resolve();
    this.#whenGone ??= new Promise((resolve) => {
      this.#resolveGone = resolve;
    });
    return this.#whenGone;
  }

  /**
   * Counts one sweep of the connector's clock; closes a connection silent too long, or not
   * handshaken by `handshakeCutoff` (a `performance.now()` time: accepted before it is too late).
   */
  sweep(silenceSweeps: number, handshakeCutoff: number): void {
    if (this.#state === CLOSED) return;
    // A paused socket is not read, so its heartbeats are not seen: that is not silence.
    if (silenceSweeps > 0 && !this.#paused && ++this.#silentSweeps > silenceSweeps) {
      this.close(CloseReason.HeartbeatTimeout);
    } else if (this.#state !== WORKING && this.#acceptedAt < handshakeCutoff) {
      this.close(CloseReason.HandshakeTimeout, true);
    }
  }

  onPackage(type: PackageType, body: Uint8Array): void {
    const state = this.#state;
    this.#silentSweeps = 0;
    if (state === WORKING && type === PackageType.Data) this.#onData(body);
    else if (state === WORKING && type === PackageType.Heartbeat) this.send(HEARTBEAT);
    else if (state === INITED && type === PackageType.Handshake) this.#onHandshake(body);
    else if (state === WAIT_ACK && type === PackageType.HandshakeAck) this.#onAck();
    else if (state !== CLOSED) this.close(CloseReason.UnexpectedPackage, true);
  }

  onProtocolError(error: ProtocolError | WebSocketFrameError): void {
    this.close(error.code, true);
  }

  onClose(reason: string | undefined): void {
    if (this.#gone) return;
    this.#gone = true;
    this.#resolveGone?.();
    if (this.#state === CLOSED) return;
    this.#state = CLOSED;
    this.#finish(reason ?? CloseReason.ClientClosed);
  }

  #append(bytes: Uint8Array): void {
    const buffered = this.bufferedAmount;
    if (buffered > 0 && buffered + bytes.length > this.#context.settings.maxBufferedBytes) {
      this.#drop(CloseReason.SlowClient);
      return;
    }
    if (this.#queue === undefined) this.#queue = [bytes];
    else this.#queue.push(bytes);
    this.#queuedBytes += bytes.length;
  }

  /**
   * Closes a client over its backlog: what waits here is dropped, the kick with `reason` goes
   * behind what the socket already holds, then the close; a client that still reads nothing is
   * dropped after the close grace (the transport's `close`).
   */
  #drop(reason: string): void {
    this.#queue = undefined;
    this.#queuedBytes = 0;
    this.#state = CLOSED;
    this.#transport.write(encodeKick(reason));
    this.#transport.close();
    this.#finish(reason);
  }

  #finish(reason: string): void {
    this.#queue = undefined;
    this.#queuedBytes = 0;
    this.#context.closed(this.id);
    const session = this.#session;
    if (session === undefined) return;
    this.#session = undefined;
    this.#context.detached(session.id, this);
    try {
      this.#context.sessions.remove(session.id, reason);
    } catch (error) {
      this.#context.report(error);
    }
  }

  #onHandshake(body: Uint8Array): void {
    const { settings, handshake } = this.#context;
    answerHandshake(body, settings, handshake, this, this.#handshakeOutcome());
  }

  // Made for the handshake only: an open connection keeps no closures for it.
  #handshakeOutcome(): HandshakeOutcome {
    return {
      waiting: () => {
        this.#state = HANDSHAKING;
      },
      accept: (response) => {
        if (this.#state === CLOSED) return;
        this.#state = WAIT_ACK;
        this.send(response);
      },
      refuse: (code, reason) => {
        if (this.#state === CLOSED) return;
        this.send(refusal(code));
        this.close(reason, true);
      },
      report: (error) => this.#context.report(error),
    };
  }

  #onAck(): void {
    this.#state = WORKING;
    let session: S;
    try {
      session = this.#context.sessions.create(this);
    } catch (error) {
      this.#context.report(error);
      this.close(CloseReason.InternalError);
      return;
    }
    this.#session = session;
    this.#context.attached(session.id, this);
    // As Pinus: the ACK counts as the first heartbeat, answered at once.
    if (this.#context.settings.heartbeatSeconds > 0) this.send(HEARTBEAT);
  }

  #onData(body: Uint8Array): void {
    const context = this.#context;
    let message: DecodedMessage;
    try {
      message = context.codec.decodeFromClient(body);
    } catch (error) {
      if (isProtocolError(error)) this.close(error.code, true);
      else this.close(CloseReason.InternalError);
      return;
    }
    if (context.stopping) {
      context.refused(message.type === MessageType.Request);
      if (message.type === MessageType.Request) this.#respond(message, STOPPING, true);
      return;
    }
    if (this.#limiter !== undefined && !this.#limiter.take()) {
      if (message.type === MessageType.Request) this.#respond(message, RATE_LIMITED, true);
      return;
    }
    if (message.type === MessageType.Request) {
      if (this.#requests === undefined) this.#requests = [message];
      else this.#requests.push(message);
    }
    if (++this.#inflight >= context.settings.maxPendingRequests && !this.#paused) {
      this.#paused = true;
      this.#transport.pause();
    }
    context.inflight(1);
    let pending: Promise<JsonObject | undefined>;
    try {
      pending = context.handlers.handleClientMessage(
        context.sessions.frontendSession(this.#session as S),
        message,
      );
    } catch (error) {
      pending = Promise.reject(error);
    }
    pending.then(
      (response) => this.#settle(message, response),
      (error: unknown) => {
        context.report(error);
        if (this.#settle(message, undefined)) this.#respond(message, INTERNAL_ERROR, true);
      },
    );
  }

  /**
   * Answers every request in the handlers now with `ResponseCode.ServerStopping` (a stop's drain
   * deadline passed): each gets exactly one response, its late one is dropped. Returns how many.
   */
  cut(): number {
    const requests = this.#requests;
    if (requests === undefined || requests.length === 0) return 0;
    this.#requests = [];
    for (const message of requests) this.#respond(message, CUT, true);
    return requests.length;
  }

  /** Counts a message out of the handlers; true when it is a request still to answer (not cut). */
  #settle(message: DecodedMessage, response: JsonObject | undefined): boolean {
    this.#inflight--;
    this.#context.inflight(-1);
    if (this.#paused && this.#inflight <= this.#context.settings.maxPendingRequests >> 1) {
      this.#paused = false;
      this.#transport.resume();
    }
    if (message.type !== MessageType.Request || !this.#untrack(message)) return false;
    if (response !== undefined) this.#respond(message, response);
    return true;
  }

  /** Takes a request out of those in the handlers; false when a stop already cut it. */
  #untrack(message: DecodedMessage): boolean {
    const requests = this.#requests;
    if (requests === undefined) return false;
    const index = requests.indexOf(message);
    if (index < 0) return false;
    const last = requests.pop() as DecodedMessage;
    if (index < requests.length) requests[index] = last;
    return true;
  }

  /** `own`: a body the connector made (429, 500), not the route's response: JSON, whatever its proto. */
  #respond(message: DecodedMessage, body: JsonObject, own = false): void {
    if (this.#state === CLOSED) return;
    const { codec, report } = this.#context;
    this.send(encodeResponse(codec, message.id, own ? '' : message.route, body, report));
  }
}
