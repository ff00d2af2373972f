import { FrameTooLarge } from '../errors.js';
import { FRAME_HEADER_LENGTH, packValue } from './frame-codec.js';

/**
 * Msgpack written straight into a frame's payload, for senders that know their frame's shape
 * (RPC requests and replies) and so skip building a message object only to have it encoded.
 */
export interface PayloadWriter {
  /** The header of an array of `length` elements; the elements are written next. */
  array(length: number): void;
  /** A non-negative integer below 2^32. */
  uint(value: number): void;
  /** Bytes that already are msgpack: one or more whole values. */
  raw(encoded: Uint8Array): void;
  /** Any value, in the bytes msgpackr would write for it. Throws when it cannot be encoded. */
  value(value: unknown): void;
}

// A frame from `appendFrame` at least this big is handed to the socket as it is, not copied.
const COPY_LIMIT = 64 * 1024;
const INITIAL_CAPACITY = 4 * 1024;
// A buffer beyond this size is let go after its turn rather than kept for the next turns.
const KEEP_LIMIT = 256 * 1024;
// Below this many characters a string is encoded by a JS loop, as msgpackr does: cheaper than a
// call into C++ for the short names, keys and values RPC carries.
const SHORT_STRING = 0x40;
const LONG_STRING = 4096;

/**
 * One connection's output for the current event-loop turn: frames are encoded in place, one
 * after the other, into one growing buffer, so the turn leaves as one write with no join copy.
 * A large pre-encoded frame is kept as a chunk of its own instead (the socket corks around the
 * chunks: still one writev).
 */
export class FrameWriter implements PayloadWriter {
  /**
   * The largest payload a frame may have (the receiver's bound): a larger one is not written, and
   * the send throws an `RpcProtocol` error instead of the receiver cutting the connection. Default:
   * no bound.
   */
  maxFrameLength = Number.POSITIVE_INFINITY;
  #buffer: Buffer = Buffer.allocUnsafe(0);
  // the size of the next buffer: the last one's, so a busy connection does not grow it anew each turn
  #capacity = INITIAL_CAPACITY;
  #length = 0;
  // the part of #buffer before this is already in #chunks
  #sealed = 0;
  #chunks: Buffer[] = [];
  #chunkBytes = 0;
  // a frame is being written: user code it runs (a getter) must not start another one inside it
  #writing = false;

  /** Bytes of whole frames waiting to be taken. */
  get byteLength(): number {
    return this.#chunkBytes + this.#length - this.#sealed;
  }

