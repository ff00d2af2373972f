import { writeUtf8 } from '../utf8.js';

const INITIAL_CAPACITY = 1024;
/** A scratch buffer grown past this is dropped after use rather than kept for the codec's lifetime. */
const RETAINED_CAPACITY = 1 << 20;
const TWO_POW_32 = 4294967296;
/** Strings shorter than this take at most 126 UTF-8 bytes, so their length prefix is one byte. */
const SHORT_STRING = 43;

/**
 * A growable byte writer over one reusable scratch buffer. {@link Writer.finish} returns an exact-size copy,
 * so the scratch buffer is never handed out. Callers check values; the writer only writes.
 */
export class Writer {
  private buf: Uint8Array = new Uint8Array(INITIAL_CAPACITY);
  private view: DataView = new DataView(this.buf.buffer);
  /** The next byte to write. */
  pos = 0;

  /** Starts a new output, reusing the scratch buffer. */
  reset(): void {
    if (this.buf.length > RETAINED_CAPACITY) this.replace(new Uint8Array(INITIAL_CAPACITY));
    this.pos = 0;
  }

  /** A copy of the bytes written since {@link Writer.reset}. */
  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }

  /** Makes room for `count` more bytes. */
  private ensure(count: number): void {
    const needed = this.pos + count;
    if (needed <= this.buf.length) return;
    let capacity = this.buf.length * 2;
    while (capacity < needed) capacity *= 2;
    const grown = new Uint8Array(capacity);
    grown.set(this.buf.subarray(0, this.pos));
    this.replace(grown);
  }

  private replace(buffer: Uint8Array): void {
    this.buf = buffer;
    this.view = new DataView(buffer.buffer);
  }

  /** Writes an unsigned 32-bit integer (0 to 2^32−1) as a varint. */
  writeVarint32(value: number): void {
    this.ensure(5);
    const buf = this.buf;
    let pos = this.pos;
    while (value > 0x7f) {
      buf[pos++] = (value & 0x7f) | 0x80;
      value >>>= 7;
    }
    buf[pos++] = value;
    this.pos = pos;
  }

  /** Writes a non-negative integer below 2^64 as a varint, exactly (doubles above 2^53 included). */
  writeVarint(value: number): void {
    if (value <= 0xffffffff) this.writeVarint32(value);
    else {
      const hi = Math.floor(value / TWO_POW_32);
      this.writeVarint64(value - hi * TWO_POW_32, hi);
    }
  }

  /** Writes the 64-bit integer `hi * 2^32 + lo` (both unsigned 32-bit) as a varint. */
  writeVarint64(lo: number, hi: number): void {
    this.ensure(10);
    const buf = this.buf;
    let pos = this.pos;
    while (hi > 0 || lo > 0x7f) {
      buf[pos++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    buf[pos++] = lo;
    this.pos = pos;
  }

  /** Writes a 32-bit float, little-endian. */
  writeFloat32(value: number): void {
    this.ensure(4);
    this.view.setFloat32(this.pos, value, true);
    this.pos += 4;
  }

  /** Writes a 64-bit float, little-endian. */
  writeFloat64(value: number): void {
    this.ensure(8);
    this.view.setFloat64(this.pos, value, true);
    this.pos += 8;
  }

  /** Writes a string as its UTF-8 byte length (varint) then the bytes; lone surrogates become U+FFFD. */
  writeString(text: string): void {
    const length = text.length;
    if (length < SHORT_STRING) {
      this.ensure(1 + length * 3);
      const buf = this.buf;
      const start = this.pos;
      let pos = start + 1;
      for (let index = 0; index < length; index++) {
        const unit = text.charCodeAt(index);
        if (unit >= 0x80) {
          pos = start + 1 + writeUtf8(text, buf, start + 1);
          break;
        }
        buf[pos++] = unit;
      }
      buf[start] = pos - start - 1;
      this.pos = pos;
      return;
    }
    const maxBytes = length * 3;
    const reserved = varintSize(maxBytes);
    this.ensure(reserved + maxBytes);
    const written = writeUtf8(text, this.buf, this.pos + reserved);
    const prefix = varintSize(written);
    if (prefix < reserved) {
      const from = this.pos + reserved;
      this.buf.copyWithin(this.pos + prefix, from, from + written);
    }
    this.writeVarint32(written);
    this.pos += written;
  }

  /** Reserves one byte for a length prefix; returns its position for {@link Writer.endLength}. */
  beginLength(): number {
    this.ensure(1);
    return this.pos++;
  }

  /** Fills in the length prefix reserved at `at` with the byte count written since, moving them if needed. */
  endLength(at: number): void {
    const length = this.pos - at - 1;
    if (length < 0x80) {
      this.buf[at] = length;
      return;
    }
    const extra = varintSize(length) - 1;
    this.ensure(extra);
    this.buf.copyWithin(at + 1 + extra, at + 1, this.pos);
    const end = this.pos + extra;
    this.pos = at;
    this.writeVarint32(length);
    this.pos = end;
  }
}

/** Bytes in the varint of an unsigned 32-bit integer. */
function varintSize(value: number): number {
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x200000) return 3;
  if (value < 0x10000000) return 4;
  return 5;
}
