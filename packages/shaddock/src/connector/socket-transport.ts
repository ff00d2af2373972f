import type { Socket } from 'node:net';
import type { ClientAddress } from './client-connection.js';
import { CLOSE_GRACE_MS, type ClientTransport, REFUSAL_LINGER_MS, type TransportSink } from './transport.js';
import { flushAtEndOfTurn, type TurnWriter } from './turn-flush.js';

/**
 * What the TCP and WebSocket transports share: the socket's end reported to the sink once, with
 * the first error's code; the packages one turn writes gathered and handed to `writeBatch` in one
 * piece once the turn's code has run (one `process.nextTick` for every socket, see turn-flush.ts).
 */
export abstract class SocketTransport implements ClientTransport, TurnWriter {
  readonly remoteAddress: ClientAddress;
  protected readonly socket: Socket;
  protected sink: TransportSink | undefined;
  /** Why the socket ended: the first socket error's code, or the transport's own reason. */
  protected reason: string | undefined;
  /** This turn's packages (made on the first write: an idle connection holds no array). */
  #pending: Uint8Array[] | undefined;
  #pendingBytes = 0;
  #queued = false;
  /** The close began: nothing more is delivered, and backpressure no longer pauses or resumes. */
  #ending = false;

  constructor(socket: Socket, remoteAddress: ClientAddress) {
    this.socket = socket;
    this.remoteAddress = remoteAddress;
  }

  get bufferedAmount(): number {
    return this.#pendingBytes + this.socket.writableLength;
  }

  attach(sink: TransportSink, first?: Uint8Array): void {
    this.sink = sink;
    const socket = this.socket;
    socket.on('error', (error: NodeJS.ErrnoException) => {
      this.reason ??= error.code ?? error.message;
    });
    socket.on('close', () => sink.onClose(this.reason));
    socket.on('data', this.#onData);
    if (first !== undefined && first.length > 0)
      this.onData(Buffer.isBuffer(first) ? first : Buffer.from(first));
    // The socket may have closed before it was routed here: its 'close' is gone.
    if (socket.closed) queueMicrotask(() => sink.onClose(this.reason));
  }

  write(bytes: Uint8Array): void {
    if (!this.writable()) return;
    if (this.#pending === undefined) this.#pending = [bytes];
    else this.#pending.push(bytes);
    this.#queue(bytes.length);
  }

  writeMany(chunks: readonly Uint8Array[], totalBytes: number): void {
    if (!this.writable()) return;
    // The caller lets go of `chunks` (see ClientTransport): kept as they are, not copied.
    if (this.#pending === undefined) this.#pending = chunks as Uint8Array[];
    else for (const chunk of chunks) this.#pending.push(chunk);
    this.#queue(totalBytes);
  }

  flushTurn(): void {
    this.#queued = false;
    const pending = this.#pending;
    if (pending === undefined) return;
    const total = this.#pendingBytes;
    this.#pending = undefined;
    this.#pendingBytes = 0;
    if (this.writable()) this.writeBatch(pending, total);
  }

  pause(): void {
    if (!this.#ending) this.socket.pause();
  }

  resume(): void {
    if (!this.#ending) this.socket.resume();
  }

  abstract close(): void;

  abstract refuse(): void;

  abstract destroy(): void;

  /** Bytes as they arrive from the socket, until the close begins. */
  protected abstract onData(chunk: Buffer): void;

  /** The close began ({@link SocketTransport.endSocket}). */
  protected get ending(): boolean {
    return this.#ending;
  }

  /**
   * Begins the close, once: writes `last` (if any) and the FIN, and delivers nothing more. `read`:
   * the socket is still read, its bytes dropped unparsed, so the client's own FIN ends it, and it
   * is dropped after CLOSE_GRACE_MS at the latest; else it is not read at all (the kernel's
   * window closes on a client that keeps sending) and dropped after REFUSAL_LINGER_MS.
   */
  protected endSocket(last: Uint8Array | undefined, read: boolean): void {
    if (this.#ending) return;
    this.#ending = true;
    const socket = this.socket;
    socket.off('data', this.#onData);
    if (socket.destroyed) return;
    if (last === undefined) socket.end();
    else socket.end(last);
    if (read) socket.resume();
    else socket.pause();
    const timer = setTimeout(() => socket.destroy(), read ? CLOSE_GRACE_MS : REFUSAL_LINGER_MS);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
  }

  readonly #onData = (chunk: Buffer): void => this.onData(chunk);

  /** Whether writes are still taken (and flushed). */
  protected abstract writable(): boolean;

  /** Writes one turn's packages, `totalBytes` in all, to the socket. */
  protected abstract writeBatch(packages: readonly Uint8Array[], totalBytes: number): void;

  #queue(bytes: number): void {
    this.#pendingBytes += bytes;
    if (this.#queued) return;
    this.#queued = true;
    flushAtEndOfTurn(this);
  }
}
