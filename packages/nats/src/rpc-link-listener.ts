import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import type { LinkListener, Logger } from 'shaddock';
import {
  DEFAULT_HANDSHAKE_TIMEOUT_MS,
  type FramedSocket,
  type HandshakeRefusal,
  newNonce,
  type PayloadHandlers,
  secretOrDevelopment,
} from 'shaddock/internal';
import { asError, type NatsLinkConnection } from './rpc-link-connection.js';
import { type DropFields, DropReason } from './rpc-link-drops.js';
import {
  clientOpenProof,
  connectionKey,
  decodeOpenRequest,
  encodeOpenReply,
  type OpenProofParts,
  serverOpenProof,
} from './rpc-link-wire.js';

/** What a listener needs from its link. */
export interface ListenerHost {
  readonly logger: Logger;
  /** `shaddock.<cluster>.rpc`: the subjects an open request may name. */
  readonly prefix: string;
  /** Receives every data message of the link's subjects. */
  readonly onData: (error: Error | null, msg: Msg) => void;
  /** A new server-side connection, registered under a fresh id. */
  accept(from: string, maxFrameLength: number | undefined): NatsLinkConnection;
  /** Counts a message the link could not use. */
  dropped(reason: DropReason, fields: DropFields): void;
  /** The listener has closed. */
  unlisten(listener: NatsRpcListener): void;
}

/** What a listener requires of the clients that open connections to it. */
export interface ListenerAuthentication {
  /** The cluster secret (absent: the development one). */
  readonly secret?: string | undefined;
  /** Milliseconds from an open request to the client's proof (default 5 000). */
  readonly handshakeTimeout?: number | undefined;
  /** Hears each client refused before it proved itself. */
  readonly onRefused?: ((refusal: HandshakeRefusal) => void) | undefined;
}

// Connections opened and not yet proven, per listener: past this, open requests are refused.
const MAX_UNPROVEN = 256;

/** How long `close()` waits for the NATS server to confirm the unsubscription. */
const UNSUBSCRIBE_WAIT_MS = 1_000;

/**
 * One server listening on the NATS link: it answers open requests on
 * `shaddock.<cluster>.rpc.<serverId>.open` and receives its connections' data on a subject of its
 * own. A connection reaches `onConnection` only once its client proved it knows the cluster secret
 * (see `rpc-link-wire.ts`); at most 256 wait for that proof at once. Its `port` is 0 (there is none).
 */
export class NatsRpcListener implements LinkListener {
  readonly port = 0;
  readonly sockets = new Set<FramedSocket>();
  /** Where this listener's connections receive their data. */
  readonly dataSubject: string;
  readonly #host: ListenerHost;
  readonly #nc: NatsConnection;
  readonly #serverId: string;
  readonly #maxFrameLength: number | undefined;
  readonly #secret: string;
  readonly #handshakeTimeout: number;
  readonly #onRefused: ((refusal: HandshakeRefusal) => void) | undefined;
  readonly #onConnection: (socket: FramedSocket) => PayloadHandlers;
  readonly #subscriptions: Subscription[];
  #unproven = 0;
  #closed: Promise<void> | undefined;

