import { describe, expect, it } from 'vitest';
import { ProtocolError, ProtocolErrorCode } from '../errors.js';
import { ProtobufCodec, type ProtoDefinitions } from './index.js';

/** The ProtocolError that compiling `definitions` throws; any other outcome fails the test. */
function schemaError(definitions: unknown): ProtocolError {
  try {
    new ProtobufCodec(definitions as ProtoDefinitions);
  } catch (error) {
    if (error instanceof ProtocolError) {
      expect(error.code).toBe(ProtocolErrorCode.InvalidProtoSchema);
      return error;
    }
    throw error;
  }
  throw new Error('expected an InvalidProtoSchema error');
}

describe('proto schemas', () => {
  it('rejects an unknown type name, naming the route and the key', () => {
    const error = schemaError({ 'area.move': { 'required Vector to': 1 } });
    expect(error.message).toContain('"area.move"');
    expect(error.message).toContain('required Vector to');
    schemaError({ r: { 'optional uint32 x': 1 } });
    schemaError({ r: { 'message Inner': { 'repeated Missing m': 1 } }, 'message Other': {} });
  });

  it('resolves types as pomelo-protobuf does: nested in the same message, else at the root', () => {
    const codec = new ProtobufCodec({
      'message Shared': { 'required uInt32 a': 1 },
      r: { 'message Local': { 'optional Shared s': 1 }, 'optional Local l': 1, 'optional Shared s': 2 },
    });
    expect(codec.decode('r', codec.encode('r', { l: { s: { a: 1 } }, s: { a: 2 } }))).toEqual({
      l: { s: { a: 1 } },
      s: { a: 2 },
    });
    // A sibling nested in the parent is not visible from a nested message (pinus-protobuf cannot encode it).
    const error = schemaError({
      r: { 'message A': { 'optional uInt32 x': 1 }, 'message B': { 'optional A a': 1 }, 'optional B b': 1 },
    });
    expect(error.message).toContain('message B');
  });

  it('rejects a key without a rule, or with an unknown or unsupported rule', () => {
    schemaError({ r: { 'uInt32 id': 1 } });
    schemaError({ r: { id: 1 } });
    schemaError({ r: { 'requird uInt32 id': 1 } });
    schemaError({ r: { 'required  uInt32 id': 1 } });
    schemaError({ r: { 'required uInt32 id extra': 1 } });
    schemaError({
      r: { 'map Entry m': 1, 'message Entry': { 'required string key': 1, 'required string value': 2 } },
    });
    schemaError({
      r: { 'obj Entry m': 1, 'message Entry': { 'required string key': 1, 'required string value': 2 } },
    });
  });

  it('rejects a tag that is not an integer from 0 to 2^28−1', () => {
    for (const tag of ['1', null, true, {}, [], 1.5, -1, 2 ** 28, Number.NaN]) {
      schemaError({ r: { 'required uInt32 id': tag } });
    }
    new ProtobufCodec({ r: { 'required uInt32 id': 2 ** 28 - 1, 'optional uInt32 zero': 0 } });
  });

  it('rejects duplicate tags and field names', () => {
    schemaError({ r: { 'required uInt32 a': 1, 'optional string b': 1 } });
    schemaError({ r: { 'required uInt32 a': 1, 'optional string a': 2 } });
    schemaError({ r: { 'required uInt32 __proto__': 1 } });
  });

  it('rejects definitions that are not objects', () => {
    schemaError(null);
    schemaError([]);
    schemaError('protos');
    schemaError({ r: null });
    schemaError({ r: [1] });
    schemaError({ r: 5 });
    schemaError({ 'message X': 'x' });
    schemaError({ r: { 'message Inner': 3 } });
    schemaError({ r: { 'message A B': {} } });
    schemaError({ r: { 'message ': {} } });
  });

  it('rejects a cyclic definition object instead of overflowing the stack', () => {
    const inner: Record<string, unknown> = { 'required uInt32 id': 1 };
    inner['message Self'] = inner;
    schemaError({ r: inner });
  });

  it('has() knows routes, not root-level "message X" types', () => {
    const codec = new ProtobufCodec({
      'message Point': { 'required uInt32 x': 1 },
      'a.b.c': { 'optional Point p': 1 },
    });
    expect(codec.has('a.b.c')).toBe(true);
    expect(codec.has('message Point')).toBe(false);
    expect(codec.has('Point')).toBe(false);
    expect(codec.has('toString')).toBe(false);
  });

  it('accepts recursive types and JSON-parsed definitions with odd keys', () => {
    const definitions = JSON.parse(
      '{"__proto__": {"optional uInt32 x": 1}, "message Node": {"optional Node next": 1, "optional uInt32 v": 2}}',
    ) as ProtoDefinitions;
    const codec = new ProtobufCodec(definitions);
    expect(codec.has('__proto__')).toBe(true);
    expect(codec.decode('__proto__', codec.encode('__proto__', { x: 5 }))).toEqual({ x: 5 });
    expect(({} as Record<string, unknown>)['x']).toBeUndefined();
  });
});
