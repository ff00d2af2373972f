import { decodePackages, ProtocolError, ProtocolErrorCode } from '@shaddock/protocol';
import { ClientError, ClientErrorCode } from './errors.js';
import type { TlsOptions } from './options.js';
import type { OpenTransport, Transport, TransportHandlers, TransportTarget } from './transport.js';

/** What a WebSocket reports, whichever implementation (the browser's, or `ws` in Node). */
export interface WebSocketEvents {
  onOpen(): void;
  /** One message: an `ArrayBuffer` or a `Uint8Array` when binary; anything else is refused. */
  onMessage(data: unknown): void;
  onError(error: Error): void;
  onClose(): void;
}

/** What the transport does to a WebSocket. */
export interface WebSocketPort {
  send(bytes: Uint8Array): void;
  /** Closes with the closing handshake. */
  close(): void;
  /** Drops the connection at once, where the platform allows it (Node); else closes. */
  terminate(): void;
}

/** Creates a WebSocket to `url` reporting to `events`; each platform entry supplies one. */
export type CreateWebSocket = (
  url: string,
  tls: TlsOptions | undefined,
  events: WebSocketEvents,
) => WebSocketPort;

/** Packages over WebSocket: each binary message holds one or more whole packages. */
export function webSocketTransport(create: CreateWebSocket): OpenTransport {
  return (target, handlers) => new WebSocketTransport(target, handlers).open(create);
}

/** The URL of a target, e.g. `ws://127.0.0.1:3010/` or `wss://[::1]:3010/game`. */
export function webSocketUrl(target: TransportTarget): string {
  const host = target.host.includes(':') && !target.host.startsWith('[') ? `[${target.host}]` : target.host;
  const path = target.path.startsWith('/') ? target.path : `/${target.path}`;
  return `${target.tls ? 'wss' : 'ws'}://${host}:${target.port}${path}`;
}

class WebSocketTransport implements Transport, WebSocketEvents {
  readonly closed: Promise<void>;
  readonly #target: TransportTarget;
  readonly #handlers: TransportHandlers;
  readonly #decodeOptions: { maxBodyLength?: number };
  #socket: WebSocketPort | undefined;
  #opened = false;
  #closing = false;
  #reported = false;
  #error: Error | undefined;
  #settleOpen: ((error: Error | undefined) => void) | undefined;
  #resolveClosed!: () => void;

  constructor(target: TransportTarget, handlers: TransportHandlers) {
    this.#target = target;
    this.#handlers = handlers;
    this.#decodeOptions = target.maxBodyLength === undefined ? {} : { maxBodyLength: target.maxBodyLength };
    this.closed = new Promise((resolve) => {
      this.#resolveClosed = resolve;
    });
  }

  open(create: CreateWebSocket): Promise<Transport> {
    const { signal } = this.#target;
    return new Promise((resolve, reject) => {
      const onAbort = (): void => this.close();
      this.#settleOpen = (error) => {
        this.#settleOpen = undefined;
        signal.removeEventListener('abort', onAbort);
        if (error) reject(error);
        else resolve(this);
      };
      if (signal.aborted) {
        this.#settleOpen(connectFailed(this.#target, undefined));
        return;
      }
      signal.addEventListener('abort', onAbort);
      try {
        this.#socket = create(webSocketUrl(this.#target), this.#target.tls, this);
      } catch (cause) {
        this.#settleOpen(connectFailed(this.#target, cause));
      }
    });
  }

  send(bytes: Uint8Array): void {
    if (!this.#closing) this.#socket?.send(bytes);
  }

  close(force = false): void {
    if (this.#closing && !force) return;
    this.#closing = true;
    if (force) this.#socket?.terminate();
    else this.#socket?.close();
  }

  onOpen(): void {
    this.#opened = true;
    this.#settleOpen?.(undefined);
  }

  onMessage(data: unknown): void {
    if (this.#closing) return;
    const frame =
      data instanceof ArrayBuffer ? new Uint8Array(data) : data instanceof Uint8Array ? data : undefined;
    if (frame === undefined) {
      this.#fail(
        new ProtocolError(ProtocolErrorCode.UnknownPackageType, 'a text message is not a Pomelo package'),
      );
      return;
    }
    let packages: ReturnType<typeof decodePackages>;
    try {
      packages = decodePackages(frame, this.#decodeOptions);
    } catch (error) {
      this.#fail(error as Error);
      return;
    }
    for (const { type, body } of packages) {
      if (this.#closing) return;
      this.#handlers.onPackage(type, body);
    }
  }

  onError(error: Error): void {
    this.#error ??= error;
  }

  onClose(): void {
    this.#closing = true;
    if (this.#settleOpen) this.#settleOpen(connectFailed(this.#target, this.#error));
    else this.#report();
    this.#resolveClosed();
  }

  /** Bytes that do not frame end the connection for its owner at once, not when the socket is gone. */
  #fail(error: Error): void {
    this.#error = error;
    this.#report();
    this.close(true);
  }

  #report(): void {
    if (!this.#opened || this.#reported) return;
    this.#reported = true;
    this.#handlers.onClose(this.#error);
  }
}

function connectFailed(target: TransportTarget, cause: unknown): ClientError {
  const where = webSocketUrl(target);
  if (target.signal.aborted && target.signal.reason instanceof ClientError) return target.signal.reason;
  return new ClientError(ClientErrorCode.ConnectFailed, `could not open a WebSocket to ${where}`, { cause });
}
