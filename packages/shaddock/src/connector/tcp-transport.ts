import type { Socket } from 'node:net';
import { isProtocolError, PackageDecoder, type PackageType } from '@shaddock/protocol';
import type { ClientAddress } from './client-connection.js';
import { type ClientTransport, JOIN_LIMIT, normalizeIp, type TransportSink } from './transport.js';
import { flushAtEndOfTurn, type TurnWriter } from './turn-flush.js';

/**
 * Pomelo packages over a raw TCP (or TLS) stream, framed by the 4-byte package header. A turn's
 * packages leave in one write.
 */
export class TcpTransport implements ClientTransport, TurnWriter {
  readonly remoteAddress: ClientAddress;
  readonly #socket: Socket;
  readonly #decoder: PackageDecoder;
  #sink: TransportSink | undefined;
  /** This turn's packages (made on the first write: an idle connection holds no array). */
  #pending: Uint8Array[] | undefined;
  #pendingBytes = 0;
  #queued = false;
  #failed = false;
  #error: string | undefined;

  constructor(socket: Socket, maxBodyLength: number) {
    this.#socket = socket;
    this.remoteAddress = { ip: normalizeIp(socket.remoteAddress ?? ''), port: socket.remotePort ?? 0 };
    this.#decoder = new PackageDecoder(this.#deliver, { maxBodyLength });
  }

  get bufferedAmount(): number {
    return this.#pendingBytes + this.#socket.writableLength;
  }

  attach(sink: TransportSink, first?: Uint8Array): void {
    this.#sink = sink;
    const socket = this.#socket;
    socket.on('error', (error: NodeJS.ErrnoException) => {
      this.#error ??= error.code ?? error.message;
    });
    socket.on('close', () => sink.onClose(this.#error));
    socket.on('data', this.#onData);
    if (first !== undefined) this.#onData(first);
    // The socket may have closed before it was routed here: its 'close' is gone.
    if (socket.closed) queueMicrotask(() => sink.onClose(this.#error));
  }

  write(bytes: Uint8Array): void {
    const socket = this.#socket;
    if (socket.writableEnded || socket.destroyed) return;
    if (this.#pending === undefined) this.#pending = [bytes];
    else this.#pending.push(bytes);
    this.#pendingBytes += bytes.length;
    if (this.#queued) return;
    this.#queued = true;
    flushAtEndOfTurn(this);
  }

  writeMany(chunks: readonly Uint8Array[], _totalBytes: number): void {
    for (const chunk of chunks) this.write(chunk);
  }

  flushTurn(): void {
    this.#queued = false;
    const pending = this.#pending;
    if (pending === undefined) return;
    const total = this.#pendingBytes;
    this.#pending = undefined;
    this.#pendingBytes = 0;
    const socket = this.#socket;
    if (socket.writableEnded || socket.destroyed) return;
    if (pending.length === 1) socket.write(pending[0]!);
    else if (total <= JOIN_LIMIT) socket.write(Buffer.concat(pending, total));
    else {
      // Large packages are not copied: one writev of them all.
      socket.cork();
      for (const chunk of pending) socket.write(chunk);
      socket.uncork();
    }
  }

  pause(): void {
    this.#socket.pause();
  }

  resume(): void {
    this.#socket.resume();
  }

  close(): void {
    // What this turn wrote leaves before the FIN.
    this.flushTurn();
    if (!this.#socket.destroyed) this.#socket.end();
  }

  destroy(): void {
    // What this turn wrote goes to the kernel first (a kick before a forced close).
    this.flushTurn();
    this.#socket.destroy();
  }

  readonly #deliver = (type: PackageType, body: Uint8Array): void => {
    this.#sink?.onPackage(type, body);
  };

  readonly #onData = (chunk: Uint8Array): void => {
    if (this.#failed) return;
    try {
      this.#decoder.write(chunk);
    } catch (error) {
      if (!isProtocolError(error)) throw error;
      // Bytes after this are ignored; the socket stays read so the client's FIN is seen.
      this.#failed = true;
      this.#sink?.onProtocolError(error);
    }
  };
}
