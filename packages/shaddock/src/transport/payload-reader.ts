import { isNativeAccelerationEnabled } from 'msgpackr';
import { decodePayload } from './frame-codec.js';

interface Utf8Slicer {
  utf8Slice(start: number, end: number): string;
}

// Only where msgpackr decodes strings natively (V8's UTF-8 decoder, as `utf8Slice`) do both give
// the same string for every byte sequence, invalid ones included.
const sliceStrings =
  isNativeAccelerationEnabled && typeof (Buffer.prototype as Partial<Utf8Slicer>).utf8Slice === 'function';

// `#simple` met something it leaves to msgpackr
const UNSUPPORTED: unique symbol = Symbol('unsupported');

// Arrays and maps nested deeper than this are left to msgpackr.
const MAX_DEPTH = 8;

/**
 * Reads the head of a frame's payload field by field: array headers and small unsigned integers
 * by hand, then the last value. A receiver that knows its frames' shape (RPC) so finds the
 * frame's kind and id without decoding the whole frame into a fresh array. One reader serves a
 * connection's frames one after the other.
 */
export class PayloadReader {
  #source: Buffer = Buffer.alloc(0);
  #position = 0;
  #end = 0;

  /** Starts reading `source[start, end)`. */
  reset(source: Buffer, start: number, end: number): void {
    this.#source = source;
    this.#position = start;
    this.#end = end;
  }

  /** The element count of the array that starts here, or -1 (nothing read) if no array does. */
  arrayLength(): number {
    const source = this.#source;
    const at = this.#position;
    if (at >= this.#end) return -1;
    const token = source[at]!;
    if (token >= 0x90 && token <= 0x9f) {
      this.#position = at + 1;
      return token & 0x0f;
    }
    if (token === 0xdc && at + 3 <= this.#end) {
      this.#position = at + 3;
      return (source[at + 1]! << 8) | source[at + 2]!;
    }
    return -1;
  }

  /** The unsigned integer (below 2^32) that starts here, or -1 (nothing read) if none does. */
  uint(): number {
    const source = this.#source;
    const at = this.#position;
    const end = this.#end;
    if (at >= end) return -1;
    const token = source[at]!;
    if (token < 0x80) {
      this.#position = at + 1;
      return token;
    }
    if (token === 0xcc && at + 2 <= end) {
      this.#position = at + 2;
      return source[at + 1]!;
    }
    if (token === 0xcd && at + 3 <= end) {
      this.#position = at + 3;
      return (source[at + 1]! << 8) | source[at + 2]!;
    }
    if (token === 0xce && at + 5 <= end) {
      this.#position = at + 5;
      return (
        source[at + 1]! * 0x1000000 + ((source[at + 2]! << 16) | (source[at + 3]! << 8) | source[at + 4]!)
      );
    }
    return -1;
  }

  /**
   * Decodes the one value left, to what msgpackr decodes it to. The common shapes (strings,
   * numbers, booleans, nil, and arrays and string-keyed maps of them) are read here, which skips
   * msgpackr's per-call setup and its native call per string; anything else goes to msgpackr.
   * Throws an `RpcProtocol` error on bad bytes or bytes after the value.
   */
  rest(): unknown {
    const start = this.#position;
    if (sliceStrings) {
      const value = this.#simple(0);
      if (value !== UNSUPPORTED && this.#position === this.#end) return value;
      this.#position = start;
    }
    return decodePayload(this.#source, start, this.#end);
  }

  #simple(depth: number): unknown {
    const source = this.#source;
    const at = this.#position;
    if (at >= this.#end) return UNSUPPORTED;
    const token = source[at]!;
    this.#position = at + 1;
    if (token < 0x80) return token;
    if (token >= 0xe0) return token - 0x100;
    if (token >= 0xa0 && token <= 0xbf) return this.#string(token & 0x1f);
    if (token >= 0x90 && token <= 0x9f) return this.#array(token & 0x0f, depth);
    if (token >= 0x80 && token <= 0x8f) return this.#map(token & 0x0f, depth);
    switch (token) {
      case 0xc0:
        return null;
      case 0xc2:
        return false;
      case 0xc3:
        return true;
      case 0xd9:
        return this.#has(1) ? this.#string(source[this.#position++]!) : UNSUPPORTED;
      case 0xda:
        return this.#has(2) ? this.#string(this.#u16()) : UNSUPPORTED;
      case 0xdc:
        return this.#has(2) ? this.#array(this.#u16(), depth) : UNSUPPORTED;
      case 0xde:
        return this.#has(2) ? this.#map(this.#u16(), depth) : UNSUPPORTED;
      default:
        return this.#number(token);
    }
  }

  #number(token: number): number | typeof UNSUPPORTED {
    const source = this.#source;
    const at = this.#position;
    switch (token) {
      case 0xcc:
        return this.#has(1) ? source[this.#position++]! : UNSUPPORTED;
      case 0xcd:
        return this.#has(2) ? this.#u16() : UNSUPPORTED;
      case 0xce:
        if (!this.#has(4)) return UNSUPPORTED;
        this.#position = at + 4;
        return source.readUInt32BE(at);
      case 0xd0:
        if (!this.#has(1)) return UNSUPPORTED;
        this.#position = at + 1;
        return source.readInt8(at);
      case 0xd1:
        if (!this.#has(2)) return UNSUPPORTED;
        this.#position = at + 2;
        return source.readInt16BE(at);
      case 0xd2:
        if (!this.#has(4)) return UNSUPPORTED;
        this.#position = at + 4;
        return source.readInt32BE(at);
      case 0xcb:
        if (!this.#has(8)) return UNSUPPORTED;
        this.#position = at + 8;
        return source.readDoubleBE(at);
      default:
        return UNSUPPORTED;
    }
  }

  #string(length: number): string | typeof UNSUPPORTED {
    const start = this.#position;
    if (!this.#has(length)) return UNSUPPORTED;
    this.#position = start + length;
    return (this.#source as unknown as Utf8Slicer).utf8Slice(start, start + length);
  }

  // every element takes a byte at least: a length beyond the bytes left is not believed
  #array(length: number, depth: number): unknown[] | typeof UNSUPPORTED {
    if (depth >= MAX_DEPTH || !this.#has(length)) return UNSUPPORTED;
    const list: unknown[] = [];
    for (let index = 0; index < length; index++) {
      const element = this.#simple(depth + 1);
      if (element === UNSUPPORTED) return UNSUPPORTED;
      list.push(element);
    }
    return list;
  }

  // msgpackr's maps as objects: short string keys only here, `__proto__` renamed as msgpackr does
  #map(size: number, depth: number): Record<string, unknown> | typeof UNSUPPORTED {
    if (depth >= MAX_DEPTH || !this.#has(size * 2)) return UNSUPPORTED;
    const object: Record<string, unknown> = {};
    for (let index = 0; index < size; index++) {
      if (!this.#has(1)) return UNSUPPORTED;
      const token = this.#source[this.#position]!;
      if (token < 0xa0 || token > 0xbf) return UNSUPPORTED;
      this.#position++;
      const key = this.#string(token & 0x1f);
      if (key === UNSUPPORTED) return UNSUPPORTED;
      const value = this.#simple(depth + 1);
      if (value === UNSUPPORTED) return UNSUPPORTED;
      object[key === '__proto__' ? '__proto_' : key] = value;
    }
    return object;
  }

  #has(bytes: number): boolean {
    return this.#position + bytes <= this.#end;
  }

  #u16(): number {
    const at = this.#position;
    this.#position = at + 2;
    return (this.#source[at]! << 8) | this.#source[at + 1]!;
  }
}
