import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import type { LinkListener, Logger } from 'shaddock';
import type { FramedSocket, PayloadHandlers } from 'shaddock/internal';
import { asError, type NatsLinkConnection } from './rpc-link-connection.js';
import { type DropFields, DropReason } from './rpc-link-drops.js';
import { decodeOpenRequest, encodeOpenReply } from './rpc-link-wire.js';

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

// A client's confirmation wait is its connect timeout and some: never longer than this.
const MAX_CONFIRM_WAIT_MS = 10 * 60_000;

/** How long `close()` waits for the NATS server to confirm the unsubscription. */
const UNSUBSCRIBE_WAIT_MS = 1_000;

/**
 * One server listening on the NATS link: it answers open requests on
 * `shaddock.<cluster>.rpc.<serverId>.open` and receives its connections' data on a subject of its
 * own. Its `port` is 0 (there is none).
 */
export class NatsRpcListener implements LinkListener {
  readonly port = 0;
  readonly sockets = new Set<FramedSocket>();
  /** Where this listener's connections receive their data. */
  readonly dataSubject: string;
  readonly #host: ListenerHost;
  readonly #nc: NatsConnection;
  readonly #maxFrameLength: number | undefined;
  readonly #onConnection: (socket: FramedSocket) => PayloadHandlers;
  readonly #subscriptions: Subscription[];
  #closed: Promise<void> | undefined;

  constructor(
    host: ListenerHost,
    nc: NatsConnection,
    subjects: { readonly open: string; readonly data: string },
    maxFrameLength: number | undefined,
    onConnection: (socket: FramedSocket) => PayloadHandlers,
  ) {
    this.#host = host;
    this.#nc = nc;
    this.dataSubject = subjects.data;
    this.#maxFrameLength = maxFrameLength;
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
    const connection = this.#host.accept(request.from, this.#maxFrameLength);
    connection.open(request.subject, request.id);
    connection.owner = this.sockets;
    this.sockets.add(connection);
    let handlers: PayloadHandlers | undefined;
    try {
      handlers = this.#onConnection(connection);
    } catch (thrown) {
      connection.destroy(asError(thrown));
    }
    if (handlers !== undefined) connection.attach(handlers);
    if (connection.gone) {
      msg.respond(encodeOpenReply({ error: 'connection refused' }));
      return;
    }
    connection.expectConfirmation(Math.min(request.confirmWithin, MAX_CONFIRM_WAIT_MS));
    // before any frame the connection sent in onConnection: those leave at the end of the turn
    msg.respond(encodeOpenReply({ subject: this.dataSubject, id: connection.id }));
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
