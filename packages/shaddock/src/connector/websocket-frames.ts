import { isUtf8 } from 'node:buffer';

/** RFC 6455 close codes the connector sends. */
export const CloseCode = {
  Normal: 1000,
  ProtocolError: 1002,
  InvalidData: 1007,
  TooLarge: 1009,
} as const;

/** A frame the client may not send: the connection is closed with `closeCode`. */
export class WebSocketFrameError extends Error {
  readonly closeCode: number;
  /** A short stable reason, the connection's close reason. */
  readonly code: string;

  constructor(closeCode: number, code: string, message: string) {
    super(message);
    this.name = 'WebSocketFrameError';
    this.closeCode = closeCode;
    this.code = code;
  }
}

/** What a {@link WebSocketFrameReader} hands on. */
export interface WebSocketFrameSink {
  /** One whole data message (binary or text), unmasked; valid during the call only. */
  onMessage(payload: Uint8Array): void;
  onPing(payload: Uint8Array): void;
  /** The client's close frame: its status code (undefined when it gave none). */
  onCloseFrame(code: number | undefined): void;
}

const OPCODE_CONTINUATION = 0x0;
const OPCODE_TEXT = 0x1;
const OPCODE_BINARY = 0x2;
const OPCODE_CLOSE = 0x8;
const OPCODE_PING = 0x9;
const OPCODE_PONG = 0xa;

/**
 * Reads the client's side of a WebSocket: masked frames, fragmented messages, control frames in
 * between. Whole frames are unmasked in place in the chunk they arrived in; only a frame split
 * across reads is copied. Throws {@link WebSocketFrameError} on anything RFC 6455 forbids; the
 * stream is unusable after that.
 */
export class WebSocketFrameReader {
  readonly #maxMessageBytes: number;
  readonly #sink: WebSocketFrameSink;
  /** Bytes of a frame not yet whole, as they arrived (joined once the frame is there). */
  #chunks: Buffer[] | undefined;
  #buffered = 0;
  /** Bytes the head frame needs before it can be read. */
  #needed = 0;
  /** Fragments of a message still coming (after a data frame without FIN). */
  #fragments: Uint8Array[] | undefined;
  #fragmentBytes = 0;
  #fragmentedText = false;
  #inMessage = false;

  constructor(maxMessageBytes: number, sink: WebSocketFrameSink) {
    this.#maxMessageBytes = maxMessageBytes;
    this.#sink = sink;
  }

