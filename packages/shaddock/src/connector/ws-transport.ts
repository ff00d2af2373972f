import type { Duplex } from 'node:stream';
import { decodePackages, isProtocolError, type PackageDecoderOptions } from '@shaddock/protocol';
import type { RawData, WebSocket } from 'ws';
import type { ClientAddress } from './client-connection.js';
import { type ClientTransport, JOIN_LIMIT, type TransportSink } from './transport.js';

/**
 * Pomelo packages over WebSocket: each binary frame holds one or more whole packages, in both
 * directions (Pomelo's `sendBatch` writes several in one frame too).
 */
export class WsTransport implements ClientTransport {
  readonly remoteAddress: ClientAddress;
  readonly #ws: WebSocket;
  /** The raw socket under `ws`, corked for the turn so a turn's frames leave in one system call. */
  readonly #socket: Duplex;
  readonly #decodeOptions: PackageDecoderOptions;
  #sink: TransportSink | undefined;
  #corked = false;
  #failed = false;
  #error: string | undefined;

  constructor(ws: WebSocket, socket: Duplex, remoteAddress: ClientAddress, maxBodyLength: number) {
    this.#ws = ws;
    this.#socket = socket;
    this.remoteAddress = remoteAddress;
    this.#decodeOptions = { maxBodyLength };
  }

  get bufferedAmount(): number {
    return this.#ws.bufferedAmount;
  }

  attach(sink: TransportSink): void {
    this.#sink = sink;
    const ws = this.#ws;
    ws.on('message', this.#onMessage);
    ws.on('error', (error: Error & { code?: string }) => {
      this.#error ??= error.code ?? error.message;
    });
    ws.on('close', (code: number) => sink.onClose(this.#error ?? `websocket closed (${code})`));
  }

  write(bytes: Uint8Array): void {
    if (this.#ws.readyState !== 1) return;
    if (!this.#corked) {
      this.#corked = true;
      this.#socket.cork();
      process.nextTick(this.#uncork);
    }
    this.#ws.send(bytes);
  }

  writeMany(chunks: readonly Uint8Array[], totalBytes: number): void {
    if (totalBytes <= JOIN_LIMIT) {
      this.write(chunks.length === 1 ? (chunks[0] as Uint8Array) : Buffer.concat(chunks, totalBytes));
      return;
    }
    // Frames of up to JOIN_LIMIT bytes each; a larger package is a frame of its own.
    let group: Uint8Array[] = [];
    let groupBytes = 0;
    for (const chunk of chunks) {
      if (groupBytes > 0 && groupBytes + chunk.length > JOIN_LIMIT) {
        this.write(Buffer.concat(group, groupBytes));
        group = [];
        groupBytes = 0;
      }
      group.push(chunk);
      groupBytes += chunk.length;
    }
    if (groupBytes > 0) this.write(Buffer.concat(group, groupBytes));
  }

  pause(): void {
    this.#ws.pause();
  }

  resume(): void {
    this.#ws.resume();
  }

  close(): void {
    this.#ws.close();
  }

  destroy(): void {
    // What this turn wrote goes to the kernel first (a kick before a forced close).
    if (this.#corked) this.#uncork();
    this.#ws.terminate();
  }

  readonly #uncork = (): void => {
    this.#corked = false;
    this.#socket.uncork();
  };

  readonly #onMessage = (data: RawData): void => {
    if (this.#failed) return;
    const frame = Array.isArray(data)
      ? Buffer.concat(data)
      : data instanceof ArrayBuffer
        ? new Uint8Array(data)
        : data;
    const sink = this.#sink;
    try {
      for (const { type, body } of decodePackages(frame, this.#decodeOptions)) sink?.onPackage(type, body);
    } catch (error) {
      if (!isProtocolError(error)) throw error;
      // Frames after this one are ignored; the socket stays read so the close handshake completes.
      this.#failed = true;
      sink?.onProtocolError(error);
    }
  };
}
