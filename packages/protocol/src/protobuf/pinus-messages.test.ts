// Golden vectors for messages and repeated fields: the real pinus-protobuf encodes and decodes every case
// at test time, and ours must agree byte for byte in both directions.

import { Protobuf } from '@shaddock/test-support';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hex, pinusGolden } from '../../test/pinus-golden.js';
import type { JsonObject, JsonValue } from '../json.js';
import type { ProtoDefinitions } from './index.js';

const definitions: ProtoDefinitions = {
  'message Point': { 'required sInt32 x': 1, 'required sInt32 y': 2 },
  'test.nested': {
    'message Inner': {
      'message Deep': { 'required string name': 1, 'optional uInt32 level': 2 },
      'required uInt32 id': 1,
      'optional Deep deep': 2,
      'repeated Deep deeps': 3,
      'optional Point pos': 4,
    },
    'required Inner inner': 1,
    'optional Point at': 2,
    'repeated Inner list': 3,
  },
  'test.repeated': {
    'repeated uInt32 u': 1,
    'repeated sInt32 s': 2,
    'repeated float f': 3,
    'repeated double d': 4,
    'repeated bool b': 5,
    'repeated string names': 6,
    'repeated Point points': 7,
    'repeated uInt64 big': 8,
    'repeated sInt64 sbig': 9,
  },
  'test.shared1': { 'required Point from': 1, 'required Point to': 2 },
  'test.shared2': { 'repeated Point path': 1, 'optional string label': 2 },
  'message Node': { 'required uInt32 value': 1, 'optional Node next': 2 },
  'test.list': { 'optional Node head': 1 },
  'area.state': {
    'message Entity': {
      'required uInt32 id': 1,
      'required string name': 2,
      'required float x': 3,
      'required float y': 4,
      'optional double heading': 5,
      'required sInt32 hp': 6,
      'repeated uInt32 buffs': 7,
      'optional bool moving': 8,
    },
    'required uInt64 tick': 1,
    'repeated Entity entities': 2,
    'repeated string log': 3,
  },
};

const { parsed, agree } = pinusGolden(definitions);

const strings = [
  'hello',
  '你好，世界',
  '😀🎉🍊',
  'line\u2028separator\u2029',
  'é'.repeat(100),
  'z'.repeat(300),
];

describe('pinus-protobuf compatibility: messages and repeated fields', () => {
  const deep = (name: string, level?: number): JsonObject =>
    level === undefined ? { name } : { name, level };

  it('nested messages, two deep, with optional fields present and absent', () => {
    agree('test.nested', { inner: { id: 1 } });
    agree('test.nested', { inner: { id: 2, deep: deep('d', 3) }, at: { x: -1, y: 1 } });
    agree('test.nested', {
      inner: { id: 3, deep: deep('d'), deeps: [deep('a', 1), deep('b'), deep('', 0)] },
    });
    agree('test.nested', {
      inner: { id: 4, pos: { x: 10, y: -10 } },
      list: [{ id: 5 }, { id: 6, deep: deep('x') }],
    });
  });

  it('nested messages longer than 127 and 16383 bytes (multi-byte length prefixes)', () => {
    agree('test.nested', { inner: { id: 1, deep: deep('n'.repeat(200)) } });
    agree('test.nested', { inner: { id: 1, deep: deep('n'.repeat(20000)) } });
    const deeps = Array.from({ length: 300 }, (_, index) => deep(strings[index % strings.length]!, index));
    agree('test.nested', { inner: { id: 9, deeps }, list: [{ id: 1, deeps }] });
  });

  it('repeated numbers are written once: key, count, elements', () => {
    const bytes = agree('test.repeated', { u: [1, 2, 300] });
    expect(hex(bytes)).toBe('0803' + '01' + '02' + 'ac02');
    agree('test.repeated', {
      s: [-1, 0, 1, -(2 ** 31)],
      f: [1.5, -2],
      d: [0.1, 1e100],
      b: [true, false, true],
    });
    agree('test.repeated', { big: [2 ** 53, 0, 2 ** 33], sbig: [-(2 ** 52), 2 ** 53 - 1] });
    agree('test.repeated', { u: Array.from({ length: 500 }, (_, index) => index * 977) });
  });

  it('repeated strings and messages are one key per element', () => {
    agree('test.repeated', { names: ['a', '', '你好', '😀'] });
    agree('test.repeated', {
      points: [
        { x: 1, y: 2 },
        { x: -3, y: 4 },
      ],
    });
  });

  it('empty repeated fields are left out: both decoders then omit the key', () => {
    agree('test.repeated', { u: [], names: [], points: [], f: [1] }, { f: [1] });
  });

  it('root-level "message X" is shared by several routes and by nested messages', () => {
    agree('test.shared1', { from: { x: 0, y: 0 }, to: { x: 100, y: -100 } });
    agree('test.shared2', {
      path: [
        { x: 1, y: 1 },
        { x: 2, y: 2 },
      ],
      label: 'route',
    });
    agree('test.nested', { inner: { id: 1, pos: { x: 5, y: 6 } } });
  });

  it('recursive message types', () => {
    let head: JsonObject = { value: 0 };
    for (let value = 1; value < 50; value++) head = { value, next: head };
    agree('test.list', { head });
  });

  it('a 2 MiB string, then small messages again (the scratch buffer grows, then is dropped)', () => {
    agree('test.nested', { inner: { id: 1, deep: deep('é'.repeat(1 << 20)) } });
    agree('test.shared2', { label: 'small' });
    agree('test.nested', { inner: { id: 2, deep: deep('n'.repeat(3000)) } });
  });

  it('a ~1 KiB message, also as pinus-protobuf encodes without its encode cache', () => {
    const message = areaState(22);
    const bytes = agree('area.state', message, roundedAreaState(message));
    expect(bytes.length).toBeGreaterThan(900);
    expect(bytes.length).toBeLessThan(1300);
    const uncached = new Protobuf({ encoderProtos: parsed, decoderProtos: parsed });
    expect(uncached.encode('area.state', message)?.toString('hex')).toBe(hex(bytes));
  });
});