  /** Reads a chunk; calls the sink for each frame it completes, in order. */
  push(chunk: Buffer): void {
    let source = chunk;
    const chunks = this.#chunks;
    if (chunks !== undefined) {
      chunks.push(chunk);
      this.#buffered += chunk.length;
      if (this.#buffered < this.#needed) return;
      source = Buffer.concat(chunks, this.#buffered);
      this.#chunks = undefined;
      this.#buffered = 0;
    }
    let offset = 0;
    while (offset < source.length) {
      const next = this.#frame(source, offset);
      if (next < 0) break;
      offset = next;
    }
    if (offset < source.length) {
      this.#chunks = [offset === 0 ? source : source.subarray(offset)];
      this.#buffered = source.length - offset;
    }
  }

  /**
   * Reads the frame at `offset`; returns the offset after it, or -1 when it is not whole yet
   * (then `#needed` says how many bytes to wait for).
   */
  #frame(source: Buffer, offset: number): number {
    const available = source.length - offset;
    this.#needed = available + 1;
    if (available < 2) return -1;
    const first = source[offset]!;
    const second = source[offset + 1]!;
    if ((first & 0x70) !== 0) throw frameError('RSV bits set without an extension');
    if ((second & 0x80) === 0) throw frameError('client frame not masked');
    const fin = (first & 0x80) !== 0;
    const opcode = first & 0x0f;
    let length = second & 0x7f;
    let headerLength = 2;
    if (length === 126) {
      if (available < 4) return -1;
      length = source.readUInt16BE(offset + 2);
      headerLength = 4;
    } else if (length === 127) {
      if (available < 10) return -1;
      if (source.readUInt32BE(offset + 2) !== 0) throw tooLarge(Number.POSITIVE_INFINITY);
      length = source.readUInt32BE(offset + 6);
      headerLength = 10;
    }
    this.#check(opcode, fin, length);
    const start = offset + headerLength + 4;
    const end = start + length;
    if (source.length < end) {
      this.#needed = end - offset;
      return -1;
    }
    const payload = source.subarray(start, end);
    unmask(payload, source, start - 4);
    this.#deliver(opcode, fin, payload);
    return end;
  }

  #check(opcode: number, fin: boolean, length: number): void {
    if (opcode >= OPCODE_CLOSE) {
      if (opcode > OPCODE_PONG) throw frameError(`reserved opcode ${opcode}`);
      if (!fin || length > 125) throw frameError('control frame fragmented or over 125 bytes');
      return;
    }
    if (opcode > OPCODE_BINARY) throw frameError(`reserved opcode ${opcode}`);
    if (opcode === OPCODE_CONTINUATION && !this.#inMessage)
      throw frameError('continuation without a message');
    if (opcode !== OPCODE_CONTINUATION && this.#inMessage)
      throw frameError('new message inside a fragmented one');
    if (this.#fragmentBytes + length > this.#maxMessageBytes) throw tooLarge(this.#fragmentBytes + length);
  }

  #deliver(opcode: number, fin: boolean, payload: Buffer): void {
    if (opcode === OPCODE_PING) this.#sink.onPing(payload);
    else if (opcode === OPCODE_CLOSE) this.#sink.onCloseFrame(closeStatus(payload));
    else if (opcode === OPCODE_PONG) return;
    else if (fin && !this.#inMessage) this.#message(payload, opcode === OPCODE_TEXT);
    else this.#fragment(opcode, fin, payload);
  }

  #fragment(opcode: number, fin: boolean, payload: Buffer): void {
    if (!this.#inMessage) {
      this.#inMessage = true;
      this.#fragmentedText = opcode === OPCODE_TEXT;
    }
    // A view would do (each chunk is unmasked once, in place); a copy lets the chunk go.
    if (this.#fragments === undefined) this.#fragments = [];
    const fragments = this.#fragments;
    fragments.push(Buffer.from(payload));
    this.#fragmentBytes += payload.length;
    if (!fin) return;
    const whole = Buffer.concat(fragments, this.#fragmentBytes);
    const text = this.#fragmentedText;
    this.#fragments = undefined;
    this.#fragmentBytes = 0;
    this.#inMessage = false;
    this.#message(whole, text);
  }

  #message(payload: Uint8Array, text: boolean): void {
    if (text && !isUtf8(payload)) {
      throw new WebSocketFrameError(CloseCode.InvalidData, 'WS_INVALID_UTF8', 'text message not UTF-8');
    }
    this.#sink.onMessage(payload);
  }
}

/** A server frame: one unfragmented binary message carrying `payload`, header and payload in one buffer. */
export function encodeBinaryFrame(payload: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(headerLength(payload.length) + payload.length);
  frame.set(payload, writeHeader(frame, OPCODE_BINARY, payload.length));
  return frame;
}

/** One binary frame carrying `chunks` back to back (`totalBytes` in all). */
export function encodeBinaryFrameOf(chunks: readonly Uint8Array[], totalBytes: number): Buffer {
  const frame = Buffer.allocUnsafe(headerLength(totalBytes) + totalBytes);
  let offset = writeHeader(frame, OPCODE_BINARY, totalBytes);
  for (const chunk of chunks) {
    frame.set(chunk, offset);
    offset += chunk.length;
  }
  return frame;
}

/** A close frame; without a code it has no body (what Pinus's `ws` server sends). */
export function encodeCloseFrame(code?: number): Buffer {
  if (code === undefined) return Buffer.from([0x80 | OPCODE_CLOSE, 0]);
  const frame = Buffer.allocUnsafe(4);
  frame[0] = 0x80 | OPCODE_CLOSE;
  frame[1] = 2;
  frame.writeUInt16BE(code, 2);
  return frame;
}

/** The answer to a ping: a pong with the same payload. */
export function encodePongFrame(payload: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(2 + payload.length);
  frame[0] = 0x80 | OPCODE_PONG;
  frame[1] = payload.length;
  frame.set(payload, 2);
  return frame;
}

function headerLength(payloadLength: number): number {
  return payloadLength < 126 ? 2 : payloadLength < 0x10000 ? 4 : 10;
}

/** Writes an unmasked FIN header; returns where the payload starts. */
function writeHeader(frame: Buffer, opcode: number, length: number): number {
  frame[0] = 0x80 | opcode;
  if (length < 126) {
    frame[1] = length;
    return 2;
  }
  if (length < 0x10000) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
    return 4;
  }
  frame[1] = 127;
  frame.writeUInt32BE(Math.floor(length / 0x100000000), 2);
  frame.writeUInt32BE(length >>> 0, 6);
  return 10;
}

function unmask(payload: Buffer, source: Buffer, maskOffset: number): void {
  const m0 = source[maskOffset]!;
  const m1 = source[maskOffset + 1]!;
  const m2 = source[maskOffset + 2]!;
  const m3 = source[maskOffset + 3]!;
  const length = payload.length;
  let index = 0;
  for (; index + 3 < length; index += 4) {
    payload[index] = payload[index]! ^ m0;
    payload[index + 1] = payload[index + 1]! ^ m1;
    payload[index + 2] = payload[index + 2]! ^ m2;
    payload[index + 3] = payload[index + 3]! ^ m3;
  }
  if (index < length) payload[index] = payload[index]! ^ m0;
  if (index + 1 < length) payload[index + 1] = payload[index + 1]! ^ m1;
  if (index + 2 < length) payload[index + 2] = payload[index + 2]! ^ m2;
}

function closeStatus(payload: Uint8Array): number | undefined {
  if (payload.length === 0) return undefined;
  if (payload.length === 1) throw frameError('close frame with a one-byte body');
  const code = (payload[0]! << 8) | payload[1]!;
  if (!isSendableCloseCode(code)) throw frameError(`close frame with status ${code}`);
  if (!isUtf8(payload.subarray(2))) {
    throw new WebSocketFrameError(CloseCode.InvalidData, 'WS_INVALID_UTF8', 'close reason not UTF-8');
  }
  return code;
}

/** RFC 6455 §7.4: the statuses a close frame may carry (1004–1006 and 1015 are reserved or local only). */
function isSendableCloseCode(code: number): boolean {
  return (
    (code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) ||
    (code >= 3000 && code <= 4999)
  );
}

function frameError(message: string): WebSocketFrameError {
  return new WebSocketFrameError(CloseCode.ProtocolError, 'WS_PROTOCOL_ERROR', message);
}

function tooLarge(bytes: number): WebSocketFrameError {
  return new WebSocketFrameError(
    CloseCode.TooLarge,
    'WS_MESSAGE_TOO_LARGE',
    `message of ${bytes} bytes is over the limit`,
  );
}
