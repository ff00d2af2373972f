// Pomelo's original browser client codec, shipped in pinus-protobuf/lib/client: what browsers running
// pomelo-jsclient send and read must go through our codec unchanged.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { hex, pinusGolden } from '../../test/pinus-golden.js';
import type { JsonObject } from '../json.js';
import type { ProtoDefinitions } from './index.js';

/** The client codec: a singleton holding the parsed protos it was given. */
interface PomeloClientCodec {
  init(options: { encoderProtos: object; decoderProtos: object }): void;
  encode(route: string, message: object): Uint8Array | null;
  decode(route: string, bytes: Uint8Array): JsonObject | null;
}
const require = createRequire(import.meta.url);
const pomeloClient = require('pinus-protobuf/lib/client/protobuf.js') as PomeloClientCodec;

const definitions: ProtoDefinitions = {
  'message Point': { 'required sInt32 x': 1, 'required sInt32 y': 2 },
  'test.client': {
    'required uInt32 id': 1,
    'optional sInt32 s': 2,
    'optional int32 i': 3,
    'repeated uInt32 ids': 4,
    'optional string name': 5,
    'optional float f': 6,
    'optional double d': 7,
    'optional Point at': 8,
    'repeated Point path': 9,
    'repeated string tags': 10,
  },
};
const { codec, pinus, parsed } = pinusGolden(definitions);

describe("Pomelo's browser client codec (pinus-protobuf/lib/client)", () => {
  pomeloClient.init({ encoderProtos: parsed, decoderProtos: parsed });
  const message: JsonObject = {
    id: 300,
    s: -5,
    i: 7,
    ids: [1, 128, 70000],
    name: '玩家 player',
    f: 1.5,
    d: 0.1,
    at: { x: -1, y: 2 },
    path: [
      { x: 0, y: 0 },
      { x: 10, y: -10 },
    ],
    tags: ['a', '', 'ccc'],
  };

  it('reads what it writes, though it keys varint fields as wire type 2', () => {
    const fromClient = pomeloClient.encode('test.client', message);
    if (fromClient === null) throw new Error('the client codec refused the message');
    expect(hex(fromClient).slice(0, 2)).toBe('0a'); // tag 1, wire type 2, for a uInt32
    expect(codec.decode('test.client', fromClient)).toEqual(message);
    expect(pinus.decode('test.client', Buffer.from(fromClient))).toEqual(message);
  });

  it('is read by it', () => {
    expect(pomeloClient.decode('test.client', codec.encode('test.client', message))).toEqual(message);
  });
});
