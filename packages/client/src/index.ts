/**
 * `@shaddock/client` for Node: the Pomelo protocol over WebSocket (the `ws` package) or raw
 * TCP/TLS, with a Promise API. Browsers get `browser.ts`, the same API without TCP.
 *
 * @example
 * ```ts
 * import { connect } from '@shaddock/client';
 * const client = await connect({ host: '127.0.0.1', port: 3010, transport: 'tcp' });
 * const reply = await client.request('connector.entryHandler.enter', { username: 'a' });
 * client.on('onChat', (message) => console.log(message));
 * await client.close();
 * ```
 */
import WebSocket from 'ws';
import type { AnyClientApi, ClientApi } from './api.js';
import { connectWith } from './client.js';
import type { ConnectOptions, ResolverConnectOptions } from './options.js';
import { openTcpTransport } from './tcp-transport.js';
import type { OpenTransport } from './transport.js';
import type { Client } from './types.js';
import { type CreateWebSocket, webSocketTransport } from './websocket-transport.js';

export * from './exports.js';

const createNodeWebSocket: CreateWebSocket = (url, tls, events) => {
  const socket = new WebSocket(url, {
    perMessageDeflate: false,
    ...(tls?.rejectUnauthorized === undefined ? {} : { rejectUnauthorized: tls.rejectUnauthorized }),
    ...(tls?.ca === undefined ? {} : { ca: tls.ca }),
  });
  socket.on('open', () => events.onOpen());
  socket.on('message', (data, isBinary) => events.onMessage(isBinary ? data : String(data)));
  socket.on('error', (error) => events.onError(error));
  socket.on('close', () => events.onClose());
  return {
    send: (bytes) => socket.send(bytes),
    close: () => socket.close(),
    terminate: () => socket.terminate(),
  };
};

const openWebSocket = webSocketTransport(createNodeWebSocket);

const openNodeTransport: OpenTransport = (target, handlers) =>
  target.kind === 'tcp' ? openTcpTransport(target, handlers) : openWebSocket(target, handlers);

/**
 * Connects to a Pomelo-protocol server and resolves once the handshake is done. Rejects with
 * a {@link ClientError}: `ConnectFailed`, `ConnectTimeout`, `HandshakeRejected` (with the
 * server's `handshakeCode`), `HandshakeTimeout`, `Protocol`, `InvalidOptions`, and with
 * `resolve`, `ResolveFailed`. `Api` describes the server's routes for typed requests and pushes.
 *
 * Give `host` and `port`, or `resolve` to find the server (a {@link fromGate} gate, a
 * {@link fromList} list, a function): the first connect tries each candidate once, and each
 * reconnect round asks again, so a client finds a live connector rather than a dead address.
 */
export function connect<Api extends ClientApi = AnyClientApi>(
  options: ConnectOptions | ResolverConnectOptions,
): Promise<Client<Api>> {
  return connectWith<Api>(options, openNodeTransport);
}
