import { ProtocolError, ProtocolErrorCode } from '../errors.js';
import { decodeUtf8 } from '../utf8.js';

const TWO_POW_31 = 2147483648;
const TWO_POW_32 = 4294967296;
/** Strings up to this many bytes are tried as ASCII in JS before calling `TextDecoder`. */
const SHORT_STRING = 32;

/**
 * A cursor over untrusted bytes. Every read checks {@link Reader.end} first (the end of the message being
 * decoded), so no read runs past a nested message or the input, and nothing is allocated from a length
 * before that many bytes are known to be present.
 */
export class Reader {
  readonly bytes: Uint8Array;
  pos = 0;
  /** Where the message being decoded ends. */
  end: number;
  /** The bits above 32 of the last varint read by {@link Reader.readVarintParts}. */
  private hi = 0;
  private view: DataView | undefined = undefined;

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    this.end = bytes.length;
  }

  /** Reads an unsigned varint of up to 10 bytes; exact up to 2^53. */
  readVarint(): number {
    const pos = this.pos;
    if (pos < this.end) {
      const byte = this.bytes[pos]!;
      if (byte < 0x80) {
        this.pos = pos + 1;
        return byte;
      }
    }
    const lo = this.readVarintParts();
    return this.hi === 0 ? lo : this.hi * TWO_POW_32 + lo;
  }

  /** Reads a zigzag varint (Pomelo's sInt32, int32, sInt64); exact for magnitudes up to 2^53. */
  readZigZag(): number {
    const pos = this.pos;
    if (pos < this.end) {
      const byte = this.bytes[pos]!;
      if (byte < 0x80) {
        this.pos = pos + 1;
        return (byte >>> 1) ^ -(byte & 1);
      }
    }
    const lo = this.readVarintParts();
    const hi = this.hi;
    if (hi === 0) return (lo >>> 1) ^ -(lo & 1);
    const half = hi * TWO_POW_31 + (lo >>> 1);
    return (lo & 1) === 0 ? half : -(half + 1);
  }

  /** Reads a varint exactly: returns its low 32 bits (unsigned) and leaves the rest in `hi`. */
  private readVarintParts(): number {
    const bytes = this.bytes;
    const end = this.end;
    let pos = this.pos;
    let lo = 0;
    let byte = 0;
    for (let shift = 0; shift < 28; shift += 7) {
      if (pos >= end) throw truncated('a varint');
      byte = bytes[pos++]!;
      lo |= (byte & 0x7f) << shift;
      if (byte < 0x80) return this.done(pos, lo, 0);
    }
    if (pos >= end) throw truncated('a varint');
    byte = bytes[pos++]!;
    lo = (lo | (byte << 28)) >>> 0;
    let hi = (byte & 0x7f) >>> 4;
    if (byte < 0x80) return this.done(pos, lo, hi);
    for (let factor = 8; factor <= TWO_POW_31; factor *= 128) {
      if (pos >= end) throw truncated('a varint');
      byte = bytes[pos++]!;
      hi += (byte & 0x7f) * factor;
      if (byte < 0x80) return this.done(pos, lo, hi);
    }
    throw invalid('a varint longer than 10 bytes');
  }

  private done(pos: number, lo: number, hi: number): number {
    this.pos = pos;
    this.hi = hi;
    return lo;
  }

  /** Reads a little-endian 32-bit float. */
  readFloat32(): number {
    const pos = this.pos;
    if (this.end - pos < 4) throw truncated('a float');
    this.pos = pos + 4;
    return this.dataView().getFloat32(pos, true);
  }

  /** Reads a little-endian 64-bit float. */
  readFloat64(): number {
    const pos = this.pos;
    if (this.end - pos < 8) throw truncated('a double');
    this.pos = pos + 8;
    return this.dataView().getFloat64(pos, true);
  }

  private dataView(): DataView {
    if (this.view === undefined) {
      const bytes = this.bytes;
      this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    }
    return this.view;
  }

  /** Reads a length prefix and checks that many bytes remain; returns the length. */
  readLength(): number {
    const length = this.readVarint();
    if (length > this.end - this.pos) throw truncated('a length-delimited field');
    return length;
  }

  /** Reads a length-prefixed UTF-8 string, strictly: malformed UTF-8 is an `InvalidUtf8` error. */
  readString(): string {
    const length = this.readLength();
    const bytes = this.bytes;
    const start = this.pos;
    const end = start + length;
    this.pos = end;
    if (length <= SHORT_STRING) {
      let text = '';
      let index = start;
      for (; index < end; index++) {
        const byte = bytes[index]!;
        if (byte >= 0x80) break;
        text += String.fromCharCode(byte);
      }
      if (index === end) return text;
    }
    return decodeUtf8(bytes.subarray(start, end));
  }

  /** Skips the value of an unknown field of the given wire type. */
  skip(wireType: number): void {
    switch (wireType) {
      case 0:
        this.readVarint();
        return;
      case 1:
        if (this.end - this.pos < 8) throw truncated('a 64-bit field');
        this.pos += 8;
        return;
      case 2: {
        const length = this.readLength();
        this.pos += length;
        return;
      }
      case 5:
        if (this.end - this.pos < 4) throw truncated('a 32-bit field');
        this.pos += 4;
        return;
      default:
        throw invalid(`unsupported wire type ${wireType}`);
    }
  }
}

/** An `InvalidProtobuf` error. */
export function invalid(message: string): ProtocolError {
  return new ProtocolError(ProtocolErrorCode.InvalidProtobuf, `invalid protobuf: ${message}`);
}

function truncated(what: string): ProtocolError {
  return invalid(`${what} runs past the end of its message`);
}
