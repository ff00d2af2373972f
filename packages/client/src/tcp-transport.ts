import { connect as connectNet, isIP, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { PackageDecoder } from '@shaddock/protocol';
import { ClientError, ClientErrorCode } from './errors.js';
import type { Transport, TransportHandlers, TransportTarget } from './transport.js';

/**
 * Packages over raw TCP or TLS (Node only), as Pomelo's hybrid connector and the native
 * (C, Unity, mobile) clients speak it: a byte stream cut into packages by their 4-byte header.
 */
export function openTcpTransport(target: TransportTarget, handlers: TransportHandlers): Promise<Transport> {
  return new TcpTransport(target, handlers).open();
}

class TcpTransport implements Transport {
  readonly closed: Promise<void>;
  readonly #target: TransportTarget;
  readonly #handlers: TransportHandlers;
  readonly #decoder: PackageDecoder;
  #socket: Socket | undefined;
  #opened = false;
  #closing = false;
  #reported = false;
  #error: Error | undefined;
  #resolveClosed!: () => void;

  constructor(target: TransportTarget, handlers: TransportHandlers) {
    this.#target = target;
    this.#handlers = handlers;
    this.#decoder = new PackageDecoder(
      (type, body) => {
        if (!this.#closing) handlers.onPackage(type, body);
      },
      target.maxBodyLength === undefined ? {} : { maxBodyLength: target.maxBodyLength },
    );
    this.closed = new Promise((resolve) => {
      this.#resolveClosed = resolve;
    });
  }

  open(): Promise<Transport> {
    const { host, port, tls, signal } = this.#target;
    return new Promise((resolve, reject) => {
      const fail = (cause: unknown): void => {
        signal.removeEventListener('abort', onAbort);
        socket.destroy();
        const reason: unknown = signal.reason;
        reject(
          signal.aborted && reason instanceof ClientError
            ? reason
            : new ClientError(
                ClientErrorCode.ConnectFailed,
                `could not open a TCP connection to ${host}:${port}`,
                {
                  cause,
                },
              ),
        );
      };
      const onAbort = (): void => fail(signal.reason);
      const onOpen = (): void => {
        signal.removeEventListener('abort', onAbort);
        socket.off('error', fail);
        this.#opened = true;
        this.#listen(socket);
        resolve(this);
      };
      const socket = tls
        ? connectTls({
            host,
            port,
            ...(isIP(host) === 0 ? { servername: host } : {}),
            ...(tls.rejectUnauthorized === undefined ? {} : { rejectUnauthorized: tls.rejectUnauthorized }),
            ...(tls.ca === undefined ? {} : { ca: tls.ca }),
          })
        : connectNet({ host, port });
      this.#socket = socket;
      socket.setNoDelay(true);
      socket.once(tls ? 'secureConnect' : 'connect', onOpen);
      socket.once('error', fail);
      socket.once('close', () => this.#resolveClosed());
      if (signal.aborted) fail(signal.reason);
      else signal.addEventListener('abort', onAbort);
    });
  }

  send(bytes: Uint8Array): void {
    if (!this.#closing) this.#socket?.write(bytes);
  }

  close(force = false): void {
    const socket = this.#socket;
    if (socket === undefined || (this.#closing && !force)) return;
    this.#closing = true;
    // `end` flushes what was written, then the socket is destroyed rather than left half-open.
    if (force) socket.destroy();
    else socket.end(() => socket.destroy());
  }

  #listen(socket: Socket): void {
    socket.on('data', (chunk: Uint8Array) => {
      if (this.#closing) return;
      try {
        this.#decoder.write(chunk);
      } catch (error) {
        this.#error = error as Error;
        this.#report();
        this.close(true);
      }
    });
    socket.on('error', (error) => {
      this.#error ??= error;
    });
    socket.once('close', () => {
      this.#closing = true;
      this.#report();
    });
  }

  #report(): void {
    if (!this.#opened || this.#reported) return;
    this.#reported = true;
    this.#handlers.onClose(this.#error);
  }
}
