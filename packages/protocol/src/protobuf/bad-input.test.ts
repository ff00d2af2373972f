import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { codeOf } from '../../test/protocol-error-code.js';
import { ProtocolError, ProtocolErrorCode } from '../errors.js';
import type { JsonObject } from '../json.js';
import { ProtobufCodec, type ProtoDefinitions } from './index.js';

const definitions: ProtoDefinitions = {
  'message Point': { 'required sInt32 x': 1, 'required sInt32 y': 2 },
  strict: {
    'message Tag': { 'required string key': 1, 'required double weight': 2 },
    'required uInt32 id': 1,
    'required string name': 2,
    'required Tag tag': 3,
    'required float f': 4,
    'required sInt64 big': 5,
    'required bool ok': 6,
  },
  loose: {
    'optional uInt32 u': 1,
    'optional string s': 2,
    'repeated uInt32 list': 3,
    'repeated double ds': 4,
    'repeated Point points': 5,
    'optional Point at': 6,
    'repeated string names': 7,
    'optional bool b': 8,
  },
  'message Node': { 'optional uInt32 value': 1, 'optional Node next': 2 },
  list: { 'optional Node head': 1 },
};
const codec = new ProtobufCodec(definitions);
const routes = ['strict', 'loose', 'list'];

const strictMessage: JsonObject = {
  id: 300,
  name: '名前 name',
  tag: { key: 'k', weight: 0.5 },
  f: 1.25,
  big: -(2 ** 40),
  ok: true,
};
const looseMessage: JsonObject = {
  u: 2 ** 32 - 1,
  s: 'hello 😀',
  list: [1, 128, 2 ** 31],
  ds: [0.1, -2],
  points: [
    { x: 1, y: -1 },
    { x: 300, y: 0 },
  ],
  at: { x: 0, y: 0 },
  names: ['', 'a'],
  b: false,
};

/** Decoding either succeeds or throws a ProtocolError for malformed bytes, never anything else. */
function decodesOrRejects(route: string, bytes: Uint8Array): void {
  try {
    codec.decode(route, bytes);
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
    expect([ProtocolErrorCode.InvalidProtobuf, ProtocolErrorCode.InvalidUtf8]).toContain(error.code);
  }
}

const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);

