import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../errors.js';
import { encodeFrame, FrameReader } from './frame-codec.js';

function readAll(reader: FrameReader, chunks: Buffer[]): unknown[] {
  const messages: unknown[] = [];
  for (const chunk of chunks) reader.push(chunk, (message) => void messages.push(message));
  return messages;
}

describe('frame codec', () => {
  it('writes a big-endian length then plain msgpack', () => {
    // {"a":1} as a map16 (msgpackr's fixed-width map header, faster than counting keys first)
    expect(encodeFrame({ a: 1 }).toString('hex')).toBe('00000006de0001a16101');
    expect(encodeFrame([1, 'x']).toString('hex')).toBe('000000049201a178');
  });

  it('keeps earlier frames intact while encoding later ones', () => {
    const frames = Array.from({ length: 2000 }, (_, index) =>
      encodeFrame({ index, text: 'x'.repeat(index % 50) }),
    );
    const messages = readAll(new FrameReader(), frames);
    expect(messages).toHaveLength(2000);
    expect(messages[1999]).toEqual({ index: 1999, text: 'x'.repeat(1999 % 50) });
  });

  it('reads a stream split at every offset', () => {
    const sent = [{ id: 1, args: ['hello', 2] }, 'short', { nested: { list: [1, 2, 3] }, flag: true }, null];
    const stream = Buffer.concat(sent.map((message) => encodeFrame(message)));
    for (let cut = 0; cut <= stream.length; cut++) {
      const messages = readAll(new FrameReader(), [stream.subarray(0, cut), stream.subarray(cut)]);
      expect(messages).toEqual(sent);
    }
  });

  it('reads a stream fed one byte at a time and two cuts at every pair of offsets', () => {
    const sent = [{ a: 'b' }, [1, 2], 'end'];
    const stream = Buffer.concat(sent.map((message) => encodeFrame(message)));
    const bytes = [...stream].map((byte) => Buffer.from([byte]));
    expect(readAll(new FrameReader(), bytes)).toEqual(sent);
    for (let first = 0; first <= stream.length; first++) {
      for (let second = first; second <= stream.length; second++) {
        const chunks = [stream.subarray(0, first), stream.subarray(first, second), stream.subarray(second)];
        expect(readAll(new FrameReader(), chunks)).toEqual(sent);
      }
    }
  });

  it('reads many frames from one chunk', () => {
    const sent = Array.from({ length: 500 }, (_, index) => ({ index }));
    const messages = readAll(new FrameReader(), [Buffer.concat(sent.map((message) => encodeFrame(message)))]);
    expect(messages).toEqual(sent);
  });

  it('refuses a frame over the bound as soon as its header arrives', () => {
    const reader = new FrameReader(16);
    const header = Buffer.from('ffffff00', 'hex');
    expect(() => readAll(reader, [header.subarray(0, 2), header.subarray(2)])).toThrow(
      expect.objectContaining({
        code: ErrorCode.RpcProtocol,
        message: expect.stringContaining('maxFrameLength 16'),
      }),
    );
    expect(() => readAll(new FrameReader(16), [encodeFrame('x'.repeat(20))])).toThrow(
      /exceeds maxFrameLength/,
    );
    expect(readAll(new FrameReader(16), [encodeFrame('x'.repeat(10))])).toEqual(['x'.repeat(10)]);
  });

  it('does not allocate for an announced length before its bytes arrive', () => {
    const reader = new FrameReader();
    readAll(reader, [Buffer.from('03000000', 'hex')]);
    expect(reader.buffered).toBe(4);
  });

  it('refuses undecodable bytes and empty payloads', () => {
    const garbage = Buffer.concat([Buffer.from('00000002', 'hex'), Buffer.from('c1c1', 'hex')]);
    expect(() => readAll(new FrameReader(), [garbage])).toThrow(
      expect.objectContaining({
        code: ErrorCode.RpcProtocol,
        message: expect.stringContaining('undecodable'),
      }),
    );
    // a payload with bytes left over after the first value is garbage too
    const trailing = Buffer.concat([Buffer.from('00000002', 'hex'), Buffer.from('0101', 'hex')]);
    expect(() => readAll(new FrameReader(), [trailing])).toThrow(/undecodable/);
    expect(() => readAll(new FrameReader(), [Buffer.from('00000000', 'hex')])).toThrow(/empty payload/);
  });

  it('stops when the consumer says the stream is gone', () => {
    const reader = new FrameReader();
    const seen: unknown[] = [];
    reader.push(Buffer.concat([encodeFrame(1), encodeFrame(2)]), (message) => {
      seen.push(message);
      return false;
    });
    expect(seen).toEqual([1]);
  });
});
