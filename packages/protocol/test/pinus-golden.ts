// What the protobuf golden tests share: our codec and the real pinus-protobuf built from the same
// definitions, and the byte-for-byte agreement check between them.
import { type ParsedProtos, type PinusProtobufCodec, Protobuf } from '@shaddock/test-support';
import { expect } from 'vitest';
import type { JsonObject } from '../src/json.js';
import { ProtobufCodec, type ProtoDefinitions } from '../src/protobuf/index.js';

/** Our codec and pinus-protobuf's for `definitions`; `agree` checks both directions on one message. */
export interface PinusGolden {
  readonly codec: ProtobufCodec;
  readonly pinus: PinusProtobufCodec;
  /** The definitions as `Protobuf.parse` leaves them (what Pinus's handshake carries). */
  readonly parsed: ParsedProtos;
  /** Same bytes from both encoders, and `expected` (default: `message`) from both decoders; returns our bytes. */
  agree(route: string, message: JsonObject, expected?: JsonObject): Uint8Array;
}

export function pinusGolden(definitions: ProtoDefinitions): PinusGolden {
  const parsed = Protobuf.parse(definitions);
  const pinus = new Protobuf({ encoderProtos: parsed, decoderProtos: parsed, encoderCacheSize: 1 << 22 });
  const codec = new ProtobufCodec(definitions);
  const agree = (route: string, message: JsonObject, expected: JsonObject = message): Uint8Array => {
    const ours = codec.encode(route, message);
    const theirs = pinus.encode(route, message);
    if (theirs === null) throw new Error(`pinus-protobuf refused ${JSON.stringify(message)}`);
    expect(hex(ours)).toBe(theirs.toString('hex'));
    expect(codec.decode(route, new Uint8Array(theirs))).toEqual(expected);
    expect(pinus.decode(route, Buffer.from(ours))).toEqual(expected);
    return ours;
  };
  return { codec, pinus, parsed, agree };
}

/** Bytes as lowercase hex, for readable expectations. */
export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}
