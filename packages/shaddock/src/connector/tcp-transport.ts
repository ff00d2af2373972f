import type { Socket } from 'node:net';
import { isProtocolError, PackageDecoder, type PackageType } from '@shaddock/protocol';
import { SocketTransport } from './socket-transport.js';
import { JOIN_LIMIT, normalizeIp } from './transport.js';
import { SharedBatch } from './turn-flush.js';

// One joined buffer per batch of packages, for every socket the batch goes to in a flush.
const joined = new SharedBatch((packages, totalBytes) => Buffer.concat(packages, totalBytes));

/**
 * Pomelo packages over a raw TCP (or TLS) stream, framed by the 4-byte package header. A turn's
 * packages leave in one write.
 */
export class TcpTransport extends SocketTransport {
  readonly #decoder: PackageDecoder;
  #failed = false;

  constructor(socket: Socket, maxBodyLength: number) {
    super(socket, { ip: normalizeIp(socket.remoteAddress ?? ''), port: socket.remotePort ?? 0 });
    this.#decoder = new PackageDecoder(this.#deliver, { maxBodyLength });
  }

  close(): void {
    // What this turn wrote leaves before the FIN.
    this.flushTurn();
    this.endSocket(undefined, true);
  }

  refuse(): void {
    this.flushTurn();
    this.endSocket(undefined, false);
  }

  destroy(): void {
    // What this turn wrote goes to the kernel first (a kick before a forced close).
    this.flushTurn();
    this.socket.destroy();
  }

  protected writable(): boolean {
    return !this.socket.writableEnded && !this.socket.destroyed;
  }

  protected writeBatch(packages: readonly Uint8Array[], totalBytes: number): void {
    const socket = this.socket;
    if (packages.length === 1) socket.write(packages[0]!);
    else if (totalBytes <= JOIN_LIMIT) socket.write(joined.bytes(packages, totalBytes));
    else {
      // Large packages are not copied: one writev of them all.
      socket.cork();
      for (const chunk of packages) socket.write(chunk);
      socket.uncork();
    }
  }

  protected onData(chunk: Buffer): void {
    if (this.#failed) return;
    try {
      this.#decoder.write(chunk);
    } catch (error) {
      if (!isProtocolError(error)) throw error;
      // Bytes after this are ignored; the socket stays read so the client's FIN is seen.
      this.#failed = true;
      this.sink?.onProtocolError(error);
    }
  }

  readonly #deliver = (type: PackageType, body: Uint8Array): void => {
    // The rest of a chunk whose package closed the connection goes nowhere.
    if (!this.ending) this.sink?.onPackage(type, body);
  };
}
