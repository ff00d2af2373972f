import { describe, expect, it } from 'vitest';
import { MSGPACK_INTEGER_EDGES } from '../../test/support/msgpack-edges.js';
import { encodeFrame, FrameReader, packValue } from './frame-codec.js';
import { FrameWriter, type PayloadWriter } from './frame-writer.js';

const writeValue = (writer: PayloadWriter, value: unknown): void => writer.value(value);

function written(writer: FrameWriter): Buffer {
  return Buffer.concat(writer.take());
}

function readAll(bytes: Buffer): unknown[] {
  const messages: unknown[] = [];
  new FrameReader().push(bytes, (message) => {
    messages.push(message);
    return true;
  });
  return messages;
}

class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}
}

const samples: unknown[] = [
  '',
  'a',
  'x'.repeat(31),
  'x'.repeat(32),
  'y'.repeat(63),
  'z'.repeat(64),
  'w'.repeat(255),
  'v'.repeat(256),
  'u'.repeat(70_000),
  'héllo wörld',
  'é'.repeat(20),
  'é'.repeat(100),
  '€'.repeat(30),
  '😀 emoji',
  '\ud800 lone surrogate',
  `${'\ud800'.repeat(40)}x`,
  '雪'.repeat(25_000),
  ...MSGPACK_INTEGER_EDGES,
  1.5,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.MAX_SAFE_INTEGER,
  true,
  false,
  null,
  undefined,
  [],
  [1, 'two', [3, [4]], { five: 5 }],
  Array.from({ length: 20 }, (_, index) => index),
  Array.from({ length: 70_000 }, (_, index) => index % 3),
  {},
  { id: 7, route: 'chat.chatHandler.send', body: { text: 'hi', to: ['a', 'b'] }, missing: undefined },
  Object.fromEntries(Array.from({ length: 40 }, (_, index) => [`key${index}`, index])),
  Buffer.from([1, 2, 3]),
  new Uint8Array([4, 5]),
  new Date(0),
  10n,
  new Map([['a', 1]]),
  new Point(1, 2),
  [undefined, null, new Date(5), { nested: [new Uint8Array(2), 'x'] }],
];

describe('FrameWriter', () => {
  it('writes every value in the bytes msgpackr writes for it', () => {
    for (const value of samples) {
      const writer = new FrameWriter();
      writer.frame(writeValue, value, undefined);
      expect(written(writer)).toEqual(encodeFrame(value));
    }
  });

  it('frames headers, integers and raw bytes that any decoder reads back', () => {
    const writer = new FrameWriter();
    writer.frame(
      (out: PayloadWriter, id: number, names: Buffer) => {
        out.array(5);
        out.uint(id);
        out.raw(names);
        out.value(['arg']);
        out.uint(70_000);
      },
      300,
      Buffer.concat([packValue('user'), packValue('chat')]),
    );
    writer.frame(writeValue, 'next', undefined);
    expect(readAll(written(writer))).toEqual([[300, 'user', 'chat', ['arg'], 70_000], 'next']);
  });

  it('leaves no trace of a frame whose encoding throws', () => {
    const writer = new FrameWriter();
    writer.frame(writeValue, 'before', undefined);
    const cyclic: unknown[] = [];
    cyclic.push(cyclic);
    expect(() => writer.frame(writeValue, ['x'.repeat(20_000), cyclic], undefined)).toThrow();
    writer.frame(writeValue, 'after', undefined);
    expect(readAll(written(writer))).toEqual(['before', 'after']);
  });

  it('refuses a frame over its maxFrameLength, written in place or appended, and leaves no trace of it', () => {
    const writer = new FrameWriter();
    writer.maxFrameLength = 100;
    writer.frame(writeValue, 'before', undefined);
    expect(() => writer.frame(writeValue, 'x'.repeat(200), undefined)).toThrow(
      /a frame of 202 bytes exceeds the receiver's maxFrameLength 100/,
    );
    expect(() => writer.appendFrame(encodeFrame('y'.repeat(200)))).toThrow(/exceeds/);
    writer.frame(writeValue, 'x'.repeat(98), undefined);
    expect(readAll(written(writer))).toEqual(['before', 'x'.repeat(98)]);
  });

  it('refuses a frame sent from a getter run by the encoding of another', () => {
    const writer = new FrameWriter();
    const sneaky = {
      get field(): string {
        writer.appendFrame(encodeFrame('inside'));
        return 'x';
      },
    };
    expect(() => writer.frame(writeValue, sneaky, undefined)).toThrow(/inside the encoding/);
    writer.frame(writeValue, 'after', undefined);
    expect(readAll(written(writer))).toEqual(['after']);
  });

  it('keeps a large appended frame as its own chunk, in order', () => {
    const writer = new FrameWriter();
    const large = encodeFrame('x'.repeat(100_000));
    writer.appendFrame(encodeFrame(1));
    writer.appendFrame(large);
    writer.appendFrame(encodeFrame(2));
    expect(writer.byteLength).toBe(large.length + 2 * encodeFrame(1).length);
    const chunks = writer.take();
    expect(chunks).toHaveLength(3);
    expect(chunks[1]).toBe(large);
    expect(readAll(Buffer.concat(chunks))).toEqual([1, 'x'.repeat(100_000), 2]);
    expect(writer.byteLength).toBe(0);
  });

  it('starts over in the same buffer when recycled, or in a new one when the bytes are still held', () => {
    const writer = new FrameWriter();
    writer.frame(writeValue, 'first', undefined);
    const [first] = writer.take();
    writer.recycle(false);
    writer.frame(writeValue, 'second', undefined);
    const [second] = writer.take();
    expect(second!.buffer).not.toBe(first!.buffer);
    expect(readAll(first!)).toEqual(['first']);
    writer.recycle(true);
    writer.frame(writeValue, 'third', undefined);
    const [third] = writer.take();
    expect(third!.buffer).toBe(second!.buffer);
    expect(third!.byteOffset).toBe(second!.byteOffset);
    expect(readAll(third!)).toEqual(['third']);
  });
});