  /**
   * Writes one frame whose payload `encode` writes; a throw from `encode` leaves no trace of the
   * frame and is rethrown.
   */
  frame<A, B>(encode: (writer: PayloadWriter, a: A, b: B) => void, a: A, b: B): void {
    this.#checkIdle();
    this.#writing = true;
    this.#ensure(FRAME_HEADER_LENGTH);
    const start = this.#length;
    this.#length = start + FRAME_HEADER_LENGTH;
    try {
      encode(this, a, b);
    } catch (error) {
      this.#length = start;
      throw error;
    } finally {
      this.#writing = false;
    }
    const length = this.#length - start - FRAME_HEADER_LENGTH;
    if (length > this.maxFrameLength) {
      this.#length = start;
      throw this.#oversize(length);
    }
    put32(this.#buffer, start, length);
  }

  /** Appends a whole encoded frame (length prefix included). */
  appendFrame(frame: Buffer): void {
    this.#checkIdle();
    if (frame.length - FRAME_HEADER_LENGTH > this.maxFrameLength)
      throw this.#oversize(frame.length - FRAME_HEADER_LENGTH);
    if (frame.length < COPY_LIMIT) {
      this.raw(frame);
      return;
    }
    if (this.#length > this.#sealed) {
      this.#chunks.push(this.#buffer.subarray(this.#sealed, this.#length));
      this.#chunkBytes += this.#length - this.#sealed;
      this.#sealed = this.#length;
    }
    this.#chunks.push(frame);
    this.#chunkBytes += frame.length;
  }

  /** Takes every frame written, in order, as one buffer or a few; the writer is then empty. */
  take(): Buffer[] {
    const chunks = this.#chunks;
    if (this.#length > this.#sealed) chunks.push(this.#buffer.subarray(this.#sealed, this.#length));
    this.#chunks = [];
    this.#chunkBytes = 0;
    this.#sealed = this.#length;
    return chunks;
  }

  /**
   * After {@link take}: `reusable` says whether the bytes taken are no longer referenced (the
   * socket handed them to the kernel at once); otherwise the next frames go to a new buffer.
   */
  recycle(reusable: boolean): void {
    const kept = this.#buffer.length <= KEEP_LIMIT;
    if (!reusable || !kept) {
      if (kept) this.#capacity = Math.max(this.#capacity, this.#buffer.length);
      this.#buffer = Buffer.allocUnsafe(0);
    }
    this.#length = 0;
    this.#sealed = 0;
  }

  array(length: number): void {
    this.#ensure(5);
    const buffer = this.#buffer;
    if (length < 0x10) buffer[this.#length++] = 0x90 | length;
    else if (length < 0x10000) {
      buffer[this.#length] = 0xdc;
      put16(buffer, this.#length + 1, length);
      this.#length += 3;
    } else {
      buffer[this.#length] = 0xdd;
      put32(buffer, this.#length + 1, length);
      this.#length += 5;
    }
  }

  uint(value: number): void {
    this.#ensure(5);
    const buffer = this.#buffer;
    const at = this.#length;
    if (value < 0x80) {
      buffer[at] = value;
      this.#length = at + 1;
    } else if (value < 0x100) {
      buffer[at] = 0xcc;
      buffer[at + 1] = value;
      this.#length = at + 2;
    } else if (value < 0x10000) {
      buffer[at] = 0xcd;
      put16(buffer, at + 1, value);
      this.#length = at + 3;
    } else {
      buffer[at] = 0xce;
      put32(buffer, at + 1, value);
      this.#length = at + 5;
    }
  }

  raw(encoded: Uint8Array): void {
    this.#ensure(encoded.length);
    this.#buffer.set(encoded, this.#length);
    this.#length += encoded.length;
  }

  // The common types are written here exactly as msgpackr writes them (same bytes); the others
  // are packed by msgpackr and copied in.
  value(value: unknown): void {
    switch (typeof value) {
      case 'string':
        this.#string(value);
        return;
      case 'number':
        this.#number(value);
        return;
      case 'boolean':
        this.#byte(value ? 0xc3 : 0xc2);
        return;
      case 'undefined':
        // msgpackr's undefined: fixext1 of type 0
        this.#ensure(3);
        this.#buffer[this.#length++] = 0xd4;
        this.#buffer[this.#length++] = 0;
        this.#buffer[this.#length++] = 0;
        return;
      case 'object':
        if (value === null) this.#byte(0xc0);
        else if (value.constructor === Array) this.#array(value as unknown[]);
        else if (value.constructor === Object) this.#object(value as Record<string, unknown>);
        else this.raw(packValue(value));
        return;
      default:
        this.raw(packValue(value));
    }
  }

  #oversize(length: number): FrameTooLarge {
    return new FrameTooLarge(length, this.maxFrameLength);
  }

  #checkIdle(): void {
    if (this.#writing) throw new Error('a frame was sent from inside the encoding of another one');
  }

  #byte(byte: number): void {
    this.#ensure(1);
    this.#buffer[this.#length++] = byte;
  }

  // Like msgpackr: the header sized by the character count (moved if the bytes need a larger
  // one), short strings encoded in JS, long ones by Buffer.
  #string(text: string): void {
    const count = text.length;
    // a long string is measured rather than given three bytes a character
    const most = count <= LONG_STRING ? count * 3 : Buffer.byteLength(text, 'utf8');
    const header = stringHeaderLength(count <= LONG_STRING ? count : most);
    this.#ensure(5 + most);
    const buffer = this.#buffer;
    const at = this.#length;
    const start = at + header;
    const written =
      count < SHORT_STRING ? writeShortString(buffer, start, text) : writeUtf8(buffer, text, start, most);
    const needed = stringHeaderLength(written);
    if (needed > header) buffer.copyWithin(at + needed, start, start + written);
    if (needed === 1) buffer[at] = 0xa0 | written;
    else if (needed === 2) {
      buffer[at] = 0xd9;
      buffer[at + 1] = written;
    } else if (needed === 3) {
      buffer[at] = 0xda;
      put16(buffer, at + 1, written);
    } else {
      buffer[at] = 0xdb;
      put32(buffer, at + 1, written);
    }
    this.#length = at + needed + written;
  }

  // the same choices as msgpackr: 32-bit integers as integers, any other number as a float64
  #number(value: number): void {
    if (value >>> 0 === value) {
      this.uint(value);
      return;
    }
    this.#ensure(9);
    const buffer = this.#buffer;
    const at = this.#length;
    if ((value | 0) !== value) {
      buffer[at] = 0xcb;
      buffer.writeDoubleBE(value, at + 1);
      this.#length = at + 9;
    } else if (value >= -0x20) {
      buffer[at] = value & 0xff;
      this.#length = at + 1;
    } else if (value >= -0x80) {
      buffer[at] = 0xd0;
      buffer[at + 1] = value & 0xff;
      this.#length = at + 2;
    } else if (value >= -0x8000) {
      buffer[at] = 0xd1;
      put16(buffer, at + 1, value & 0xffff);
      this.#length = at + 3;
    } else {
      buffer[at] = 0xd2;
      put32(buffer, at + 1, value);
      this.#length = at + 5;
    }
  }

  #array(list: readonly unknown[]): void {
    const length = list.length;
    this.array(length);
    for (let index = 0; index < length; index++) this.value(list[index]);
  }

  // a map16 with its size filled in after the keys, and the same keys, as msgpackr writes a
  // plain object
  #object(object: Record<string, unknown>): void {
    this.#ensure(3);
    const at = this.#length;
    this.#length = at + 3;
    let size = 0;
    for (const key in object) {
      if (typeof object.hasOwnProperty === 'function' && !Object.hasOwn(object, key)) continue;
      this.#string(key);
      this.value(object[key]);
      size++;
    }
    if (size > 0xffff) {
      // msgpackr refuses it too, with its own message
      this.#length = at;
      this.raw(packValue(object));
      return;
    }
    const buffer = this.#buffer;
    buffer[at] = 0xde;
    put16(buffer, at + 1, size);
  }

  // Offsets into the buffer stay valid across a growth (the whole buffer moves), so callers may
  // keep positions to fill in later.
  #ensure(bytes: number): void {
    const needed = this.#length + bytes;
    if (needed <= this.#buffer.length) return;
    const capacity = needed < KEEP_LIMIT ? needed * 2 : needed + (needed >>> 2);
    const grown = Buffer.allocUnsafe(Math.max(this.#capacity, capacity));
    this.#buffer.copy(grown, 0, 0, this.#length);
    this.#buffer = grown;
  }
}

// Plain byte stores: Buffer's writeUInt*BE check their arguments at a cost that shows per call.
function put16(buffer: Buffer, at: number, value: number): void {
  buffer[at] = value >>> 8;
  buffer[at + 1] = value & 0xff;
}

function put32(buffer: Buffer, at: number, value: number): void {
  buffer[at] = value >>> 24;
  buffer[at + 1] = (value >>> 16) & 0xff;
  buffer[at + 2] = (value >>> 8) & 0xff;
  buffer[at + 3] = value & 0xff;
}

interface Utf8Writer {
  utf8Write(text: string, offset: number, length: number): number;
}

// Buffer's own UTF-8 writer, which msgpackr calls too; `write` checks its arguments first, at a
// cost that shows next to the copy of a short string.
const nativeUtf8Write = (Buffer.prototype as Partial<Utf8Writer>).utf8Write;

function writeUtf8(buffer: Buffer, text: string, start: number, most: number): number {
  return nativeUtf8Write === undefined
    ? buffer.write(text, start, most, 'utf8')
    : (buffer as unknown as Utf8Writer).utf8Write(text, start, most);
}

function stringHeaderLength(length: number): number {
  return length < 0x20 ? 1 : length < 0x100 ? 2 : length < 0x10000 ? 3 : 5;
}

/** msgpackr's own UTF-8 encoding of short strings (a lone surrogate kept as three bytes). */
function writeShortString(buffer: Buffer, start: number, text: string): number {
  const count = text.length;
  let at = start;
  for (let index = 0; index < count; index++) {
    let code = text.charCodeAt(index);
    if (code < 0x80) buffer[at++] = code;
    else if (code < 0x800) {
      buffer[at++] = (code >> 6) | 0xc0;
      buffer[at++] = (code & 0x3f) | 0x80;
    } else if ((code & 0xfc00) === 0xd800 && (text.charCodeAt(index + 1) & 0xfc00) === 0xdc00) {
      code = 0x10000 + ((code & 0x03ff) << 10) + (text.charCodeAt(++index) & 0x03ff);
      buffer[at++] = (code >> 18) | 0xf0;
      buffer[at++] = ((code >> 12) & 0x3f) | 0x80;
      buffer[at++] = ((code >> 6) & 0x3f) | 0x80;
      buffer[at++] = (code & 0x3f) | 0x80;
    } else {
      buffer[at++] = (code >> 12) | 0xe0;
      buffer[at++] = ((code >> 6) & 0x3f) | 0x80;
      buffer[at++] = (code & 0x3f) | 0x80;
    }
  }
  return at - start;
}
