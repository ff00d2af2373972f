import { describe, expect, it } from 'vitest';
import { decodePayload, packValue } from './frame-codec.js';
import { PayloadReader } from './payload-reader.js';

function readRest(bytes: Buffer, start = 0, end = bytes.length): unknown {
  const reader = new PayloadReader();
  reader.reset(bytes, start, end);
  return reader.rest();
}

const nested = (depth: number): unknown => (depth === 0 ? 'leaf' : [nested(depth - 1)]);

const samples: unknown[] = [
  '',
  'x'.repeat(31),
  'x'.repeat(300),
  'x'.repeat(70_000),
  'héllo wörld 😀',
  '\ud800 lone',
  0,
  127,
  128,
  65_535,
  2 ** 32 - 1,
  -1,
  -32,
  -33,
  -200,
  -40_000,
  -(2 ** 31),
  1.25,
  2 ** 40,
  true,
  false,
  null,
  undefined,
  [],
  ['arg', 1, [2, [3]], null],
  Array.from({ length: 40 }, (_, index) => `item ${index}`),
  { id: 1, route: 'chat.chatHandler.send', body: { text: 'hi', tags: ['a'] } },
  { ['__proto__']: { polluted: true }, plain: 1 },
  Object.fromEntries(Array.from({ length: 20 }, (_, index) => [`key${index}`, index])),
  { [`long key ${'k'.repeat(40)}`]: 1 },
  { skipped: undefined, kept: 1 },
  new Map<unknown, unknown>([[1, 'one']]),
  Buffer.from([1, 2]),
  new Date(0),
  nested(12),
];

describe('PayloadReader', () => {
  it('decodes every value to what msgpackr decodes it to', () => {
    for (const value of samples) {
      const bytes = packValue(value);
      expect(readRest(bytes)).toEqual(decodePayload(bytes));
    }
    const polluted = readRest(packValue(JSON.parse('{"__proto__": {"x": 1}}'))) as object;
    expect(Object.getPrototypeOf(polluted)).toBe(Object.prototype);
    expect(polluted).toEqual(decodePayload(packValue(JSON.parse('{"__proto__": {"x": 1}}'))));
  });

  it('decodes invalid UTF-8 as msgpackr does', () => {
    const bytes = Buffer.from([0xa4, 0xed, 0xa0, 0x80, 0xff]);
    expect(readRest(bytes)).toEqual(decodePayload(bytes));
  });

  it('reads the head of a frame field by field, then the rest, within its bounds', () => {
    const frame = Buffer.concat([
      Buffer.from([0xff]),
      packValue([300, 70_000, ['arg']]),
      Buffer.from([0xc0]),
    ]);
    const reader = new PayloadReader();
    reader.reset(frame, 1, frame.length - 1);
    expect(reader.arrayLength()).toBe(3);
    expect(reader.uint()).toBe(300);
    expect(reader.uint()).toBe(70_000);
    expect(reader.rest()).toEqual(['arg']);
    reader.reset(frame, 1, frame.length - 1);
    expect(reader.uint()).toBe(-1);
    reader.reset(packValue('x'), 0, 2);
    expect(reader.arrayLength()).toBe(-1);
  });

  it('refuses truncated values and bytes after the value, as decodePayload does', () => {
    for (const value of [['abc', 1], 'abcdef', { key: 'value' }, [1, [2, [3]]]]) {
      const bytes = packValue(value);
      expect(() => readRest(bytes, 0, bytes.length - 1)).toThrow(/undecodable/);
      const trailing = Buffer.concat([bytes, Buffer.from([0x01])]);
      expect(() => readRest(trailing)).toThrow(/undecodable/);
    }
  });
});
