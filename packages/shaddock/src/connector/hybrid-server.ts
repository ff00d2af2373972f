import { createServer as createHttpServer, type Server as HttpServer, type IncomingMessage } from 'node:http';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { ErrorCode, ShaddockError } from '../errors.js';
import { descriptorBudget, IpCounts, Refusal } from './admission.js';
import type { ConnectorSettings } from './connector-config.js';
import { TcpTransport } from './tcp-transport.js';
import { readCertificates, watchCertificates } from './tls-certificates.js';
import { type ClientTransport, normalizeIp } from './transport.js';
import { acceptUpgrade, refuseUpgrade } from './websocket-upgrade.js';
import { WsTransport } from './ws-transport.js';

/** What the hybrid server reports to the connector. */
export interface HybridServerEvents {
  /** True when a client from `ip` must be closed at once. */
  refuses(ip: string): boolean;
  /**
   * A client socket is ready for the Pomelo protocol; `first` holds bytes already read;
   * `acceptedAt` is when its socket was accepted (`performance.now()`).
   */
  onTransport(transport: ClientTransport, first: Uint8Array | undefined, acceptedAt: number): void;
  /** A socket was closed at accept, before anything was read from it, for `refusal`. */
  onRefused(refusal: Refusal, ip: string | undefined): void;
  report(error: unknown): void;
}

/** The limit on the sockets a server holds, and where it comes from. */
export interface SocketLimit {
  readonly limit: number;
  readonly by: typeof Refusal.MaxConnections | typeof Refusal.DescriptorBudget;
}

/**
 * WebSocket and raw TCP on one port (Pomelo's hybrid connector), plain or TLS. The first bytes
 * decide: an HTTP request line (it starts with an ASCII capital, as `GET `) goes to an internal
 * HTTP server for the WebSocket upgrade; anything else is raw TCP, whose packages start with a
 * type byte from 1 to 5.
 *
 * Every socket counts against the socket limit ({@link SocketLimit}: `max-connections`, or the
 * descriptor budget when it is lower) and `maxConnectionsPerIp` from its accept to its close;
 * over either it is closed at once, unread. Until it is routed to a transport, it is dropped at
 * the handshake deadline (`sweep`), counted from its accept, whatever it sends meanwhile.
 */
export class HybridServer {
  readonly #settings: ConnectorSettings;
  readonly #events: HybridServerEvents;
  readonly #http: HttpServer;
  readonly #perIp: IpCounts;
  /** With `realIpHeader`, WebSocket clients are counted per IP at the upgrade, by the header's address. */
  readonly #perIpAtUpgrade: boolean;
  /** Sockets accepted and not yet routed to a transport (with TLS, raw ones in their TLS handshake too), and when. */
  readonly #unrouted = new Map<Socket, number>();
  /** Raw sockets in their TLS handshake, by `address|port`: how the TLS socket finds its accept time. */
  readonly #inTls = new Map<string, Socket>();
  #server: NetServer | TlsServer | undefined;
  #certificates: { close(): void } | undefined;
  #socketLimit: SocketLimit | undefined;

