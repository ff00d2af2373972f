import {
  type DecodedMessage,
  decodeHandshakeRequest,
  decodePackages,
  encodeHandshakeResponse,
  encodePackage,
  HandshakeCode,
  isJsonObject,
  type JsonObject,
  MessageCodec,
  MessageType,
  PackageType,
  RouteDictionary,
} from '@shaddock/protocol';
import { type WebSocket, WebSocketServer } from 'ws';

/** The routes this demo serves. */
export const EchoRoutes = {
  echo: 'echo.echoHandler.echo',
  shout: 'echo.echoHandler.shout',
  onEcho: 'onEcho',
} as const;

const HEARTBEAT_SECONDS = 10;
const dictionary = RouteDictionary.fromRoutes([EchoRoutes.echo, EchoRoutes.shout], [EchoRoutes.onEcho]);
const codec = new MessageCodec({ dictionary });

/** A running echo server. */
export interface EchoServer {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * A one-process server speaking Pomelo's protocol over WebSocket: `echo` answers with the body,
 * `shout` pushes `onEcho` to every connected client. A stand-in until the chat cluster exists.
 */
export async function startEchoServer(port: number, host = '127.0.0.1'): Promise<EchoServer> {
  const server = new WebSocketServer({ port, host });
  server.on('connection', (socket) => serve(socket, server));
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address !== null ? address.port : port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of server.clients) client.terminate();
        server.close(() => resolve());
      }),
  };
}

function serve(socket: WebSocket, server: WebSocketServer): void {
  socket.on('message', (data: Buffer) => {
    try {
      for (const { type, body } of decodePackages(data)) {
        if (type === PackageType.Handshake) {
          decodeHandshakeRequest(body);
          socket.send(
            encodeHandshakeResponse({
              code: HandshakeCode.Ok,
              sys: {
                heartbeat: HEARTBEAT_SECONDS,
                useDict: true,
                dict: dictionary.toJSON(),
                dictVersion: dictionary.version,
              },
            }),
          );
        } else if (type === PackageType.Heartbeat) {
          socket.send(encodePackage(PackageType.Heartbeat));
        } else if (type === PackageType.Data) {
          handle(socket, server, codec.decodeFromClient(body));
        }
      }
    } catch (error) {
      // One bad client closes its own connection and nothing else.
      socket.close(1002, error instanceof Error ? error.message.slice(0, 100) : 'bad input');
    }
  });
}

function handle(socket: WebSocket, server: WebSocketServer, decoded: DecodedMessage): void {
  // The codec accepts any JSON value, as Pomelo does; the echo's routes take objects.
  const { body: value } = decoded;
  if (!isJsonObject(value)) {
    const refusal = { code: 400, message: 'the echo routes take a JSON object' };
    if (decoded.type === MessageType.Request)
      socket.send(codec.encodeResponse(decoded.id, decoded.route, refusal));
    return;
  }
  const message = { ...decoded, body: value };
  if (message.route === EchoRoutes.shout) {
    const push = codec.encodePush(EchoRoutes.onEcho, message.body);
    for (const client of server.clients) client.send(push);
  }
  if (message.type !== MessageType.Request) return;
  const body: JsonObject =
    message.route === EchoRoutes.echo || message.route === EchoRoutes.shout
      ? message.body
      : { code: 404, message: `unknown route ${message.route}` };
  socket.send(codec.encodeResponse(message.id, message.route, body));
}
