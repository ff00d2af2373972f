// Property-based fuzzing of every decoder: random bytes and mutated valid packages must either
// decode or fail with a ProtocolError, never anything else. The suite runs a fast subset;
// `npm run fuzz` runs the same properties with FUZZ_RUNS inputs each (10^6 by default there).
import {
  decodeHandshakeRequest,
  decodeHandshakeResponse,
  decodeKick,
  decodeMessage,
  decodePackages,
  type JsonObject,
  MessageCodec,
  MessageType,
  PackageDecoder,
  ProtobufCodec,
  ProtocolError,
  RouteDictionary,
} from '@shaddock/protocol';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';

const runs = Number(process.env['FUZZ_RUNS'] ?? 2000);
let inputs = 0;

const dictionary = RouteDictionary.fromRoutes(
  ['chat.chatHandler.send', 'area.playerHandler.move'],
  ['onChat', 'onMove'],
);
const protos = new ProtobufCodec({
  'area.playerHandler.move': {
    'required uInt32 entityId': 1,
    'optional string name': 2,
    'repeated Point path': 3,
    'message Point': { 'required sInt32 x': 1, 'required double y': 2 },
  },
  onMove: { 'required uInt64 at': 1, 'repeated float speeds': 2, 'optional bool running': 3 },
});
const codec = new MessageCodec({ dictionary, serverProtos: protos, clientProtos: protos });

/** Runs `decode`; anything thrown must be a ProtocolError. */
function survives(decode: () => unknown): void {
  inputs++;
  try {
    decode();
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
  }
}

function decodeEverywhere(bytes: Uint8Array, chunkSize: number): void {
  survives(() => decodePackages(bytes));
  survives(() => {
    const decoder = new PackageDecoder((_, body) => survives(() => codec.decodeFromClient(body)));
    for (let offset = 0; offset < bytes.length; offset += chunkSize)
      decoder.write(bytes.subarray(offset, offset + chunkSize));
  });
  survives(() => decodeMessage(bytes));
  survives(() => codec.decodeFromClient(bytes));
  survives(() => codec.decodeFromServer(bytes, () => 'area.playerHandler.move'));
  survives(() => decodeHandshakeRequest(bytes));
  survives(() => decodeHandshakeResponse(bytes));
  survives(() => decodeKick(bytes));
  survives(() => protos.decode('area.playerHandler.move', bytes));
  survives(() => protos.decode('onMove', bytes));
}

const jsonBody = fc.dictionary(
  fc.string({ maxLength: 8 }),
  fc.oneof(fc.string({ unit: 'binary', maxLength: 20 }), fc.integer(), fc.boolean(), fc.constant(null)),
  { maxKeys: 4 },
) as fc.Arbitrary<JsonObject>;

const validPackage: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc
    .tuple(fc.integer({ min: 1, max: 2 ** 31 - 1 }), jsonBody)
    .map(([id, body]) => codec.encodeRequest(id, 'chat.chatHandler.send', body)),
  fc.tuple(fc.string({ maxLength: 40 }), jsonBody).map(([route, body]) => codec.encodeNotify(route, body)),
  fc
    .tuple(fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.nat(), fc.string({ maxLength: 10 }))
    .map(([id, entityId, name]) =>
      codec.encodeRequest(id, 'area.playerHandler.move', {
        entityId,
        name,
        path: [{ x: -entityId, y: 0.5 }],
      }),
    ),
  fc
    .tuple(fc.nat(), fc.boolean())
    .map(([at, running]) => codec.encodePush('onMove', { at, speeds: [1.5], running })),
  jsonBody.map((body) => codec.encodePush('onChat', body)),
);

type Mutation = { kind: 'flip' | 'insert' | 'delete' | 'truncate'; at: number; value: number };
const mutation: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom('flip', 'insert', 'delete', 'truncate'),
  at: fc.nat(),
  value: fc.integer({ min: 0, max: 255 }),
});

function mutate(bytes: Uint8Array, mutations: Mutation[]): Uint8Array {
  let result = Array.from(bytes);
  for (const { kind, at, value } of mutations) {
    const index = result.length === 0 ? 0 : at % result.length;
    if (kind === 'flip') result[index] = value;
    else if (kind === 'insert') result.splice(index, 0, value);
    else if (kind === 'delete') result.splice(index, 1);
    else result = result.slice(0, index);
  }
  return Uint8Array.from(result);
}

describe(`protocol fuzzing (${runs} runs per property)`, () => {
  afterAll(() => {
    console.log(`protocol fuzzing: ${inputs} decoder inputs, no unexpected exception`);
  });

  it('survives random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.integer({ min: 1, max: 8 }), (bytes, chunkSize) => {
        decodeEverywhere(bytes, chunkSize);
      }),
      { numRuns: runs },
    );
  });

  it('survives mutated valid packages', () => {
    fc.assert(
      fc.property(
        validPackage,
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 1, max: 7 }),
        (bytes, mutations, chunkSize) => {
          const mutated = mutate(bytes, mutations);
          decodeEverywhere(mutated, chunkSize);
          decodeEverywhere(mutated.subarray(4), chunkSize);
        },
      ),
      { numRuns: runs },
    );
  });

  it('decodes every valid package back, whatever the read boundaries', () => {
    const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
    fc.assert(
      fc.property(
        fc.array(validPackage, { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 1, max: 9 }),
        (packages, chunkSize) => {
          const stream = Uint8Array.from(packages.flatMap((item) => Array.from(item)));
          const received: string[] = [];
          const decoder = new PackageDecoder((_, body) => received.push(hex(body)));
          for (let offset = 0; offset < stream.length; offset += chunkSize)
            decoder.write(stream.subarray(offset, offset + chunkSize));
          expect(received).toEqual(packages.map((item) => hex(item.subarray(4))));
          for (const item of packages)
            expect(decodeMessage(item.subarray(4)).type).toBeGreaterThanOrEqual(MessageType.Request);
        },
      ),
      { numRuns: Math.min(runs, 2000) },
    );
  });
});
