/**
 * `@shaddock/client` for browsers: the Pomelo protocol over the browser's own `WebSocket`,
 * with nothing from Node. TCP is not available here.
 *
 * @example
 * ```ts
 * import { connect } from '@shaddock/client';
 * const client = await connect({ host: location.hostname, port: 3010, tls: location.protocol === 'https:' });
 * ```
 */
import type { AnyClientApi, ClientApi } from './api.js';
import { connectWith } from './client.js';
import { ClientError, ClientErrorCode } from './errors.js';
import type { ConnectOptions, ResolverConnectOptions } from './options.js';
import type { OpenTransport } from './transport.js';
import type { Client } from './types.js';
import { type CreateWebSocket, webSocketTransport } from './websocket-transport.js';

export * from './exports.js';

const createBrowserWebSocket: CreateWebSocket = (url, _tls, events) => {
  const socket = new WebSocket(url);
  socket.binaryType = 'arraybuffer';
  socket.onopen = () => events.onOpen();
  socket.onmessage = (event: MessageEvent<unknown>) => events.onMessage(event.data);
  // The browser tells nothing more about a WebSocket error, by design.
  socket.onerror = () => events.onError(new Error(`WebSocket error on ${url}`));
  socket.onclose = () => events.onClose();
  return {
    // The codec's buffers are plain ArrayBuffers, never shared ones, as the DOM type requires.
    send: (bytes) => socket.send(bytes as Uint8Array<ArrayBuffer>),
    close: () => socket.close(),
    terminate: () => socket.close(),
  };
};

const openWebSocket = webSocketTransport(createBrowserWebSocket);

const openBrowserTransport: OpenTransport = (target, handlers) =>
  target.kind === 'tcp'
    ? Promise.reject(
        new ClientError(
          ClientErrorCode.InvalidOptions,
          "transport 'tcp' needs Node; browsers have 'ws' only",
        ),
      )
    : openWebSocket(target, handlers);

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
  return connectWith<Api>(options, openBrowserTransport);
}