  constructor(
    host: ListenerHost,
    nc: NatsConnection,
    subjects: { readonly serverId: string; readonly open: string; readonly data: string },
    maxFrameLength: number | undefined,
    auth: ListenerAuthentication,
    onConnection: (socket: FramedSocket) => PayloadHandlers,
  ) {
    this.#host = host;
    this.#nc = nc;
    this.#serverId = subjects.serverId;
    this.dataSubject = subjects.data;
    this.#maxFrameLength = maxFrameLength;
    this.#secret = secretOrDevelopment(auth.secret);
    this.#handshakeTimeout = auth.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
    this.#onRefused = auth.onRefused;
    this.#onConnection = onConnection;
    this.#subscriptions = [
      nc.subscribe(subjects.data, { callback: host.onData }),
      nc.subscribe(subjects.open, { callback: (error, msg) => this.#onOpen(error, msg) }),
    ];
  }

  /** Ends every connection (the peers are told), stops listening; resolves once NATS knows. */
  close(): Promise<void> {
    this.#closed ??= this.#close();
    return this.#closed;
  }

  async #close(): Promise<void> {
    for (const socket of [...this.sockets]) socket.close();
    for (const subscription of this.#subscriptions) {
      try {
        subscription.unsubscribe();
      } catch {
        // the NATS connection is closed: so is the subscription
      }
    }
    this.#host.unlisten(this);
    // a client connecting right after must find nobody, not a subscription NATS still routes to
    if (!this.#nc.isClosed()) await settleWithin(this.#nc.flush(), UNSUBSCRIBE_WAIT_MS);
  }

  #onOpen(error: Error | null, msg: Msg): void {
    if (error !== null) {
      this.#host.dropped(DropReason.Subscription, { err: error });
      return;
    }
    if (this.#closed !== undefined) return;
    try {
      this.#open(msg);
    } catch (thrown) {
      this.#host.logger.error({ err: asError(thrown) }, 'an RPC open request over NATS failed');
    }
  }

  #open(msg: Msg): void {
    const request = decodeOpenRequest(msg.data, this.#host.prefix);
    if (request === undefined || msg.reply === undefined || msg.reply === '') {
      this.#host.dropped(DropReason.MalformedOpen, { subject: msg.subject });
      if (msg.reply) msg.respond(encodeOpenReply({ error: 'malformed open request' }));
      return;
    }
    if (this.#unproven >= MAX_UNPROVEN) {
      this.#host.dropped(DropReason.Busy, { subject: msg.subject });
      msg.respond(encodeOpenReply({ error: 'too many connections opening' }));
      return;
    }
    const connection = this.#host.accept(request.from, this.#maxFrameLength);
    connection.open(request.subject, request.id);
    connection.owner = this.sockets;
    this.sockets.add(connection);
    const parts: OpenProofParts = {
      clientNonce: request.nonce,
      serverNonce: newNonce(),
      from: request.from,
      clientSubject: request.subject,
      clientConnection: request.id,
      serverId: this.#serverId,
      serverSubject: this.dataSubject,
      serverConnection: connection.id,
    };
    this.#unproven++;
    let settled = false;
    const settle = (): void => {
      if (!settled) this.#unproven--;
      settled = true;
    };
    // nothing of the connection runs (its owner does not have it) until the client proved itself
    connection.awaitProof(
      clientOpenProof(this.#secret, parts),
      connectionKey(this.#secret, parts),
      Math.min(request.confirmWithin, this.#handshakeTimeout),
      () => {
        settle();
        this.#accept(connection);
      },
      (reason) => {
        settle();
        this.#host.dropped(DropReason.Unauthenticated, { peer: request.from, reason });
        this.#onRefused?.({ reason, remoteAddress: request.from, remotePort: 0 });
      },
    );
    void connection.closed.then(settle);
    msg.respond(
      encodeOpenReply({
        subject: this.dataSubject,
        id: connection.id,
        nonce: parts.serverNonce,
        proof: serverOpenProof(this.#secret, parts),
      }),
    );
  }

  /** The client proved itself: its connection goes to the owner (which may send its first frames). */
  #accept(connection: NatsLinkConnection): void {
    let handlers: PayloadHandlers | undefined;
    try {
      handlers = this.#onConnection(connection);
    } catch (thrown) {
      connection.destroy(asError(thrown));
    }
    if (handlers !== undefined) connection.attach(handlers);
  }
}

/** Waits for `promise` (ignoring its failure), at most `ms`. */
export async function settleWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const elapsed = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  try {
    await Promise.race([promise.catch(() => {}), elapsed]);
  } finally {
    clearTimeout(timer);
  }
}