  constructor(settings: ConnectorSettings, events: HybridServerEvents) {
    this.#settings = settings;
    this.#events = events;
    this.#perIp = new IpCounts(settings.maxConnectionsPerIp);
    this.#perIpAtUpgrade = settings.realIpHeader !== undefined;
    this.#http = createHttpServer();
    this.#http.on('upgrade', this.#onUpgrade);
    this.#http.on('request', (_request, response) => {
      response.writeHead(426, { connection: 'close', 'content-type': 'text/plain' });
      response.end('this port speaks the Pomelo protocol over WebSocket or TCP\n');
    });
  }

  /** The limit on open sockets in force, once listening; undefined: none. */
  get socketLimit(): SocketLimit | undefined {
    return this.#socketLimit;
  }

  /** Listens; resolves with the port (useful with port 0). */
  async listen(port: number, host: string | undefined): Promise<number> {
    const ssl = this.#settings.ssl;
    let server: NetServer | TlsServer;
    if (ssl === undefined) {
      server = createNetServer((socket) => {
        const acceptedAt = this.#admit(socket);
        if (acceptedAt !== undefined) this.#onSocket(socket, acceptedAt);
      });
    } else {
      const options = await readCertificates(ssl);
      const tlsServer = createTlsServer({ ...options, handshakeTimeout: this.#settings.handshakeTimeoutMs });
      // Limits and the blacklist act before the TLS handshake costs anything.
      tlsServer.on('connection', (socket: Socket) => {
        if (this.#admit(socket) === undefined) return;
        const key = tlsKey(socket);
        this.#inTls.set(key, socket);
        socket.once('close', () => {
          if (this.#inTls.get(key) === socket) this.#inTls.delete(key);
        });
      });
      tlsServer.on('secureConnection', (socket: Socket) => {
        const key = tlsKey(socket);
        const raw = this.#inTls.get(key);
        this.#inTls.delete(key);
        const acceptedAt = (raw === undefined ? undefined : this.#unrouted.get(raw)) ?? performance.now();
        if (raw !== undefined) this.#unrouted.delete(raw);
        this.#follow(socket, acceptedAt);
        this.#onSocket(socket, acceptedAt);
      });
      tlsServer.on('tlsClientError', () => {});
      this.#certificates = watchCertificates(
        ssl,
        options,
        (next) => tlsServer.setSecureContext(next),
        this.#events.report,
      );
      server = tlsServer;
    }
    this.#socketLimit = socketLimit(this.#settings.maxConnections, descriptorBudget()?.budget);
    // Node closes a socket over the limit in its accept path, before any JavaScript object is made for it.
    if (this.#socketLimit !== undefined) server.maxConnections = this.#socketLimit.limit;
    server.on('drop', () => {
      const by = this.#socketLimit?.by;
      if (by !== undefined) this.#events.onRefused(by, undefined);
    });
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
    for (const socket of this.#unrouted.keys()) socket.destroy();
    this.#unrouted.clear();
    this.#inTls.clear();
    this.#http.close();
  }

  /** Drops the sockets not yet routed that were accepted before `cutoff` (`performance.now()` time). */
  sweep(cutoff: number): void {
    for (const [socket, acceptedAt] of this.#unrouted) {
      if (acceptedAt < cutoff) {
        socket.destroy();
        this.#unrouted.delete(socket);
      }
    }
  }

  /** Sockets accepted and not yet routed to a transport. */
  get unroutedCount(): number {
    return this.#unrouted.size;
  }

  /**
   * A socket just accepted: closed at once when blacklisted or over its address's limit, else
   * followed until it is routed. Returns its accept time, or undefined when it was closed.
   */
  #admit(socket: Socket): number | undefined {
    const ip = normalizeIp(socket.remoteAddress ?? '');
    if (this.#events.refuses(ip)) {
      socket.destroy();
      return undefined;
    }
    if (!this.#perIpAtUpgrade && !this.#perIp.take(socket, ip)) {
      socket.destroy();
      this.#events.onRefused(Refusal.PerIp, ip);
      return undefined;
    }
    const acceptedAt = performance.now();
    this.#follow(socket, acceptedAt);
    return acceptedAt;
  }

  /** Keeps `socket` under the deadline until it is routed or closes. */
  #follow(socket: Socket, acceptedAt: number): void {
    socket.on('error', ignore);
    this.#unrouted.set(socket, acceptedAt);
    socket.once('close', () => this.#unrouted.delete(socket));
  }

  #onSocket(socket: Socket, acceptedAt: number): void {
    socket.setNoDelay(this.#settings.noDelay);
    socket.once('data', (chunk: Buffer) => this.#route(socket, chunk, acceptedAt));
  }

  #route(socket: Socket, chunk: Buffer, acceptedAt: number): void {
    const first = chunk[0] ?? 0;
    if (first >= 0x41 && first <= 0x5a) {
      // Stays in #unrouted, under the deadline, until the upgrade completes.
      socket.pause();
      socket.unshift(chunk);
      this.#http.emit('connection', socket);
      socket.resume();
      return;
    }
    this.#unrouted.delete(socket);
    if (this.#perIpAtUpgrade) {
      const ip = normalizeIp(socket.remoteAddress ?? '');
      if (!this.#perIp.take(socket, ip)) {
        socket.destroy();
        this.#events.onRefused(Refusal.PerIp, ip);
        return;
      }
    }
    this.#events.onTransport(new TcpTransport(socket, this.#settings.maxPackageSize), chunk, acceptedAt);
  }

  readonly #onUpgrade = (request: IncomingMessage, stream: Duplex, head: Buffer): void => {
    const socket = stream as Socket;
    const acceptedAt = this.#unrouted.get(socket) ?? performance.now();
    this.#unrouted.delete(socket);
    const ip = this.#clientIp(request, socket);
    if (this.#perIpAtUpgrade) {
      if (this.#events.refuses(ip)) {
        socket.destroy();
        return;
      }
      if (!this.#perIp.take(socket, ip)) {
        refuseUpgrade(socket, 503, 'Service Unavailable');
        this.#events.onRefused(Refusal.PerIp, ip);
        return;
      }
    }
    if (!acceptUpgrade(request, socket)) return;
    const { maxPackageSize, maxFrameSize } = this.#settings;
    const address = { ip, port: socket.remotePort ?? 0 };
    this.#events.onTransport(
      new WsTransport(socket, address, maxPackageSize, maxFrameSize),
      head,
      acceptedAt,
    );
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

/** The limit on open sockets: `max-connections`, or the descriptor budget when it is lower (or the only one). */
export function socketLimit(maxConnections: number, budget: number | undefined): SocketLimit | undefined {
  if (budget !== undefined && (maxConnections === 0 || budget < maxConnections)) {
    return { limit: budget, by: Refusal.DescriptorBudget };
  }
  return maxConnections > 0 ? { limit: maxConnections, by: Refusal.MaxConnections } : undefined;
}

function tlsKey(socket: Socket): string {
  return `${socket.remoteAddress}|${socket.remotePort}`;
}

function ignore(): void {}
