import { Packr, RESERVE_START_SPACE } from 'msgpackr';
import { ErrorCode, ShaddockError } from '../errors.js';

/** Bytes of the big-endian length prefix before every frame's payload. */
export const FRAME_HEADER_LENGTH = 4;

/** The default upper bound of one frame's payload: 64 MiB. */
export const DEFAULT_MAX_FRAME_LENGTH = 64 * 1024 * 1024;

/**
 * One shared codec. Records (msgpackr's structure extension) are off: every frame is plain
 * msgpack any decoder reads, and RPC messages are small and varied, where records would only
 * add structure headers to every frame. `structuredClone` is off too: no cycles on this path.
 */
const packr = new Packr({ useRecords: false, moreTypes: false });

// msgpackr leaves these bytes free at the start of its output, so the length goes in place and
// the frame needs no copy; later packs continue after it in the same slab, never over it.
const RESERVE_HEADER = RESERVE_START_SPACE | FRAME_HEADER_LENGTH;

/**
 * Encodes a message as one frame: 4-byte big-endian payload length, then the msgpack payload.
 * Throws when the message cannot be encoded.
 */
export function encodeFrame(message: unknown): Buffer {
  const frame = packr.pack(message, RESERVE_HEADER);
  frame.writeUInt32BE(frame.length - FRAME_HEADER_LENGTH, 0);
  return frame;
}

/** Encodes one value as msgpack, without a frame header. Throws when it cannot be encoded. */
export function packValue(value: unknown): Buffer {
  return packr.pack(value);
}

/**
 * Decodes one payload (without its length prefix), `source[start, end)` (all of it by default),
 * without making a view of it first. Throws an `RpcProtocol` error on bad bytes.
 */
export function decodePayload(source: Uint8Array, start = 0, end = source.length): unknown {
  const length = end - start;
  if (length === 0) throw new ShaddockError(ErrorCode.RpcProtocol, 'undecodable frame: empty payload');
  try {
    return packr.unpack(source, { start, end });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ShaddockError(ErrorCode.RpcProtocol, `undecodable frame of ${length} bytes: ${reason}`, {
      cause: error,
    });
  }
}

/** Receives one frame's payload, `source[start, end)`; `false` stops the reading. */
export type PayloadHandler = (source: Buffer, start: number, end: number) => boolean | undefined;

/**
 * Cuts a byte stream into frames. Chunks are kept as they arrive and joined only once a whole
 * frame is there, so an announced length never allocates anything before its bytes exist.
 */
export class FrameReader {
  /** The largest payload accepted; may change between chunks (lower before a peer is authenticated). */
  maxFrameLength: number;
  #oversize = false;
  #chunks: Buffer[] = [];
  #buffered = 0;
  /** Bytes the head frame needs in all, once its length prefix is in (0 until then). */
  #needed = 0;

  constructor(maxFrameLength = DEFAULT_MAX_FRAME_LENGTH) {
    this.maxFrameLength = maxFrameLength;
  }

  /** Whether the last throw was for a frame over {@link maxFrameLength}. */
  get oversize(): boolean {
    return this.#oversize;
  }

  /** Bytes received and not yet part of a whole frame. */
  get buffered(): number {
    return this.#buffered;
  }

  /**
   * Takes the next chunk and calls `onFrame` with each message it completes, in order. Throws an
   * `RpcProtocol` error on an oversize or undecodable frame; the stream is then unusable.
   * `onFrame` returning `false` stops the reading (the socket went away meanwhile).
   */
  push(chunk: Buffer, onFrame: (message: unknown) => boolean | undefined): void {
    this.pushPayloads(chunk, (source, start, end) => onFrame(decodePayload(source, start, end)));
  }

  /**
   * Like {@link push}, but hands over each frame's payload undecoded: `source[start, end)`, valid
   * only during the call. Throws an `RpcProtocol` error on an oversize frame.
   */
  pushPayloads(chunk: Buffer, onPayload: PayloadHandler): void {
    let source = chunk;
    if (this.#buffered > 0) {
      this.#chunks.push(chunk);
      this.#buffered += chunk.length;
      // Read once: a frame arriving in many small chunks must not rescan them all on each one.
      if (this.#needed === 0) this.#needed = this.#neededLength() ?? 0;
      if (this.#needed === 0 || this.#buffered < this.#needed) return;
      source = Buffer.concat(this.#chunks, this.#buffered);
      this.#chunks = [];
      this.#buffered = 0;
      this.#needed = 0;
    }
    let offset = 0;
    const end = source.length;
    while (end - offset >= FRAME_HEADER_LENGTH) {
      const length = this.#checkLength(source.readUInt32BE(offset));
      const frameEnd = offset + FRAME_HEADER_LENGTH + length;
      if (frameEnd > end) break;
      const start = offset + FRAME_HEADER_LENGTH;
      offset = frameEnd;
      if (onPayload(source, start, frameEnd) === false) return;
    }
    if (offset < end) {
      this.#chunks.push(offset === 0 ? source : source.subarray(offset));
      this.#buffered = end - offset;
    }
  }

  /** The byte count of the first frame once its header is known (checked against the bound). */
  #neededLength(): number | undefined {
    if (this.#buffered < FRAME_HEADER_LENGTH) return undefined;
    const first = this.#chunks[0]!;
    const header =
      first.length >= FRAME_HEADER_LENGTH
        ? first
        : Buffer.concat(this.#chunks, FRAME_HEADER_LENGTH).subarray(0, FRAME_HEADER_LENGTH);
    return FRAME_HEADER_LENGTH + this.#checkLength(header.readUInt32BE(0));
  }

  #checkLength(length: number): number {
    if (length > this.maxFrameLength) {
      this.#oversize = true;
      throw new ShaddockError(
        ErrorCode.RpcProtocol,
        `frame of ${length} bytes exceeds maxFrameLength ${this.maxFrameLength}`,
      );
    }
    return length;
  }
}
