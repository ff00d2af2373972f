import type { Logger } from 'shaddock';
import {
  DEFAULT_MAX_FRAME_LENGTH,
  type FramedSocket,
  FrameReader,
  FrameWriter,
  type PayloadHandler,
  type PayloadHandlers,
  type PayloadWriter,
  proofMatches,
  RefusalReason,
} from 'shaddock/internal';
import { type DropFields, DropReason } from './rpc-link-drops.js';
import {
  type Direction,
  HEADER_LENGTH,
  MessageKind,
  messageMac,
  ROUTING_LENGTH,
  read32,
  writeHeader,
} from './rpc-link-wire.js';

/** What a connection needs from its link. */
export interface ConnectionHost {
  /** The largest message the NATS server takes now, in bytes. */
  maxPayload(): number;
  readonly logger: Logger;
  /** Publishes one message (throws when the NATS connection cannot take it). */
  publish(subject: string, message: Uint8Array): void;
  /** Flushes `connection` once this pass of the event loop is over, with the link's other connections. */
  schedule(connection: NatsLinkConnection): void;
  /** `connection` is gone: its id names nothing any more. */
  forget(connection: NatsLinkConnection): void;
  /** Counts a message the link could not use. */
  dropped(reason: DropReason, fields: DropFields): void;
}

// The room a batch's first message header takes at the start of the writer, filled in at flush.
const HEADER_ROOM = new Uint8Array(HEADER_LENGTH);
// A close reason is for logs: a sentence, not a document.
const MAX_REASON_LENGTH = 300;

/**
 * One end of an RPC connection over NATS, a {@link FramedSocket}: frames are written into one
 * buffer per turn behind a reserved header, so a turn's frames leave in one NATS message (cut in
 * pieces of `max_payload` when larger); the peer feeds each message's bytes to a {@link FrameReader}.
 */
export class NatsLinkConnection implements FramedSocket {
  /** This end's id: the first field of every message the peer sends it. */
  readonly id: number;
  /** The peer's server id (or name). */
  readonly remoteAddress: string;
  readonly remotePort = 0;
  readonly closed: Promise<Error | undefined>;
  /** Waits in the link's flush queue. */
  queued = false;
  /** The listener's set of open connections, which forgets this one when it closes. */
  owner: Set<FramedSocket> | undefined;
  readonly #host: ConnectionHost;
  readonly #reader: FrameReader;
  readonly #out = new FrameWriter();
  #handlers: PayloadHandlers | undefined;
  #peerSubject = '';
  #peerId = 0;
  // the sequence of the next message sent, and of the next one expected from the peer
  #sent = 0;
  #expected = 0;
  // #out starts with the room for a header (the first frame of a turn puts it there)
  #reserved = false;
  // messages that came while connect() had not returned yet: delivered after it has
  #held: Uint8Array[] | undefined;
  #confirmTimer: ReturnType<typeof setTimeout> | undefined;
  // the server end, until the client's first message proved it knows the secret
  #proving: Proving | undefined;
  // the key of this connection's MACs, once the opening is done, and each direction's purpose
  #key: string | undefined;
  #sends: Direction = 'to server';
  #receives: Direction = 'to client';
  #gone = false;
  #error: Error | undefined;
  #settle: (error: Error | undefined) => void = () => {};

  constructor(
    host: ConnectionHost,
    id: number,
    remoteAddress: string,
    maxFrameLength = DEFAULT_MAX_FRAME_LENGTH,
  ) {
    this.#host = host;
    this.id = id;
    this.remoteAddress = remoteAddress;
    this.#reader = new FrameReader(maxFrameLength);
    // the cluster's one bound on RPC frames: a frame too large fails alone, before it is sent
    this.#out.maxFrameLength = maxFrameLength;
    this.closed = new Promise((resolve) => {
      this.#settle = resolve;
    });
  }

  /** Whether this end is closed. */
  get gone(): boolean {
    return this.#gone;
  }

  get bufferedAmount(): number {
    return this.#reserved ? this.#out.byteLength - HEADER_LENGTH : 0;
  }

  /** Holds received messages until {@link release} (the client's end, while it opens). */
  hold(): void {
    this.#held = [];
  }