describe('protobuf decoding of bad input', () => {
  it('rejects every truncation of a message whose fields are all required', () => {
    const encoded = codec.encode('strict', strictMessage);
    expect(codec.decode('strict', encoded)).toEqual(strictMessage);
    for (let length = 0; length < encoded.length; length++) {
      expect(codeOf(() => codec.decode('strict', encoded.subarray(0, length)))).toBe(
        ProtocolErrorCode.InvalidProtobuf,
      );
    }
  });

  it('decodes or rejects every truncation of a message with optional fields', () => {
    const encoded = codec.encode('loose', looseMessage);
    expect(codec.decode('loose', encoded)).toEqual(looseMessage);
    for (let length = 0; length < encoded.length; length++)
      decodesOrRejects('loose', encoded.subarray(0, length));
  });

  it("accepts varint fields keyed as wire type 2, as Pomelo's browser client writes them", () => {
    expect(codec.decode('loose', bytes(0x0a, 0x05, 0x1a, 0x02, 0x01, 0x02, 0x42, 0x01))).toEqual({
      u: 5,
      list: [1, 2],
      b: true,
    });
  });

  it('rejects a known field with the wrong wire type', () => {
    expect(codeOf(() => codec.decode('loose', bytes(0x0d, 0, 0, 0, 0)))).toBe(
      ProtocolErrorCode.InvalidProtobuf,
    );
    expect(codeOf(() => codec.decode('loose', bytes(0x10, 0x01)))).toBe(ProtocolErrorCode.InvalidProtobuf);
    expect(codeOf(() => codec.decode('loose', bytes(0x30, 0x00)))).toBe(ProtocolErrorCode.InvalidProtobuf);
  });

  it('accepts a 10-byte varint and rejects an 11-byte one', () => {
    const max = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
    expect(codec.decode('loose', bytes(0x08, ...max))).toEqual({ u: 2 ** 64 });
    const overlong = [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00];
    expect(codeOf(() => codec.decode('loose', bytes(0x08, ...overlong)))).toBe(
      ProtocolErrorCode.InvalidProtobuf,
    );
    expect(codeOf(() => codec.decode('loose', bytes(...overlong)))).toBe(ProtocolErrorCode.InvalidProtobuf);
  });

  it('rejects lengths and counts past the end', () => {
    const reject = (route: string, ...values: number[]): void => {
      expect(codeOf(() => codec.decode(route, bytes(...values)))).toBe(ProtocolErrorCode.InvalidProtobuf);
    };
    reject('loose', 0x12, 0x05, 0x61); // a string of 5 bytes with 1 present
    reject('loose', 0x12, 0xff, 0xff, 0xff, 0xff, 0x0f); // a string of 4 GiB
    reject('loose', 0x18, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01); // 2^32−1 varints with 1 byte present
    reject('loose', 0x21, 0x02, 0, 0, 0, 0, 0, 0, 0, 0); // 2 doubles with 8 bytes present
    reject('loose', 0x32, 0x03, 0x08); // a Point of 3 bytes with 1 present
    // a Point of 3 bytes whose second field runs past the Point, though not past the input
    reject('loose', 0x32, 0x03, 0x08, 0x01, 0x10, 0x02, 0x08, 0x02);
    reject('strict', 0x08, 0x01); // required fields missing
    reject('loose', 0x32, 0x02, 0x08, 0x02); // a Point without its required y
  });

  it('skips unknown fields of every wire type, and rejects groups', () => {
    const unknown = [
      0x78, 0x96, 0x01, 0x79, 1, 2, 3, 4, 5, 6, 7, 8, 0x7a, 0x02, 0xff, 0xfe, 0x7d, 1, 2, 3, 4,
    ];
    expect(codec.decode('loose', bytes(...unknown, 0x08, 0x07))).toEqual({ u: 7 });
    expect(codec.decode('loose', bytes(0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10, 0x00))).toEqual({});
    expect(codeOf(() => codec.decode('loose', bytes(0x7b, 0x7c)))).toBe(ProtocolErrorCode.InvalidProtobuf);
    expect(codeOf(() => codec.decode('loose', bytes(0x7e, 0x00)))).toBe(ProtocolErrorCode.InvalidProtobuf);
    expect(codeOf(() => codec.decode('loose', bytes(0x7a, 0x05, 0x00)))).toBe(
      ProtocolErrorCode.InvalidProtobuf,
    );
  });

  it('rejects malformed UTF-8 with InvalidUtf8', () => {
    expect(codeOf(() => codec.decode('loose', bytes(0x12, 0x02, 0xc3, 0x28)))).toBe(
      ProtocolErrorCode.InvalidUtf8,
    );
    expect(codeOf(() => codec.decode('loose', bytes(0x12, 0x01, 0xff)))).toBe(ProtocolErrorCode.InvalidUtf8);
  });

  it('rejects nesting deeper than 100 instead of overflowing the stack', () => {
    let nested: number[] = [0x08, 0x01];
    for (let depth = 0; depth < 300; depth++) nested = [0x12, ...lengthPrefix(nested.length), ...nested];
    expect(codeOf(() => codec.decode('list', bytes(0x0a, ...lengthPrefix(nested.length), ...nested)))).toBe(
      ProtocolErrorCode.InvalidProtobuf,
    );
    let head: JsonObject = { value: 1 };
    for (let depth = 0; depth < 99; depth++) head = { value: depth, next: head };
    expect(codec.decode('list', codec.encode('list', { head }))).toEqual({ head });
  });

  it('throws only ProtocolError for random bytes (property)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...routes), fc.uint8Array({ maxLength: 64 }), (route, input) => {
        decodesOrRejects(route, input);
      }),
      { numRuns: 2000 },
    );
  });

  it('throws only ProtocolError for mutated valid encodings (property)', () => {
    const valid = [
      ['strict', codec.encode('strict', strictMessage)],
      ['loose', codec.encode('loose', looseMessage)],
    ] as const;
    const edit = fc.tuple(
      fc.nat(),
      fc.integer({ min: 0, max: 255 }),
      fc.constantFrom('set', 'insert', 'delete'),
    );
    fc.assert(
      fc.property(
        fc.constantFrom(...valid),
        fc.array(edit, { minLength: 1, maxLength: 4 }),
        ([route, base], edits) => {
          const mutated = Array.from(base);
          for (const [position, value, kind] of edits) {
            const at = position % (mutated.length + 1);
            if (kind === 'set' && at < mutated.length) mutated[at] = value;
            else if (kind === 'insert') mutated.splice(at, 0, value);
            else mutated.splice(at, 1);
          }
          decodesOrRejects(route, Uint8Array.from(mutated));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('decodes a view into a larger buffer without reading outside it', () => {
    const encoded = codec.encode('loose', looseMessage);
    const padded = new Uint8Array(encoded.length + 20).fill(0x12);
    padded.set(encoded, 10);
    expect(codec.decode('loose', padded.subarray(10, 10 + encoded.length))).toEqual(looseMessage);
  });

  it('rejects an unknown route with InvalidRoute', () => {
    expect(codeOf(() => codec.decode('nope', bytes()))).toBe(ProtocolErrorCode.InvalidRoute);
    expect(codeOf(() => codec.encode('message Point', { x: 1, y: 1 }))).toBe(ProtocolErrorCode.InvalidRoute);
  });
});

describe('protobuf encoding of messages that cannot be encoded', () => {
  const reject = (route: string, message: unknown): void => {
    expect(codeOf(() => codec.encode(route, message as JsonObject))).toBe(ProtocolErrorCode.InvalidProtobuf);
  };

  it('rejects missing, null and undefined required fields, also nested', () => {
    const { id: _id, ...withoutId } = strictMessage;
    reject('strict', withoutId);
    reject('strict', { ...strictMessage, name: null });
    reject('strict', { ...strictMessage, name: undefined });
    reject('strict', { ...strictMessage, tag: { key: 'k' } });
    reject('loose', { points: [{ x: 1 }] });
  });

  it('leaves out null and undefined optional fields, and empty arrays', () => {
    expect(
      codec.encode('loose', { u: null, s: undefined, at: null, list: [], names: null } as never),
    ).toEqual(new Uint8Array(0));
  });

  it('rejects values of the wrong JS type', () => {
    reject('loose', { u: '12' });
    reject('loose', { u: -1 });
    reject('loose', { u: Number.NaN });
    reject('loose', { u: 2 ** 64 });
    reject('loose', { s: 12 });
    reject('loose', { b: 'yes' });
    reject('loose', { list: 5 });
    reject('loose', { list: [1, '2'] });
    reject('loose', { list: [1, null] });
    reject('loose', { names: 'abc' });
    reject('loose', { at: [1, 2] });
    reject('loose', { at: 'point' });
    reject('loose', { points: [null] });
    reject('strict', { ...strictMessage, big: 2 ** 63 });
    reject('strict', { ...strictMessage, f: '1.5' });
    reject('loose', null);
    reject('loose', [1, 2]);
  });

  it('is re-entrant: a getter in a message may encode with the same codec', () => {
    const inner = codec.encode('loose', { u: 1, s: 'inner' });
    const message = {
      u: 7,
      get s(): string {
        return String(codec.encode('loose', { u: 1, s: 'inner' }).length);
      },
    };
    expect(codec.decode('loose', codec.encode('loose', message as never))).toEqual({
      u: 7,
      s: String(inner.length),
    });
    expect(codec.encode('loose', { u: 1, s: 'inner' })).toEqual(inner);
  });

  it('rejects a cyclic message instead of overflowing the stack', () => {
    const head: Record<string, unknown> = { value: 1 };
    head['next'] = head;
    reject('list', { head });
  });
});

function lengthPrefix(length: number): number[] {
  const out: number[] = [];
  while (length > 0x7f) {
    out.push((length & 0x7f) | 0x80);
    length >>>= 7;
  }
  out.push(length);
  return out;
}
