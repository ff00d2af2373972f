import type { Socket } from 'node:net';
import { DEFAULT_MAX_FRAME_LENGTH, encodeFrame, FrameReader } from './frame-codec.js';

/**
 * A TCP socket carrying length-prefixed msgpack frames. Frames sent in the same event-loop turn
 * leave in one socket write.
 */
export interface FramedSocket {
  /** Encodes and queues one message (throws if it cannot be encoded); dropped once the socket is closed. */
  send(message: unknown): void;
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

// Below this many bytes a turn's frames are joined into one buffer; above it they go through
// cork/uncork, still one writev, so a large frame is not copied.
const JOIN_LIMIT = 256 * 1024;

/** Wraps a connected `net.Socket` as a {@link FramedSocket}. */
export class NodeFramedSocket implements FramedSocket {
  readonly closed: Promise<Error | undefined>;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly #socket: Socket;
  readonly #reader: FrameReader;
  #handlers: FramedHandlers | undefined;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #flushScheduled = false;
  #ending = false;
  #gone = false;
  #error: Error | undefined;

  constructor(socket: Socket, maxFrameLength = DEFAULT_MAX_FRAME_LENGTH) {
    this.#socket = socket;
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
      this.#pending = [];
      this.#pendingBytes = 0;
      settle(this.#error);
      this.#handlers?.onClose?.(this.#error);
    });
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
  }

  /** Sets who receives the messages; call it in the turn the socket was made (data events come later). */
  attach(handlers: FramedHandlers): void {
    this.#handlers = handlers;
  }

  get bufferedAmount(): number {
    return this.#pendingBytes + this.#socket.writableLength;
  }

  send(message: unknown): void {
    if (this.#gone || this.#ending) return;
    const frame = encodeFrame(message);
    this.#pending.push(frame);
    this.#pendingBytes += frame.length;
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
    const frames = this.#pending;
    if (frames.length === 0 || this.#gone) return;
    const total = this.#pendingBytes;
    this.#pending = [];
    this.#pendingBytes = 0;
    const socket = this.#socket;
    if (frames.length === 1) {
      socket.write(frames[0]!);
    } else if (total <= JOIN_LIMIT) {
      socket.write(Buffer.concat(frames, total));
    } else {
      socket.cork();
      for (const frame of frames) socket.write(frame);
      socket.uncork();
    }
  };

  #onData(chunk: Buffer): void {
    try {
      this.#reader.push(chunk, this.#deliver);
    } catch (error) {
      this.destroy(error instanceof Error ? error : new Error(String(error)));
    }
  }

  readonly #deliver = (message: unknown): boolean => {
    if (this.#gone || this.#socket.destroyed) return false;
    this.#handlers?.onMessage(message);
    return true;
  };
}
