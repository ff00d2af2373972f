import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../errors.js';
import { ProtobufCodec } from './index.js';
import { toParsedForm } from './parsed-form.js';
import type { ProtoDefinitions } from './schema.js';

// pinus-protobuf's "types" point at sources that do not compile under our settings: load the built file.
const require = createRequire(import.meta.url);
const { parse } = require('pinus-protobuf/dist/parser.js') as { parse(protos: ProtoDefinitions): unknown };

const definitions: ProtoDefinitions = {
  'area.playerHandler.move': {
    'required uInt32 entityId': 1,
    'repeated Point path': 2,
    'optional Meta meta': 3,
    'message Point': { 'required sInt32 x': 1, 'required sInt32 y': 2 },
  },
  'message Meta': { 'optional string note': 1 },
};

describe('the handshake parsed form', () => {
  it('is what pinus-protobuf parses the JSON files into', () => {
    expect(toParsedForm(definitions)).toEqual(parse(definitions));
  });

  it('is accepted by the codec, which then writes the same bytes', () => {
    const message = { entityId: 9, path: [{ x: -1, y: 2 }], meta: { note: '路' } };
    const fromFiles = new ProtobufCodec(definitions);
    const fromHandshake = new ProtobufCodec(JSON.parse(JSON.stringify(parse(definitions))));
    const bytes = fromFiles.encode('area.playerHandler.move', message);
    expect(fromHandshake.encode('area.playerHandler.move', message)).toEqual(bytes);
    expect(fromHandshake.decode('area.playerHandler.move', bytes)).toEqual(message);
  });

  it('rejects a parsed form of the wrong shape', () => {
    expect(() => new ProtobufCodec({ a: { x: { option: 'required' }, __tags: {} } } as never)).toThrow(
      ProtocolError,
    );
  });
});
