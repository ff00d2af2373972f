// RFC 6455 frames by hand, for tests: what a client writes (masked frames, close bodies) and a
// reader of what the server writes (unmasked frames). One home for the frame reader's unit tests
// (packages/shaddock/src/connector/websocket-frames.test.ts), the connector's WebSocket tests and
// the attack tests; the values are restated from the RFC, not taken from the implementation under test.

import { connect, type Socket } from 'node:net';

export const CONTINUATION = 0x0;
export const TEXT = 0x1;
export const BINARY = 0x2;
export const CLOSE = 0x8;
export const PING = 0x9;
export const PONG = 0xa;

/** The mask key a client frame gets unless told otherwise: fixed, so a frame reads the same every run. */
export const MASK = [0x37, 0xfa, 0x21, 0x3d] as const;

export interface ClientFrameOptions {
  /** Default true. */
  readonly fin?: boolean;
  /** The mask key (default {@link MASK}); `null` sends the frame unmasked (what a client may not do). */
  readonly mask?: Uint8Array | readonly number[] | null;
  /** RSV1..3 as bits 0x40, 0x20, 0x10 of the first byte. */
  readonly rsv?: number;
}

/** A client frame as a browser sends it: masked, the shortest length encoding. */
export function clientFrame(
  opcode: number,
  payload: Uint8Array | string,
  options: ClientFrameOptions = {},
): Buffer {
  const body = Buffer.from(payload);
  const mask = options.mask === undefined ? MASK : options.mask;
  const first = ((options.fin ?? true) ? 0x80 : 0) | (options.rsv ?? 0) | opcode;
  const maskBit = mask === null ? 0 : 0x80;
  let header: Buffer;
  if (body.length < 126) {
    header = Buffer.from([first, maskBit | body.length]);
  } else if (body.length < 0x10000) {
    header = Buffer.from([first, maskBit | 126, 0, 0]);
    header.writeUInt16BE(body.length, 2);
  } else {
    header = Buffer.alloc(10);
    header[0] = first;
    header[1] = maskBit | 127;
    header.writeUInt32BE(Math.floor(body.length / 0x100000000), 2);
    header.writeUInt32BE(body.length >>> 0, 6);
  }
  if (mask === null) return Buffer.concat([header, body]);
  const masked = body.map((byte, index) => byte ^ mask[index % 4]!);
  return Buffer.concat([header, Buffer.from(mask), masked]);
}

/** A close frame body: the status code, then an optional UTF-8 reason. */
export function closeBody(code: number, reason = ''): Buffer {
  const body = Buffer.alloc(2 + Buffer.byteLength(reason));
  body.writeUInt16BE(code, 0);
  body.write(reason, 2);
  return body;
}

/** A frame from the server, as {@link readServerFrame} found it. */
export interface ServerFrame {
  readonly fin: boolean;
  readonly opcode: number;
  /** The mask bit: a server may never set it. */
  readonly masked: boolean;
  /** 2, 4 or 10: the bytes before the payload. */
  readonly headerLength: number;
  readonly payload: Buffer;
  /** The whole frame as it came. */
  readonly bytes: Buffer;
}

/**
 * The frame at the start of `bytes` (unmasked, as a server sends it), or undefined while it is
 * not all there. Anything after it is left alone: `bytes.subarray(frame.bytes.length)` is the rest.
 */
export function readServerFrame(bytes: Buffer): ServerFrame | undefined {
  if (bytes.length < 2) return undefined;
  let length = bytes[1]! & 0x7f;
  let headerLength = 2;
  if (length === 126) {
    if (bytes.length < 4) return undefined;
    length = bytes.readUInt16BE(2);
    headerLength = 4;
  } else if (length === 127) {
    if (bytes.length < 10) return undefined;
    length = bytes.readUInt32BE(2) * 0x100000000 + bytes.readUInt32BE(6);
    headerLength = 10;
  }
  const end = headerLength + length;
  if (bytes.length < end) return undefined;
  return {
    fin: (bytes[0]! & 0x80) !== 0,
    opcode: bytes[0]! & 0x0f,
    masked: (bytes[1]! & 0x80) !== 0,
    headerLength,
    payload: bytes.subarray(headerLength, end),
    bytes: bytes.subarray(0, end),
  };
}

/** A WebSocket client by hand: the server's answer to its upgrade, and every frame after it. */
export interface HandmadeWebSocket {
  readonly socket: Socket;
  /** The status line of the upgrade's answer (`HTTP/1.1 101 …`), once it is in. */
  status(): string | undefined;
  /** Every frame the server sent after the upgrade, in order. */
  readonly frames: ServerFrame[];
  /** Resolves once the server's close frame is in. */
  readonly closeFrame: Promise<void>;
}

/**
 * Connects to `port`, writes `request` (a WebSocket upgrade) and then `frames` at once, and reads
 * the server's side as it comes. What a client writes after the upgrade is the test's.
 */
export function handmadeWebSocket(
  port: number,
  request: Uint8Array,
  frames: readonly Uint8Array[],
  host = '127.0.0.1',
): HandmadeWebSocket {
  const socket = connect({ port, host });
  socket.on('error', () => {});
  let pending = Buffer.alloc(0);
  let status: string | undefined;
  const received: ServerFrame[] = [];
  const closeFrame = new Promise<void>((resolve) =>
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      if (status === undefined) {
        const head = pending.indexOf('\r\n\r\n');
        if (head < 0) return;
        status = pending.subarray(0, pending.indexOf('\r\n')).toString('latin1');
        pending = pending.subarray(head + 4);
      }
      for (let frame = readServerFrame(pending); frame !== undefined; frame = readServerFrame(pending)) {
        pending = pending.subarray(frame.bytes.length);
        received.push(frame);
        if (frame.opcode === CLOSE) resolve();
      }
    }),
  );
  socket.write(request);
  for (const frame of frames) socket.write(frame);
  return { socket, status: () => status, frames: received, closeFrame };
}
