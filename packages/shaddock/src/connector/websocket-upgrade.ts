import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';

/** RFC 6455 §1.3: appended to the client's key before hashing. */
const ACCEPT_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const KEY_PATTERN = /^[+/0-9A-Za-z]{22}==$/;

/**
 * Answers a WebSocket upgrade request: `101 Switching Protocols` when it is a valid version-13
 * opening handshake (true), otherwise a 400 or 426 response and the socket destroyed (false).
 * No extension is accepted (no permessage-deflate: Pomelo packages are small and binary); of the
 * subprotocols a client offers, the first is echoed, as `ws` does, so browsers that offer one connect.
 */
export function acceptUpgrade(request: IncomingMessage, socket: Socket): boolean {
  const key = request.headers['sec-websocket-key'];
  const upgrade = request.headers.upgrade;
  if (
    request.method !== 'GET' ||
    typeof upgrade !== 'string' ||
    upgrade.toLowerCase() !== 'websocket' ||
    typeof key !== 'string' ||
    !KEY_PATTERN.test(key)
  ) {
    refuseUpgrade(socket, 400, 'Bad Request');
    return false;
  }
  if (request.headers['sec-websocket-version'] !== '13') {
    refuseUpgrade(socket, 426, 'Upgrade Required', 'Sec-WebSocket-Version: 13\r\n');
    return false;
  }
  const accept = createHash('sha1')
    .update(key + ACCEPT_GUID)
    .digest('base64');
  const protocol = request.headers['sec-websocket-protocol']?.split(',')[0]?.trim();
  socket.write(
    'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      `Sec-WebSocket-Accept: ${accept}\r\n` +
      (protocol ? `Sec-WebSocket-Protocol: ${protocol}\r\n` : '') +
      '\r\n',
  );
  return true;
}

/** Answers an upgrade request with `status` and closes; the socket is not read any more. */
export function refuseUpgrade(socket: Socket, status: number, text: string, headers = ''): void {
  const response = `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n${headers}\r\n`;
  socket.pause();
  socket.end(response, () => socket.destroy());
}