describe('pinus-protobuf compatibility: random repeated fields', () => {
  const int = (min: number, max: number): fc.Arbitrary<number> => fc.integer({ min, max });
  const float32 = fc.float({ noNaN: true, noDefaultInfinity: true });
  /** Messages with any subset of the fields, in a random key order (which the bytes follow). */
  const someOf = (fields: Record<string, fc.Arbitrary<JsonValue>>): fc.Arbitrary<JsonObject> =>
    fc
      .tuple(fc.record(fields), fc.shuffledSubarray(Object.keys(fields), { minLength: 1 }))
      .map(([all, keys]) => Object.fromEntries(keys.map((key) => [key, all[key] as JsonValue])));

  it('random repeated fields', () => {
    const point = fc.record({ x: int(-1e6, 1e6), y: int(-1e6, 1e6) });
    const repeated = someOf({
      u: fc.array(int(0, 2 ** 32 - 1), { minLength: 1, maxLength: 20 }),
      s: fc.array(int(-(2 ** 31), 2 ** 31 - 1), { minLength: 1, maxLength: 20 }),
      f: fc.array(float32, { minLength: 1, maxLength: 20 }),
      names: fc.array(fc.string({ unit: 'grapheme', maxLength: 30 }), { minLength: 1, maxLength: 10 }),
      points: fc.array(point, { minLength: 1, maxLength: 10 }),
    });
    fc.assert(
      fc.property(repeated, (message) => {
        agree('test.repeated', message);
      }),
      { numRuns: 150 },
    );
  });
});
function areaState(count: number): JsonObject {
  const entities: JsonValue[] = [];
  for (let index = 0; index < count; index++) {
    const entity: JsonObject = {
      id: 10000 + index * 37,
      name: index % 3 === 0 ? `玩家${index}` : `player-${index}`,
      x: 100.25 + index * 3.5,
      y: -20.5 + index,
      hp: 1000 - index * 150,
      buffs: [1, 20, 300 + index, 4000],
    };
    if (index % 2 === 0) entity['heading'] = index * 0.7853981633974483;
    if (index % 4 !== 1) entity['moving'] = index % 4 === 0;
    entities.push(entity);
  }
  return { tick: 1_700_000_000_123, entities, log: ['spawned', 'moved', '伤害 120', 'left the area'] };
}

function roundedAreaState(message: JsonObject): JsonObject {
  const entities = (message['entities'] as JsonObject[]).map((entity) => ({
    ...entity,
    x: Math.fround(entity['x'] as number),
    y: Math.fround(entity['y'] as number),
  }));
  return { ...message, entities };
}