  /** Delivers what came while held, then delivers as it comes. */
  release(): void {
    const held = this.#held;
    this.#held = undefined;
    if (held === undefined) return;
    for (let index = 0; index < held.length && !this.#gone; index++) this.#process(held[index]!);
  }

  /** Names the peer's end: where, and under which id, it receives. */
  open(peerSubject: string, peerId: number): void {
    this.#peerSubject = peerSubject;
    this.#peerId = peerId;
  }

  /** Sets who receives the frames (and hears the close, even when it came first). */
  attach(handlers: PayloadHandlers): void {
    this.#handlers = handlers;
    if (this.#gone) {
      const error = this.#error;
      queueMicrotask(() => this.#notify(error));
    }
  }

  /**
   * Every message from now on carries a MAC under `key` (see `rpc-link-wire.ts`), and every message
   * received must: one that does not is dropped. `end` is this end's side.
   */
  secure(key: string, end: 'client' | 'server'): void {
    this.#key = key;
    this.#sends = end === 'client' ? 'to server' : 'to client';
    this.#receives = end === 'client' ? 'to client' : 'to server';
  }

  /** The client's end tells the server it has its reply, with its proof: its first message. */
  confirm(proof: Uint8Array): void {
    const message = Buffer.allocUnsafe(HEADER_LENGTH + proof.length);
    message.set(proof, HEADER_LENGTH);
    this.#publish(message, MessageKind.Opened);
  }

  /**
   * The server's end: the client's first message must be its `Opened` carrying `expected`, within
   * `ms`. Then `onProven` runs (it attaches the handlers); anything else, or nothing in time,
   * destroys the connection with nothing of it read, and `onRefused` says why.
   */
  awaitProof(
    expected: Uint8Array,
    key: string,
    ms: number,
    onProven: () => void,
    onRefused: (reason: RefusalReason) => void,
  ): void {
    this.#proving = { expected, key, onProven, onRefused };
    this.#confirmTimer = setTimeout(() => {
      this.#confirmTimer = undefined;
      this.#refuse(RefusalReason.Deadline);
    }, ms);
    this.#confirmTimer.unref();
  }

  /** Whether the server end still waits for the client's proof. */
  get proving(): boolean {
    return this.#proving !== undefined;
  }

  send(message: unknown): void {
    this.sendEncoded(writeValue, message, undefined);
  }

