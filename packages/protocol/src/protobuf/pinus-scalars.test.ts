// Golden vectors for scalar fields: the real pinus-protobuf encodes and decodes every case at test time,
// and ours must agree byte for byte in both directions.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pinusGolden } from '../../test/pinus-golden.js';
import type { JsonObject, JsonValue } from '../json.js';
import type { ProtoDefinitions } from './index.js';

const definitions: ProtoDefinitions = {
  'test.scalars': {
    'optional uInt32 u32': 1,
    'optional sInt32 s32': 2,
    'optional int32 i32': 3,
    'optional uInt64 u64': 4,
    'optional sInt64 s64': 5,
    'optional float f': 6,
    'optional double d': 7,
    'optional string s': 8,
    'optional bool b': 9,
  },
};

const { codec, pinus, agree } = pinusGolden(definitions);

const strings = [
  'hello',
  '你好，世界',
  '😀🎉🍊',
  'line\u2028separator\u2029',
  'a'.repeat(42),
  'a'.repeat(43),
  'x'.repeat(100),
  'é'.repeat(42),
  'é'.repeat(100),
  '混合 mixed 文字'.repeat(20),
  'z'.repeat(20000),
];

describe('pinus-protobuf compatibility: scalars', () => {
  it.each([0, 1, 127, 128, 16383, 16384, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 1.7e12])(
    'uInt32 %d',
    (u32) => {
      agree('test.scalars', { u32 });
    },
  );

  it.each([0, 1, -1, 63, -64, 64, -65, 2 ** 30, -(2 ** 30), 2 ** 31 - 1, -(2 ** 31), 2 ** 40, -(2 ** 40)])(
    'sInt32 and int32 %d',
    (value) => {
      agree('test.scalars', { s32: value, i32: value });
    },
  );

  it.each([0, 2 ** 32 + 1, 2 ** 40 + 12345, 2 ** 52 + 1, 2 ** 53 - 1, 2 ** 53])('uInt64 %d', (u64) => {
    agree('test.scalars', { u64 });
  });

  it.each([0, -1, 2 ** 32 + 1, -(2 ** 32 + 1), 2 ** 52, -(2 ** 52), 2 ** 53 - 1, 2 ** 53])(
    'sInt64 %d',
    (s64) => {
      agree('test.scalars', { s64 });
    },
  );

  it('sInt64 below −2^52 is exact here; pinus-protobuf computes 2|n|−1 in doubles and flips the sign', () => {
    for (const s64 of [-(2 ** 52) - 1, -(2 ** 53 - 1), -(2 ** 53)]) {
      expect(codec.decode('test.scalars', codec.encode('test.scalars', { s64 }))).toEqual({ s64 });
      const theirs = pinus.encode('test.scalars', { s64 });
      if (theirs === null) throw new Error('pinus-protobuf refused the message');
      expect(pinus.decode('test.scalars', theirs)?.['s64']).toBeGreaterThan(0);
      expect(codec.decode('test.scalars', new Uint8Array(theirs))).toEqual(
        pinus.decode('test.scalars', theirs),
      );
    }
  });

  it.each([0, 1.5, -0.25, 3.4028234663852886e38, 1e-45, 0.1, -123456.789])('float %d', (f) => {
    agree('test.scalars', { f }, { f: Math.fround(f) });
  });

  it.each([0, 0.1, -1e300, 5e-324, Math.PI, Number.MAX_VALUE])('double %d', (d) => {
    agree('test.scalars', { d });
  });

  it.each(['', ...strings])('string %#', (s) => {
    agree('test.scalars', { s });
  });

  it('an empty message is zero bytes (pinus-protobuf returns null for it, and decodes zero bytes to {})', () => {
    expect(codec.encode('test.scalars', {})).toEqual(new Uint8Array(0));
    expect(pinus.encode('test.scalars', {})).toBeNull();
    expect(codec.decode('test.scalars', new Uint8Array(0))).toEqual({});
    expect(pinus.decode('test.scalars', Buffer.alloc(0))).toEqual({});
  });

  it('bool, and numbers as bool', () => {
    agree('test.scalars', { b: true });
    agree('test.scalars', { b: false });
    agree('test.scalars', { b: 7 }, { b: true });
    agree('test.scalars', { b: 0 }, { b: false });
  });

  it('a lone surrogate is written as U+FFFD, as Node does', () => {
    agree('test.scalars', { s: 'a\ud800b' }, { s: 'a\ufffdb' });
  });

  it('fractions truncate toward zero in integer fields', () => {
    agree('test.scalars', { u32: 12.9, s32: -3.7, u64: 2 ** 40 + 0.5 }, { u32: 12, s32: -3, u64: 2 ** 40 });
  });

  it('writes fields in the message key order, not the tag order, and ignores unknown keys', () => {
    agree(
      'test.scalars',
      { b: true, s: 'x', u32: 5, extra: 'ignored', d: 2 },
      { b: true, s: 'x', u32: 5, d: 2 },
    );
    agree('test.scalars', { u32: 5, s: 'x', b: true });
  });

  it('every scalar at once', () => {
    agree('test.scalars', {
      u32: 300,
      s32: -300,
      i32: 7,
      u64: 2 ** 50,
      s64: -(2 ** 50),
      f: 2.5,
      d: 1e-9,
      s: 'ok',
      b: true,
    });
  });
});

describe('pinus-protobuf compatibility: random scalar messages', () => {
  const int = (min: number, max: number): fc.Arbitrary<number> => fc.integer({ min, max });
  const float32 = fc.float({ noNaN: true, noDefaultInfinity: true });
  /** Messages with any subset of the fields, in a random key order (which the bytes follow). */
  const someOf = (fields: Record<string, fc.Arbitrary<JsonValue>>): fc.Arbitrary<JsonObject> =>
    fc
      .tuple(fc.record(fields), fc.shuffledSubarray(Object.keys(fields), { minLength: 1 }))
      .map(([all, keys]) => Object.fromEntries(keys.map((key) => [key, all[key] as JsonValue])));

  it('random scalar messages', () => {
    const scalars = someOf({
      u32: fc.oneof(int(0, 2 ** 32 - 1), int(0, 127)),
      s32: int(-(2 ** 31), 2 ** 31 - 1),
      i32: int(-(2 ** 31), 2 ** 31 - 1),
      u64: fc.maxSafeNat(),
      s64: int(-(2 ** 52), 2 ** 52),
      f: float32,
      d: fc.double({ noNaN: true }),
      s: fc.string({ unit: 'grapheme', maxLength: 60 }),
      b: fc.boolean(),
    });
    fc.assert(
      fc.property(scalars, (message) => {
        agree('test.scalars', message);
      }),
      { numRuns: 300 },
    );
  });
});
