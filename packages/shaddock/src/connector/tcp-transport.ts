import type { Socket } from 'node:net';
import { isProtocolError, PackageDecoder, type PackageType } from '@shaddock/protocol';
import type { ClientAddress } from './client-connection.js';
import { type ClientTransport, JOIN_LIMIT, normalizeIp, type TransportSink } from './transport.js';

/** Pomelo packages over a raw TCP (or TLS) stream, framed by the 4-byte package header. */
export class TcpTransport implements ClientTransport {
  readonly remoteAddress: ClientAddress;
  readonly #socket: Socket;
  readonly #decoder: PackageDecoder;
  #sink: TransportSink | undefined;
  #corked = false;
  #failed = false;
  #error: string | undefined;

  constructor(socket: Socket, maxBodyLength: number) {
    this.#socket = socket;
    this.remoteAddress = { ip: normalizeIp(socket.remoteAddress ?? ''), port: socket.remotePort ?? 0 };
    this.#decoder = new PackageDecoder(this.#deliver, { maxBodyLength });
  }

  get bufferedAmount(): number {
    return this.#socket.writableLength;
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
    if (!this.#corked) {
      this.#corked = true;
      socket.cork();
      process.nextTick(this.#uncork);
    }
    socket.write(bytes);
  }

  writeMany(chunks: readonly Uint8Array[], totalBytes: number): void {
    if (chunks.length === 1 || totalBytes > JOIN_LIMIT) {
      for (const chunk of chunks) this.write(chunk);
    } else {
      this.write(Buffer.concat(chunks, totalBytes));
    }
  }

  pause(): void {
    this.#socket.pause();
  }

  resume(): void {
    this.#socket.resume();
  }

  close(): void {
    // end() uncorks, so what this turn wrote leaves before the FIN.
    if (!this.#socket.destroyed) this.#socket.end();
  }

  destroy(): void {
    // What this turn wrote goes to the kernel first (a kick before a forced close).
    if (this.#corked) this.#uncork();
    this.#socket.destroy();
  }

  readonly #uncork = (): void => {
    this.#corked = false;
    this.#socket.uncork();
  };

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
