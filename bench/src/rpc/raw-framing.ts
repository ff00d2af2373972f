/**
 * The `raw` reference target's framing: a 4-byte big-endian length, then the argument's bytes
 * (ASCII, read as latin1). No RPC layer at all: what Node's TCP costs by itself on this machine.
 */

export const RAW_HEADER = 4;

/** Cuts a byte stream into frames; keeps a partial frame for the next chunk. */
export class RawFrameCutter {
  #rest: Buffer | undefined;

  /** Calls `onFrame` with each whole frame's payload; returns the bytes of whole frames (header included). */
  push(chunk: Buffer, onFrame: (payload: Buffer) => void): Buffer {
    const source = this.#rest ? Buffer.concat([this.#rest, chunk]) : chunk;
    this.#rest = undefined;
    let offset = 0;
    while (source.length - offset >= RAW_HEADER) {
      const end = offset + RAW_HEADER + source.readUInt32BE(offset);
      if (end > source.length) break;
      onFrame(source.subarray(offset + RAW_HEADER, end));
      offset = end;
    }
    if (offset < source.length) this.#rest = source.subarray(offset);
    return source.subarray(0, offset);
  }
}
