import type { Socket } from 'node:net';
import { decodePackages, isProtocolError, type PackageDecoderOptions } from '@shaddock/protocol';
import type { ClientAddress } from './client-connection.js';
import { SocketTransport } from './socket-transport.js';
import { JOIN_LIMIT } from './transport.js';
import { SharedBatch } from './turn-flush.js';
import {
  encodeBinaryFrame,
  encodeBinaryFrameOf,
  encodeCloseFrame,
  encodePongFrame,
  WebSocketFrameError,
  WebSocketFrameReader,
  type WebSocketFrameSink,
} from './websocket-frames.js';

/**
 * Pomelo packages over WebSocket, on the upgraded socket itself (no `ws`): each binary frame holds
 * one or more whole packages, in both directions (Pomelo's `sendBatch` writes several in one
 * frame too). A turn's packages leave as ONE frame in one write; a package written to many
 * sockets in one turn (a push) is framed once for all of them.
 */
export class WsTransport extends SocketTransport implements WebSocketFrameSink {
  readonly #reader: WebSocketFrameReader;
  readonly #decodeOptions: PackageDecoderOptions;
  /** Bytes after a bad frame or package are not parsed. */
  #failed = false;

  constructor(socket: Socket, remoteAddress: ClientAddress, maxBodyLength: number, maxMessageBytes: number) {
    super(socket, remoteAddress);
    this.#decodeOptions = { maxBodyLength };
    this.#reader = new WebSocketFrameReader(maxMessageBytes, this);
  }

  close(): void {
    this.#sendClose(undefined, true);
  }

  refuse(): void {
    this.#sendClose(undefined, false);
  }

  destroy(): void {
    // What this turn wrote goes to the kernel first (a kick before a forced close).
    this.flushTurn();
    this.socket.destroy();
  }

  protected writable(): boolean {
    // After the close frame nothing more is written.
    return !this.ending && !this.socket.destroyed;
  }

  protected writeBatch(packages: readonly Uint8Array[], totalBytes: number): void {
    if (totalBytes <= JOIN_LIMIT) this.socket.write(frames.bytes(packages, totalBytes));
    else writeGroups(this.socket, packages);
  }

  onMessage(payload: Uint8Array): void {
    if (this.#failed || this.ending) return;
    const sink = this.sink;
    try {
      for (const { type, body } of decodePackages(payload, this.#decodeOptions)) sink?.onPackage(type, body);
    } catch (error) {
      if (!isProtocolError(error)) throw error;
      // Frames after this one are ignored; the socket stays read so the close handshake completes.
      this.#failed = true;
      sink?.onProtocolError(error);
    }
  }

  onPing(payload: Uint8Array): void {
    if (this.ending) return;
    this.flushTurn();
    this.socket.write(encodePongFrame(payload));
  }

  onCloseFrame(code: number | undefined): void {
    this.#failed = true;
    // Echo the client's status, as RFC 6455 §5.5.1 suggests (the reader refused the ones a frame
    // may not carry); the client closes its side next, so the socket is read for its FIN.
    this.#sendClose(code, true);
  }

  /**
   * Sends a close frame once, then half-closes. The frames that follow are never parsed nor
   * unmasked; `read` (a close the client takes part in) reads on for the client's FIN, else a
   * refused client is not read at all (see `endSocket`).
   */
  #sendClose(code: number | undefined, read: boolean): void {
    if (this.ending) return;
    this.flushTurn();
    this.endSocket(encodeCloseFrame(code), read);
  }

  protected onData(chunk: Buffer): void {
    if (this.#failed) return;
    try {
      this.#reader.push(chunk);
    } catch (error) {
      if (!(error instanceof WebSocketFrameError)) throw error;
      this.#failed = true;
      this.reason = error.code;
      this.#sendClose(error.closeCode, false);
      this.sink?.onProtocolError(error);
    }
  }
}

// One frame per batch of packages, for every socket the batch goes to in a flush.
const frames = new SharedBatch((packages, totalBytes) =>
  packages.length === 1 ? encodeBinaryFrame(packages[0]!) : encodeBinaryFrameOf(packages, totalBytes),
);

/** Frames of up to JOIN_LIMIT bytes each (a larger package is a frame of its own), in one writev. */
function writeGroups(socket: Socket, chunks: readonly Uint8Array[]): void {
  socket.cork();
  let group: Uint8Array[] = [];
  let groupBytes = 0;
  for (const chunk of chunks) {
    if (groupBytes > 0 && groupBytes + chunk.length > JOIN_LIMIT) {
      socket.write(encodeBinaryFrameOf(group, groupBytes));
      group = [];
      groupBytes = 0;
    }
    group.push(chunk);
    groupBytes += chunk.length;
  }
  if (groupBytes > 0) socket.write(encodeBinaryFrameOf(group, groupBytes));
  socket.uncork();
}