  sendEncoded<A, B>(encode: (writer: PayloadWriter, a: A, b: B) => void, a: A, b: B): void {
    if (this.#gone) return;
    const out = this.#out;
    if (!this.#reserved) {
      out.raw(HEADER_ROOM);
      this.#reserved = true;
    }
    out.frame(encode, a, b);
    if (!this.queued) {
      this.queued = true;
      this.#host.schedule(this);
    }
  }

  /** Publishes this turn's frames: one message, or pieces of `max_payload` bytes. */
  flush(): void {
    const out = this.#out;
    if (this.#gone || !this.#reserved || out.byteLength === HEADER_LENGTH) return;
    // frames are written in place, never appended whole: the turn is one buffer
    const batch = out.take()[0]!;
    // NATS holds the bytes until its own flush: the next frames go to a new buffer
    out.recycle(false);
    this.#reserved = false;
    try {
      this.#publishBatch(batch);
    } catch (error) {
      this.destroy(asError(error));
    }
  }

  close(): void {
    if (this.#gone) return;
    this.flush();
    if (this.#gone) return;
    this.#sendClose(undefined);
    this.#finish(undefined);
  }

  destroy(error?: Error): void {
    if (this.#gone) return;
    this.#sendClose(error);
    this.#finish(error);
  }

  /** One message from the peer (its header checked by the link: long enough, a known kind). */
  receive(message: Uint8Array): void {
    if (this.#gone) return;
    if (this.#held !== undefined) this.#held.push(message);
    else this.#process(message);
  }

  #process(message: Uint8Array): void {
    if (this.#proving !== undefined) {
      this.#prove(this.#proving, message);
      return;
    }
    const sequence = read32(message, 5);
    const key = this.#key;
    if (key !== undefined) {
      // forged, or another connection's: dropped, so it can neither run nor close anything
      const mac = message.subarray(ROUTING_LENGTH, HEADER_LENGTH);
      if (!proofMatches(messageMac(key, this.#receives, message), mac)) {
        this.#host.dropped(DropReason.Forged, { peer: this.remoteAddress });
        return;
      }
      // one of this connection's own messages again (a replay): dropped too
      const behind = (this.#expected - sequence) >>> 0;
      if (behind !== 0 && behind < 0x8000_0000) {
        this.#host.dropped(DropReason.Forged, { peer: this.remoteAddress, replayed: sequence });
        return;
      }
    }
    if (sequence !== this.#expected) {
      this.#host.dropped(DropReason.Lost, {
        peer: this.remoteAddress,
        expected: this.#expected,
        got: sequence,
      });
      this.destroy(
        new Error(`messages from ${this.remoteAddress} were lost on the way (NATS delivers at most once)`),
      );
      return;
    }
    this.#expected = (sequence + 1) >>> 0;
    if (this.#confirmTimer !== undefined) {
      clearTimeout(this.#confirmTimer);
      this.#confirmTimer = undefined;
    }
    const kind = message[0];
    if (kind === MessageKind.Data) this.#onData(message);
    else if (kind === MessageKind.Close) {
      const reason = Buffer.from(
        message.buffer,
        message.byteOffset + HEADER_LENGTH,
        message.length - HEADER_LENGTH,
      );
      this.#finish(
        reason.length === 0
          ? undefined
          : new Error(`${this.remoteAddress} closed the connection: ${reason.toString('utf8')}`),
      );
    }
  }

  // the first message of a server end: the client's Opened, with the proof, or the connection ends
  #prove(proving: Proving, message: Uint8Array): void {
    const proof = message.subarray(HEADER_LENGTH);
    if (message[0] !== MessageKind.Opened || read32(message, 5) !== 0) {
      this.#refuse(RefusalReason.NotAnAnswer);
      return;
    }
    if (!proofMatches(proving.expected, proof)) {
      this.#refuse(RefusalReason.WrongProof);
      return;
    }
    this.#proving = undefined;
    this.#expected = 1;
    this.secure(proving.key, 'server');
    if (this.#confirmTimer !== undefined) clearTimeout(this.#confirmTimer);
    this.#confirmTimer = undefined;
    proving.onProven();
  }

  #refuse(reason: RefusalReason): void {
    const proving = this.#proving;
    if (proving === undefined || this.#gone) return;
    // no Close either: the subject and id it named may be another connection's (a replayed open)
    this.#finish(new Error(`refused before authentication: ${reason}`));
    proving.onRefused(reason);
  }

  #onData(message: Uint8Array): void {
    const length = message.length - HEADER_LENGTH;
    if (length === 0) return;
    try {
      this.#reader.pushPayloads(
        Buffer.from(message.buffer, message.byteOffset + HEADER_LENGTH, length),
        this.#deliver,
      );
    } catch (error) {
      // an oversize frame, or a throw from the receiver: this connection ends, with that error
      this.destroy(asError(error));
    }
  }

  readonly #deliver: PayloadHandler = (source, start, end) => {
    if (this.#gone) return false;
    this.#handlers?.onPayload(source, start, end);
    return true;
  };

  #publishBatch(batch: Buffer): void {
    const max = this.#host.maxPayload();
    if (batch.length <= max) {
      this.#publish(batch, MessageKind.Data);
      return;
    }
    // the first piece has its header room already; the others are copied behind a header of their
    // own (the bytes before them belong to a message NATS has not written yet)
    this.#publish(batch.subarray(0, max), MessageKind.Data);
    const room = max - HEADER_LENGTH;
    for (let at = max; at < batch.length && !this.#gone; at += room) {
      const end = Math.min(at + room, batch.length);
      const piece = Buffer.allocUnsafe(HEADER_LENGTH + end - at);
      batch.copy(piece, HEADER_LENGTH, at, end);
      this.#publish(piece, MessageKind.Data);
    }
  }

  #publish(message: Uint8Array, kind: MessageKind): void {
    writeHeader(message, kind, this.#peerId, this.#sent);
    const key = this.#key;
    if (key !== undefined) message.set(messageMac(key, this.#sends, message), ROUTING_LENGTH);
    this.#sent = (this.#sent + 1) >>> 0;
    this.#host.publish(this.#peerSubject, message);
  }

  #sendClose(error: Error | undefined): void {
    // the peer never learnt of this end (it is still opening), or never proved who it is: nothing
    // is sent to the subject it named
    if (this.#peerId === 0 || this.#proving !== undefined) return;
    const reason = error === undefined ? '' : (error.message || error.name).slice(0, MAX_REASON_LENGTH);
    const message = Buffer.allocUnsafe(HEADER_LENGTH + Buffer.byteLength(reason));
    message.write(reason, HEADER_LENGTH, 'utf8');
    try {
      this.#publish(message, MessageKind.Close);
    } catch {
      // the NATS connection is gone: the peer learns it from membership
    }
  }

  #finish(error: Error | undefined): void {
    this.#gone = true;
    this.#proving = undefined;
    this.#error = error;
    this.#held = undefined;
    if (this.#confirmTimer !== undefined) clearTimeout(this.#confirmTimer);
    this.#confirmTimer = undefined;
    this.#out.take();
    this.#out.recycle(false);
    this.#reserved = false;
    this.owner?.delete(this);
    this.#host.forget(this);
    this.#settle(error);
    this.#notify(error);
  }

  // runs inside NATS callbacks: a throw from the owner must not reach them
  #notify(error: Error | undefined): void {
    try {
      this.#handlers?.onClose?.(error);
    } catch (thrown) {
      this.#host.logger.error({ err: asError(thrown) }, 'an RPC connection close handler threw');
    }
  }
}

/** A server end waiting for the client's proof. */
interface Proving {
  readonly expected: Uint8Array;
  /** The connection's MAC key, from then on. */
  readonly key: string;
  readonly onProven: () => void;
  readonly onRefused: (reason: RefusalReason) => void;
}

function writeValue(writer: PayloadWriter, message: unknown): void {
  writer.value(message);
}

/** `thrown` as an Error. */
export function asError(thrown: unknown): Error {
  return thrown instanceof Error ? thrown : new Error(String(thrown));
}
