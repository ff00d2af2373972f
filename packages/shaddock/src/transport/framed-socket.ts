import type { Socket } from 'node:net';
import {
  DEFAULT_MAX_FRAME_LENGTH,
  decodePayload,
  encodeFrame,
  FrameReader,
  type PayloadHandler,
} from './frame-codec.js';
import { FrameWriter, type PayloadWriter } from './frame-writer.js';

/**
 * A TCP socket carrying length-prefixed msgpack frames. Frames sent in the same event-loop turn
 * leave in one socket write.
 */
export interface FramedSocket {
  /** Encodes and queues one message (throws if it cannot be encoded); dropped once the socket is closed. */
  send(message: unknown): void;
  /**
   * Queues one frame whose payload `encode` writes in place (with `a` and `b`: pass a module-level
   * function and its data, so a frame allocates no closure). A throw from `encode` leaves no
   * partial frame and is rethrown. Nothing is written once the socket is closed.
   */
  sendEncoded<A, B>(encode: (writer: PayloadWriter, a: A, b: B) => void, a: A, b: B): void;
  /** Ends the socket after the pending writes. */
  close(): void;
  /** Drops the socket at once; `error` becomes the `closed` value. */
  destroy(error?: Error): void;
  /** Settles (never rejects) when the socket is gone, with the error that ended it, if any. */
  readonly closed: Promise<Error | undefined>;
  /** The peer's IP address, as it was when the connection opened. */
  readonly remoteAddress: string;
  /** The peer's port, as it was when the connection opened. */
  readonly remotePort: number;
  /** Bytes queued and not yet handed to the kernel: this turn's frames plus the socket's buffer. */
  readonly bufferedAmount: number;
}

/** What a framed socket reports to its owner. */
export interface FramedHandlers {
  /** One decoded message. A throw here destroys the socket with that error. */
  onMessage(message: unknown): void;
  /** The socket is gone, with the error that ended it, if any. */
  onClose?(error: Error | undefined): void;
}

/** What a framed socket reports to an owner that decodes each frame itself (see `PayloadReader`). */
export interface PayloadHandlers {
  /**
   * One frame's payload, `source[start, end)`, valid only during the call (the bytes may be
   * reused after). A throw here destroys the socket with that error.
   */
  onPayload(source: Buffer, start: number, end: number): void;
  /** The socket is gone, with the error that ended it, if any. */
  onClose?(error: Error | undefined): void;
}

/** Either kind of handlers. */
export type SocketHandlers = FramedHandlers | PayloadHandlers;

/** Wraps a connected `net.Socket` as a {@link FramedSocket}. */
export class NodeFramedSocket implements FramedSocket {
  readonly closed: Promise<Error | undefined>;
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** Called when the peer announced a frame larger than the bound (the socket is then destroyed). */
  onOversize: (() => void) | undefined;
  readonly #socket: Socket;
  readonly #reader: FrameReader;
  readonly #maxFrameLength: number;
  readonly #maxPendingBytes: number;
  #handlers: SocketHandlers | undefined;
  // set when the owner decodes the frames itself
  #payloadHandlers: PayloadHandlers | undefined;
  readonly #out = new FrameWriter();
  #flushScheduled = false;
  #ending = false;
  #gone = false;
  #error: Error | undefined;
  #held:
    | { readonly held: Buffer[]; readonly closed: () => { error: Error | undefined } | undefined }
    | undefined;

  /**
   * `maxFrameLength` bounds each frame read; `maxPendingBytes` the bytes queued for a peer that does
   * not read them: past it, at the end of a turn, the socket is destroyed; `maxSendLength` each
   * frame sent (a larger one throws from `send`, and the connection goes on).
   */
  constructor(
    socket: Socket,
    maxFrameLength = DEFAULT_MAX_FRAME_LENGTH,
    maxPendingBytes = Number.POSITIVE_INFINITY,
    maxSendLength = Number.POSITIVE_INFINITY,
  ) {
    this.#socket = socket;
    this.#out.maxFrameLength = maxSendLength;
    this.#maxFrameLength = maxFrameLength;
    this.#maxPendingBytes = maxPendingBytes;
    this.#reader = new FrameReader(maxFrameLength);
    this.remoteAddress = socket.remoteAddress ?? '';
    this.remotePort = socket.remotePort ?? 0;
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 10_000);
    let settle: (error: Error | undefined) => void = () => {};
    this.closed = new Promise((resolve) => {
      settle = resolve;
    });
    socket.on('error', (error: Error) => {
      this.#error ??= error;
    });
    socket.on('close', () => {
      this.#gone = true;
      this.#out.take();
      this.#out.recycle(false);
      settle(this.#error);
      this.#handlers?.onClose?.(this.#error);
    });
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
  }

