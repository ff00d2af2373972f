import { createServer as createHttpServer, type Server as HttpServer, type IncomingMessage } from 'node:http';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { ErrorCode, ShaddockError } from '../errors.js';
import type { ConnectorSettings } from './connector-config.js';
import { TcpTransport } from './tcp-transport.js';
import { readCertificates, watchCertificates } from './tls-certificates.js';
import { type ClientTransport, normalizeIp } from './transport.js';
import { acceptUpgrade } from './websocket-upgrade.js';
import { WsTransport } from './ws-transport.js';

/** What the hybrid server reports to the connector. */
export interface HybridServerEvents {
  /** True when a client from `ip` must be closed at once. */
  refuses(ip: string): boolean;
  /** A client socket is ready for the Pomelo protocol; `first` holds bytes already read. */
  onTransport(transport: ClientTransport, first: Uint8Array | undefined): void;
  report(error: unknown): void;
}

/**
 * WebSocket and raw TCP on one port (Pomelo's hybrid connector), plain or TLS. The first bytes
 * decide: an HTTP request line (it starts with an ASCII capital, as `GET `) goes to an internal
 * HTTP server for the WebSocket upgrade; anything else is raw TCP, whose packages start with a
 * type byte from 1 to 5.
 */
export class HybridServer {
  readonly #settings: ConnectorSettings;
  readonly #events: HybridServerEvents;
  readonly #http: HttpServer;
  /** Sockets accepted and not yet routed to a transport. */
  readonly #unrouted = new Set<Socket>();
  #server: NetServer | TlsServer | undefined;
  #certificates: { close(): void } | undefined;

  constructor(settings: ConnectorSettings, events: HybridServerEvents) {
    this.#settings = settings;
    this.#events = events;
    this.#http = createHttpServer();
    this.#http.on('upgrade', this.#onUpgrade);
    this.#http.on('request', (_request, response) => {
      response.writeHead(426, { connection: 'close', 'content-type': 'text/plain' });
      response.end('this port speaks the Pomelo protocol over WebSocket or TCP\n');
    });
  }

  /** Listens; resolves with the port (useful with port 0). */
  async listen(port: number, host: string | undefined): Promise<number> {
    const ssl = this.#settings.ssl;
    let server: NetServer | TlsServer;
    if (ssl === undefined) {
      server = createNetServer(this.#onSocket);
    } else {
      const options = await readCertificates(ssl);
      const tlsServer = createTlsServer({ ...options, handshakeTimeout: this.#settings.handshakeTimeoutMs });
      // Blacklisted addresses are dropped before the TLS handshake costs anything.
      tlsServer.on('connection', (socket: Socket) => {
        if (this.#events.refuses(normalizeIp(socket.remoteAddress ?? ''))) socket.destroy();
      });
      tlsServer.on('secureConnection', this.#onSocket);
      tlsServer.on('tlsClientError', () => {});
      this.#certificates = watchCertificates(
        ssl,
        options,
        (next) => tlsServer.setSecureContext(next),
        this.#events.report,
      );
      server = tlsServer;
    }
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (cause) =>
        reject(
          new ShaddockError(
            ErrorCode.ConnectorListenFailed,
            `the connector cannot listen on ${host ?? '*'}:${port}: ${cause.message}`,
            { cause },
          ),
        ),
      );
      server.listen({ port, ...(host === undefined ? {} : { host }) }, resolve);
    });
    server.on('error', this.#events.report);
    const address = server.address();
    return typeof address === 'object' && address !== null ? address.port : port;
  }

  /** Stops accepting connections; open ones stay. */
  stopAccepting(): void {
    this.#server?.close();
    this.#certificates?.close();
  }

  /** Stops accepting and drops sockets still waiting to be routed. */
  close(): void {
    this.stopAccepting();
    for (const socket of this.#unrouted) socket.destroy();
    this.#unrouted.clear();
    this.#http.close();
  }

  readonly #onSocket = (socket: Socket): void => {
    const settings = this.#settings;
    if (settings.ssl === undefined && this.#events.refuses(normalizeIp(socket.remoteAddress ?? ''))) {
      socket.destroy();
      return;
    }
    socket.setNoDelay(settings.noDelay);
    socket.on('error', ignore);
    socket.setTimeout(settings.handshakeTimeoutMs, onIdle);
    this.#unrouted.add(socket);
    socket.once('close', () => this.#unrouted.delete(socket));
    socket.once('data', (chunk: Buffer) => this.#route(socket, chunk));
  };

  #route(socket: Socket, chunk: Buffer): void {
    const first = chunk[0] ?? 0;
    if (first >= 0x41 && first <= 0x5a) {
      // Stays in #unrouted, with its idle timeout, until the upgrade completes.
      socket.pause();
      socket.unshift(chunk);
      this.#http.emit('connection', socket);
      socket.resume();
      return;
    }
    this.#routed(socket);
    this.#events.onTransport(new TcpTransport(socket, this.#settings.maxPackageSize), chunk);
  }

  #routed(socket: Socket): void {
    socket.setTimeout(0, onIdle);
    this.#unrouted.delete(socket);
  }

  readonly #onUpgrade = (request: IncomingMessage, stream: Duplex, head: Buffer): void => {
    const socket = stream as Socket;
    this.#routed(socket);
    const ip = this.#clientIp(request, socket);
    if (this.#settings.realIpHeader !== undefined && this.#events.refuses(ip)) {
      socket.destroy();
      return;
    }
    if (!acceptUpgrade(request, socket)) return;
    const { maxPackageSize, maxFrameSize } = this.#settings;
    const address = { ip, port: socket.remotePort ?? 0 };
    this.#events.onTransport(new WsTransport(socket, address, maxPackageSize, maxFrameSize), head);
  };

  #clientIp(request: IncomingMessage, socket: Socket): string {
    const header = this.#settings.realIpHeader;
    const value = header === undefined ? undefined : request.headers[header];
    const text = Array.isArray(value) ? value[0] : value;
    // X-Forwarded-For lists the client first, then each proxy.
    const forwarded = text?.split(',')[0]?.trim();
    return normalizeIp(forwarded || socket.remoteAddress || '');
  }
}

function ignore(): void {}

function onIdle(this: Socket): void {
  this.destroy();
}
