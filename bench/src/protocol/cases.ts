/**
 * The messages the protocol benchmark encodes and decodes: typical Pomelo traffic, the same for
 * Shaddock and Pinus.
 */
import type { JsonObject, ProtoDefinitions } from '@shaddock/protocol';

/** Which way a message travels, which says who encodes it and who decodes it. */
export type MessageKind = 'request' | 'push' | 'response';

/** One benchmarked message. */
export interface ProtocolCase {
  /** The label in the report. */
  readonly name: string;
  /** What it is, in one line of the report. */
  readonly description: string;
  readonly kind: MessageKind;
  /** The request id; 0 for a push. */
  readonly id: number;
  readonly route: string;
  readonly body: JsonObject;
  /** Whether the connector runs with the route dictionary (`useDict`), compressing routes it holds. */
  readonly useDictionary: boolean;
}

/** A decoded message as either side returns it; Pinus's carries more fields. */
export interface Decoded {
  readonly type: number;
  readonly id: number;
  readonly route: string | number | null;
  readonly body: unknown;
}

/** One implementation's encode and decode of one case, the full path from object to package bytes and back. */
export interface CodecPair {
  /** Encodes the case's message into a whole package. */
  readonly encode: () => Uint8Array;
  /** Decodes a frame as its receiver would; undefined when the receiver would drop it. */
  readonly decode: (frame: Buffer) => Decoded | undefined;
}

/** Handler routes and `dictionary.json` routes, as a chat-and-area app would have them. */
export const HANDLER_ROUTES = [
  'area.playerHandler.enterScene',
  'area.playerHandler.move',
  'chat.chatHandler.send',
  'connector.entryHandler.enter',
  'gate.gateHandler.queryEntry',
];
export const DICTIONARY_ROUTES = ['onChat', 'onAdd', 'onLeave', 'onMove'];

const enterScene = 'area.playerHandler.enterScene';

/** Protos of what servers send, in Pomelo's JSON format: the response of `enterScene`, about 1 KiB. */
export const SERVER_PROTOS: ProtoDefinitions = {
  [enterScene]: {
    'message Player': {
      'message Position': { 'required sInt32 x': 1, 'required sInt32 y': 2 },
      'message Item': { 'required uInt32 id': 1, 'required string kind': 2, 'required uInt32 count': 3 },
      'required uInt32 entityId': 1,
      'required string name': 2,
      'required string kindName': 3,
      'required uInt32 level': 4,
      'required uInt32 hp': 5,
      'required uInt32 maxHp': 6,
      'required Position position': 7,
      'repeated Item bag': 8,
      'optional bool online': 9,
    },
    'required uInt32 code': 1,
    'required string areaName': 2,
    'required Player curPlayer': 3,
    'repeated Player players': 4,
    'repeated uInt32 npcIds': 5,
    'required double serverTime': 6,
  },
};

/** Protos of what clients send: a small one, so the server holds client protos as a real one would. */
export const CLIENT_PROTOS: ProtoDefinitions = {
  'area.playerHandler.move': {
    'required sInt32 x': 1,
    'required sInt32 y': 2,
    'optional uInt32 targetId': 3,
  },
};

const KINDS = ['Knight', 'Archer', 'Mage', 'Rogue', 'Cleric', 'Paladin'];
const ITEMS = ['hp-potion', 'mp-potion', 'iron-sword', 'oak-shield', 'fire-scroll'];

/** A player entity; keys in tag order, so both encoders write fields in the same order. */
function player(index: number): JsonObject {
  const kind = KINDS[index % KINDS.length] ?? 'Knight';
  const entity: JsonObject = {
    entityId: 1000 + index * 37,
    name: `${kind.toLowerCase()}-player-${index}`,
    kindName: kind,
    level: 10 + index * 3,
    hp: 420 + index * 55,
    maxHp: 900 + index * 20,
    position: { x: 120 * index - 300, y: 4096 - 77 * index },
    bag: [0, 1, 2].map((slot) => ({
      id: 20000 + index * 10 + slot,
      kind: ITEMS[(index + slot) % ITEMS.length] ?? 'hp-potion',
      count: 1 + ((index * 7 + slot) % 20),
    })),
  };
  if (index % 3 !== 2) entity['online'] = index % 3 === 0;
  return entity;
}

/** The three cases, in report order. */
export const PROTOCOL_CASES: readonly ProtocolCase[] = [
  {
    name: '1. JSON request',
    description: 'client → server; route as a string (a connector without `useDict`, the Pinus default)',
    kind: 'request',
    id: 4242,
    route: 'chat.chatHandler.send',
    body: {
      rid: 'world-1',
      from: 'alice',
      target: '*',
      content: 'Meet at the north gate in five minutes, bring potions!',
    },
    useDictionary: false,
  },
  {
    name: '2. JSON push, compressed route',
    description: 'server → client; route as a dictionary code',
    kind: 'push',
    id: 0,
    route: 'onChat',
    body: {
      msg: 'Meet at the north gate in five minutes, bring potions!',
      from: 'alice',
      target: '*',
      rid: 7,
    },
    useDictionary: true,
  },
  {
    name: '3. protobuf response',
    description:
      'server → client; nested, repeated and string fields; the client finds the route by request id',
    kind: 'response',
    id: 77,
    route: enterScene,
    body: {
      code: 200,
      areaName: 'Whispering Woods',
      curPlayer: player(0),
      players: [1, 2, 3, 4, 5, 6, 7, 8].map(player),
      npcIds: [101, 102, 103, 150, 151, 200, 201, 202, 300, 4000],
      serverTime: 1732190400123.5,
    },
    useDictionary: true,
  },
];