  /** Sets who receives the messages; call it in the turn the socket was made (data events come later). */
  attach(handlers: SocketHandlers): void {
    this.#handlers = handlers;
    this.#payloadHandlers = 'onPayload' in handlers ? handlers : undefined;
  }

  /** Reads frames of at most `length` bytes from now on (while the peer is not authenticated). */
  limitMaxFrameLength(length: number): void {
    this.#reader.maxFrameLength = Math.min(length, this.#maxFrameLength);
  }

  /** Reads frames up to the bound given at construction again. */
  restoreMaxFrameLength(): void {
    this.#reader.maxFrameLength = this.#maxFrameLength;
  }

  /**
   * Stops delivering: frames already read (the rest of this chunk) are kept, and the socket reads
   * no more, until {@link release}. A client holds its socket between the handshake and the
   * moment its caller has the socket.
   */
  hold(): void {
    const held: Buffer[] = [];
    let closed: { error: Error | undefined } | undefined;
    this.#socket.pause();
    this.attach({
      onPayload: (source, start, end) => {
        held.push(Buffer.from(source.subarray(start, end)));
      },
      onClose: (error) => {
        closed = { error };
      },
    });
    this.#held = { held, closed: () => closed };
  }

  /** Delivers what was held to `handlers`, which receive every frame from now on. */
  release(handlers: SocketHandlers): void {
    const holding = this.#held;
    this.#held = undefined;
    this.attach(handlers);
    if (holding === undefined) return;
    for (const payload of holding.held) {
      if (this.#socket.destroyed) break;
      try {
        this.#deliver(payload, 0, payload.length);
      } catch (error) {
        this.destroy(error instanceof Error ? error : new Error(String(error)));
      }
    }
    const closed = holding.closed();
    if (closed !== undefined) handlers.onClose?.(closed.error);
    else this.#socket.resume();
  }

  get bufferedAmount(): number {
    return this.#out.byteLength + this.#socket.writableLength;
  }

  send(message: unknown): void {
    if (this.#gone || this.#ending) return;
    this.#out.appendFrame(encodeFrame(message));
    this.#scheduleFlush();
  }

  sendEncoded<A, B>(encode: (writer: PayloadWriter, a: A, b: B) => void, a: A, b: B): void {
    if (this.#gone || this.#ending) return;
    this.#out.frame(encode, a, b);
    this.#scheduleFlush();
  }

  #scheduleFlush(): void {
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      // setImmediate runs once this pass of the event loop has read every ready socket: the
      // frames that all of them caused (forwarded requests, their replies) leave in one write.
      setImmediate(this.#flush);
    }
  }

  close(): void {
    if (this.#gone || this.#ending) return;
    this.#flush();
    this.#ending = true;
    this.#socket.end();
  }

  destroy(error?: Error): void {
    if (this.#gone) return;
    if (error) this.#error ??= error;
    this.#socket.destroy();
  }

  readonly #flush = (): void => {
    this.#flushScheduled = false;
    const out = this.#out;
    if (out.byteLength === 0 || this.#gone) return;
    const chunks = out.take();
    const socket = this.#socket;
    if (chunks.length === 1) socket.write(chunks[0]!);
    else {
      // a large frame is its own chunk (not copied); corked, the chunks still leave in one writev
      socket.cork();
      for (const chunk of chunks) socket.write(chunk);
      socket.uncork();
    }
    // nothing left in the socket: the kernel took the bytes during write, so the buffer is free
    const pending = socket.writableLength;
    out.recycle(pending === 0);
    if (pending > this.#maxPendingBytes) {
      this.destroy(
        new Error(`the peer does not read: ${pending} bytes pending, more than ${this.#maxPendingBytes}`),
      );
    }
  };

  #onData(chunk: Buffer): void {
    try {
      this.#reader.pushPayloads(chunk, this.#deliver);
    } catch (error) {
      this.destroy(error instanceof Error ? error : new Error(String(error)));
      if (this.#reader.oversize) this.onOversize?.();
    }
  }

  readonly #deliver: PayloadHandler = (source, start, end) => {
    if (this.#gone || this.#socket.destroyed) return false;
    const payloadHandlers = this.#payloadHandlers;
    if (payloadHandlers) payloadHandlers.onPayload(source, start, end);
    else {
      const handlers = this.#handlers;
      if (handlers && 'onMessage' in handlers) handlers.onMessage(decodePayload(source, start, end));
    }
    return true;
  };
}
