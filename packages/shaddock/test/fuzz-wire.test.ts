// Property-based fuzzing of the server's own wire code: the WebSocket frame reader and encoders
// (connector/websocket-frames.ts) and the RPC framing (transport/: FrameReader, PayloadReader,
// FrameWriter). Bad bytes must only ever raise the documented error (a WebSocketFrameError; a
// ShaddockError with code RpcProtocol), valid input must read the same whatever the read
// boundaries, and the hand-written msgpack paths must agree with msgpackr. The suite runs a fast
// subset; `npm run fuzz` runs the same properties with FUZZ_RUNS inputs each (10^6 there).
import { inspect } from 'node:util';
import fc from 'fast-check';
import { afterAll, describe, expect, it, vi } from 'vitest';
import {
  encodeBinaryFrame,
  encodeBinaryFrameOf,
  encodeCloseFrame,
  encodePongFrame,
  WebSocketFrameError,
  WebSocketFrameReader,
} from '../src/connector/websocket-frames.js';
import { ErrorCode, ShaddockError } from '../src/errors.js';
import { decodePayload, encodeFrame, FrameReader, packValue } from '../src/transport/frame-codec.js';
import { FrameWriter, type PayloadWriter } from '../src/transport/frame-writer.js';
import { PayloadReader } from '../src/transport/payload-reader.js';
import { MSGPACK_INTEGER_EDGES } from './support/msgpack-edges.js';

const runs = Number(process.env['FUZZ_RUNS'] ?? 2000);
let inputs = 0;

// ---------------------------------------------------------------------------------------------
// Shared: chunkings and mutations

/** Chunk sizes, cycled over the input: mostly small, sometimes large; 0 is an empty chunk. */
const chunkSizes: fc.Arbitrary<number[]> = fc.array(
  fc.oneof(
    { weight: 8, arbitrary: fc.integer({ min: 1, max: 16 }) },
    { weight: 3, arbitrary: fc.integer({ min: 1, max: 300 }) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 70_000 }) },
    { weight: 1, arbitrary: fc.constant(0) },
  ),
  { minLength: 1, maxLength: 6 },
);

/** At most this many chunks per input; the rest goes in the last (keeps the large inputs fast). */
const MAX_CHUNKS = 256;

/**
 * `bytes` cut into chunks of `sizes` (cycled), as views of one fresh copy: the readers unmask
 * or keep their input in place, and a socket's chunks are views of larger buffers too.
 */
function chunked(bytes: Uint8Array, sizes: readonly number[]): Buffer[] {
  const copy = Buffer.from(bytes);
  const chunks: Buffer[] = [];
  let offset = 0;
  let index = 0;
  let empty = 0;
  while (offset < copy.length) {
    if (chunks.length === MAX_CHUNKS - 1) {
      chunks.push(copy.subarray(offset));
      break;
    }
    const size = sizes[index++ % sizes.length]!;
    if (size === 0) {
      chunks.push(copy.subarray(offset, offset));
      // only empty sizes left: the rest in one chunk
      if (++empty >= sizes.length) {
        chunks.push(copy.subarray(offset));
        break;
      }
      continue;
    }
    empty = 0;
    chunks.push(copy.subarray(offset, offset + size));
    offset += size;
  }
  return chunks;
}

type Mutation = { kind: 'set' | 'xor' | 'insert' | 'delete' | 'truncate'; at: number; value: number };
const mutation: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom('set', 'xor', 'insert', 'delete', 'truncate'),
  // mostly within the first bytes, where the headers are
  at: fc.oneof(fc.nat({ max: 16 }), fc.nat()),
  value: fc.integer({ min: 0, max: 255 }),
});

function mutate(bytes: Uint8Array, mutations: readonly Mutation[]): Buffer {
  let result = Buffer.from(bytes);
  for (const { kind, at, value } of mutations) {
    const index = result.length === 0 ? 0 : at % result.length;
    if (kind === 'insert')
      result = Buffer.concat([result.subarray(0, index), Buffer.of(value), result.subarray(index)]);
    else if (result.length === 0) continue;
    else if (kind === 'set') result[index] = value;
    else if (kind === 'xor') result[index] = result[index]! ^ (value || 1);
    else if (kind === 'delete')
      result = Buffer.concat([result.subarray(0, index), result.subarray(index + 1)]);
    else result = result.subarray(0, index);
  }
  return result;
}

const hex = (bytes: Uint8Array): string =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex');

/** `length` bytes repeating `seed`: large payloads without generating every byte. */
function repeated(length: number, seed: Uint8Array): Buffer {
  const bytes = Buffer.alloc(length);
  if (seed.length > 0) for (let index = 0; index < length; index++) bytes[index] = seed[index % seed.length]!;
  return bytes;
}

// ---------------------------------------------------------------------------------------------
// WebSocket frames

const CONTINUATION = 0x0;
const TEXT = 0x1;
const BINARY = 0x2;
const CLOSE = 0x8;
const PING = 0x9;
const PONG = 0xa;
/** The close codes a client may send (RFC 6455 §7.4). */
const SENDABLE_CLOSE_CODES = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014];

type WsEvent =
  | readonly ['message', string]
  | readonly ['ping', string]
  | readonly ['close', number | undefined];

interface WsOutcome {
  readonly events: WsEvent[];
  /** The error's `code` when the reader threw (always a WebSocketFrameError). */
  readonly error: string | undefined;
}

/** Feeds `chunks` to a new reader: what it handed on, and the error it threw if any. */
function readWebSocket(chunks: readonly Buffer[], maxMessageBytes: number): WsOutcome {
  inputs++;
  const events: WsEvent[] = [];
  // payloads are valid during the call only: copied (as hex) at once
  const reader = new WebSocketFrameReader(maxMessageBytes, {
    onMessage: (payload) => events.push(['message', hex(payload)]),
    onPing: (payload) => events.push(['ping', hex(payload)]),
    onCloseFrame: (code) => events.push(['close', code]),
  });
  try {
    for (const chunk of chunks) reader.push(chunk);
  } catch (error) {
    if (!(error instanceof WebSocketFrameError)) throw error;
    expect([1002, 1007, 1009]).toContain(error.closeCode);
    return { events, error: error.code };
  }
  return { events, error: undefined };
}

/**
 * A client frame: `first` is FIN, RSV and opcode; the payload masked with `mask`. The length in
 * the shortest encoding unless `extendedBytes` asks for another (0, 2 or 8; longer than needed
 * is what RFC 6455 forbids, and what a fuzzer tries).
 */
function clientFrame(
  first: number,
  payload: Uint8Array,
  mask: Uint8Array,
  extendedBytes?: 0 | 2 | 8,
): Buffer {
  const length = payload.length;
  const extended = extendedBytes ?? (length < 126 ? 0 : length < 0x10000 ? 2 : 8);
  const frame = Buffer.allocUnsafe(2 + extended + 4 + length);
  frame[0] = first;
  if (extended === 0) frame[1] = 0x80 | length;
  else if (extended === 2) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 0x80 | 127;
    frame.writeUInt32BE(Math.floor(length / 0x100000000), 2);
    frame.writeUInt32BE(length >>> 0, 6);
  }
  const start = 2 + extended + 4;
  frame.set(mask, start - 4);
  for (let index = 0; index < length; index++) frame[start + index] = payload[index]! ^ mask[index & 3]!;
  return frame;
}

/** A server frame (unmasked) as a client would send it back: mask bit set, mask key inserted. */
function maskServerFrame(frame: Buffer, mask: Uint8Array): Buffer {
  expect(frame[1]! & 0x80).toBe(0);
  const code = frame[1]! & 0x7f;
  const headerLength = code === 126 ? 4 : code === 127 ? 10 : 2;
  const length =
    code === 126
      ? frame.readUInt16BE(2)
      : code === 127
        ? frame.readUInt32BE(2) * 0x100000000 + frame.readUInt32BE(6)
        : code;
  expect(frame.length).toBe(headerLength + length);
  // the shortest length encoding
  expect(headerLength).toBe(length < 126 ? 2 : length < 0x10000 ? 4 : 10);
  return clientFrame(frame[0]!, frame.subarray(headerLength), mask);
}

const maskKey = fc.uint8Array({ minLength: 4, maxLength: 4 });

/** A frame payload: mostly short, sometimes at the length-encoding boundaries. */
const framePayload: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 30, arbitrary: fc.uint8Array({ maxLength: 140 }) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom(124, 125, 126, 127, 65_535, 65_536, 65_537), fc.uint8Array({ maxLength: 8 }))
      .map(([length, seed]) => repeated(length, seed)),
  },
);

/** A close frame's body: a status around the allowed ranges, a reason maybe not UTF-8. */
const closeBody: fc.Arbitrary<Buffer> = fc
  .tuple(
    fc.oneof(
      fc.constantFrom(0, 999, 1000, 1003, 1004, 1005, 1006, 1007, 1014, 1015, 1016, 2999, 3000, 4999, 5000),
      fc.nat({ max: 0xffff }),
    ),
    fc.oneof(
      fc.string({ maxLength: 20 }).map((value) => Buffer.from(value)),
      fc.uint8Array({ maxLength: 8 }),
    ),
  )
  .map(([code, reason]) => Buffer.concat([Buffer.of(code >> 8, code & 0xff), reason]));

/** A frame as a client might send it, valid or not in context (random FIN, opcode, length form). */
const anyClientFrame: fc.Arbitrary<Buffer> = fc
  .oneof(
    { weight: 12, arbitrary: fc.constantFrom(CONTINUATION, TEXT, BINARY, CLOSE, PING, PONG) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 15 }) },
  )
  .chain((opcode) =>
    fc.record({
      opcode: fc.constant(opcode),
      fin: fc.boolean(),
      rsv: fc.oneof(
        { weight: 12, arbitrary: fc.constant(0) },
        { weight: 1, arbitrary: fc.constantFrom(0x10, 0x20, 0x40) },
      ),
      payload: fc.oneof(
        { weight: opcode === CLOSE ? 1 : 4, arbitrary: framePayload },
        // UTF-8 text (valid until mutated), and close bodies with codes around the allowed ranges
        {
          weight: 1,
          arbitrary: fc.string({ unit: 'binary', maxLength: 30 }).map((value) => Buffer.from(value)),
        },
        { weight: opcode === CLOSE ? 4 : 1, arbitrary: closeBody },
      ),
      mask: maskKey,
      longForm: fc.oneof(
        { weight: 12, arbitrary: fc.constant(false) },
        { weight: 1, arbitrary: fc.constant(true) },
      ),
    }),
  )
  .map(({ opcode, fin, rsv, payload, mask, longForm }) =>
    clientFrame(
      (fin ? 0x80 : 0) | rsv | opcode,
      payload,
      mask,
      longForm ? (payload.length < 0x10000 ? 8 : undefined) : undefined,
    ),
  );

const maxMessageBytes = fc.constantFrom(0, 16, 200, 70_000, 1024 * 1024);

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const isValidUtf8 = (bytes: Uint8Array): boolean => {
  try {
    strictUtf8.decode(bytes);
    return true;
  } catch {
    return false;
  }
};

/**
 * RFC 6455's rules for a server reading its client, restated plainly over a stream in one piece
 * (the oracle for mutated streams). A frame's header is judged as soon as it is there, its
 * payload once whole; an unfinished last frame is waited for. Where one frame breaks several
 * rules, the reader's order: RSV, mask, a 64-bit length over 2^32 (too large), opcode and
 * fragmentation rules, the message size.
 */
function referenceRead(stream: Buffer, maxBytes: number): WsOutcome {
  const events: WsEvent[] = [];
  const fail = (error: string): WsOutcome => ({ events, error });
  let fragments: Buffer[] | undefined;
  let fragmentedText = false;
  let messageBytes = 0;
  let offset = 0;
  while (stream.length - offset >= 2) {
    const first = stream[offset]!;
    const second = stream[offset + 1]!;
    if ((first & 0x70) !== 0 || (second & 0x80) === 0) return fail('WS_PROTOCOL_ERROR');
    const fin = (first & 0x80) !== 0;
    const opcode = first & 0x0f;
    let length = second & 0x7f;
    let maskAt = offset + 2;
    if (length === 126) {
      if (stream.length - offset < 4) break;
      length = stream.readUInt16BE(offset + 2);
      maskAt = offset + 4;
    } else if (length === 127) {
      if (stream.length - offset < 10) break;
      if (stream.readUInt32BE(offset + 2) !== 0) return fail('WS_MESSAGE_TOO_LARGE');
      length = stream.readUInt32BE(offset + 6);
      maskAt = offset + 10;
    }
    if (opcode >= CLOSE) {
      if (opcode > PONG || !fin || length > 125) return fail('WS_PROTOCOL_ERROR');
    } else {
      if (opcode > BINARY) return fail('WS_PROTOCOL_ERROR');
      if ((opcode === CONTINUATION) !== (fragments !== undefined)) return fail('WS_PROTOCOL_ERROR');
      if (messageBytes + length > maxBytes) return fail('WS_MESSAGE_TOO_LARGE');
    }
    const start = maskAt + 4;
    if (stream.length < start + length) break;
    const payload = Buffer.from(stream.subarray(start, start + length));
    for (let index = 0; index < length; index++)
      payload[index] = payload[index]! ^ stream[maskAt + (index % 4)]!;
    offset = start + length;
    if (opcode === PING) events.push(['ping', hex(payload)]);
    else if (opcode === CLOSE) {
      if (length === 1) return fail('WS_PROTOCOL_ERROR');
      const code = length === 0 ? undefined : payload.readUInt16BE(0);
      const sendable =
        code === undefined ||
        (code >= 1000 && code <= 1014 && ![1004, 1005, 1006].includes(code)) ||
        (code >= 3000 && code <= 4999);
      if (!sendable) return fail('WS_PROTOCOL_ERROR');
      if (!isValidUtf8(payload.subarray(2))) return fail('WS_INVALID_UTF8');
      events.push(['close', code]);
    } else if (opcode !== PONG) {
      if (fragments === undefined) {
        fragments = [];
        fragmentedText = opcode === TEXT;
      }
      fragments.push(payload);
      messageBytes += length;
      if (fin) {
        const whole = Buffer.concat(fragments);
        fragments = undefined;
        messageBytes = 0;
        if (fragmentedText && !isValidUtf8(whole)) return fail('WS_INVALID_UTF8');
        events.push(['message', hex(whole)]);
      }
    }
  }
  return { events, error: undefined };
}

/** The longest start of `text`, whole code points, that fits `max` bytes of UTF-8. */
function fitUtf8(text: string, max: number): string {
  const points = [...text];
  while (Buffer.byteLength(points.join('')) > max) points.pop();
  return points.join('');
}

/** One planned frame of a valid stream, with what the reader must hand on for it. */
interface Planned {
  readonly bytes: Buffer;
  readonly events: WsEvent[];
  /** For a data frame: the bytes of its message so far, this frame included (the size limit's count). */
  readonly messageBytes?: number;
}

type Control =
  | { readonly kind: 'ping' | 'pong'; readonly payload: Uint8Array; readonly mask: Uint8Array }
  | {
      readonly kind: 'close';
      readonly code: number | null;
      readonly reason: string;
      readonly mask: Uint8Array;
    };

const control: fc.Arbitrary<Control> = fc.oneof(
  fc.record({
    kind: fc.constantFrom('ping', 'pong'),
    payload: fc.uint8Array({ maxLength: 125 }),
    mask: maskKey,
  }),
  fc.record({
    kind: fc.constant('close'),
    code: fc.option(fc.oneof(fc.constantFrom(...SENDABLE_CLOSE_CODES), fc.integer({ min: 3000, max: 4999 }))),
    reason: fc.string({ unit: 'grapheme', maxLength: 40 }).map((text) => fitUtf8(text, 123)),
    mask: maskKey,
  }),
) as fc.Arbitrary<Control>;

function planControl(item: Control): Planned {
  if (item.kind === 'close') {
    const body =
      item.code === null ? Buffer.alloc(0) : Buffer.concat([Buffer.alloc(2), Buffer.from(item.reason)]);
    if (item.code !== null) body.writeUInt16BE(item.code, 0);
    return { bytes: clientFrame(0x80 | CLOSE, body, item.mask), events: [['close', item.code ?? undefined]] };
  }
  if (item.kind === 'ping')
    return {
      bytes: clientFrame(0x80 | PING, item.payload, item.mask),
      events: [['ping', hex(item.payload)]],
    };
  return { bytes: clientFrame(0x80 | PONG, item.payload, item.mask), events: [] };
}

interface Message {
  readonly text: boolean;
  readonly body: Uint8Array;
  /** Where the message is cut into fragments (taken modulo its length + 1, sorted). */
  readonly cuts: number[];
  /** Control frames before the message, then after each fragment but the last. */
  readonly controls: Control[][];
  readonly masks: Uint8Array[];
}

const textBody: fc.Arbitrary<Uint8Array> = fc
  .oneof(
    { weight: 20, arbitrary: fc.string({ unit: 'binary', maxLength: 60 }) },
    { weight: 10, arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.string({ unit: 'binary', minLength: 1, maxLength: 3 }), fc.integer({ min: 1, max: 20_000 }))
        .map(([unit, count]) => unit.repeat(count)),
    },
  )
  .map((text) => Buffer.from(text));

const message: fc.Arbitrary<Message> = fc.boolean().chain((text) =>
  fc.record({
    text: fc.constant(text),
    body: text ? textBody : framePayload,
    cuts: fc.array(fc.nat(), { maxLength: 4 }),
    controls: fc.array(fc.array(control, { maxLength: 2 }), { maxLength: 5 }),
    masks: fc.array(maskKey, { minLength: 5, maxLength: 5 }),
  }),
);

/** The frames of `message`: fragments (a text one may split a character) with controls between. */
function planMessage({ text, body, cuts, controls, masks }: Message): Planned[] {
  const bounds = [...new Set(cuts.map((cut) => cut % (body.length + 1)))].sort((a, b) => a - b);
  const fragments: Uint8Array[] = [];
  let from = 0;
  for (const bound of bounds) {
    fragments.push(body.subarray(from, bound));
    from = bound;
  }
  fragments.push(body.subarray(from));
  const planned: Planned[] = (controls[0] ?? []).map(planControl);
  let messageBytes = 0;
  fragments.forEach((fragment, index) => {
    const last = index === fragments.length - 1;
    const opcode = index === 0 ? (text ? TEXT : BINARY) : CONTINUATION;
    messageBytes += fragment.length;
    planned.push({
      bytes: clientFrame((last ? 0x80 : 0) | opcode, fragment, masks[index % masks.length]!),
      events: last ? [['message', hex(body)]] : [],
      messageBytes,
    });
    if (!last) planned.push(...(controls[index + 1] ?? []).map(planControl));
  });
  return planned;
}

/** What a reader limited to `maxBytes` must hand on for `planned`, and the error it then throws. */
function expectedOutcome(planned: readonly Planned[], maxBytes: number): WsOutcome {
  const events: WsEvent[] = [];
  for (const frame of planned) {
    if (frame.messageBytes !== undefined && frame.messageBytes > maxBytes)
      return { events, error: 'WS_MESSAGE_TOO_LARGE' };
    events.push(...frame.events);
  }
  return { events, error: undefined };
}

// ---------------------------------------------------------------------------------------------
// RPC framing: values, msgpack bytes, error checks

/** Runs `read`; anything thrown must be an RpcProtocol ShaddockError. */
function rpcSurvives(read: () => void): void {
  inputs++;
  try {
    read();
  } catch (error) {
    if (!(error instanceof ShaddockError) || error.code !== ErrorCode.RpcProtocol) throw error;
  }
}

/** `decode()`'s value, or the RpcProtocol error it threw (anything else is rethrown). */
function outcome(decode: () => unknown): { value: unknown } | { error: ShaddockError } {
  try {
    return { value: decode() };
  } catch (error) {
    if (!(error instanceof ShaddockError) || error.code !== ErrorCode.RpcProtocol) throw error;
    return { error };
  }
}

function expectSameOutcome(
  actual: { value: unknown } | { error: ShaddockError },
  expected: { value: unknown } | { error: ShaddockError },
): void {
  if ('error' in expected) {
    expect('error' in actual ? 'threw' : actual, `msgpackr threw: ${expected.error.message}`).toBe('threw');
  } else {
    if ('error' in actual) throw actual.error;
    expectSame(actual.value, expected.value);
  }
}

/**
 * Deep equality by prototype, own keys (in order) and values (`Object.is`; dates by time, an
 * invalid one too; typed arrays by bytes; errors without their stacks). Unlike toStrictEqual,
 * not misled by a decoded object's own `constructor` key, which msgpack maps may well carry.
 */
function same(actual: unknown, expected: unknown): boolean {
  if (Object.is(actual, expected)) return true;
  if (typeof actual !== 'object' || typeof expected !== 'object' || actual === null || expected === null)
    return false;
  if (Object.getPrototypeOf(actual) !== Object.getPrototypeOf(expected)) return false;
  if (actual instanceof Date) return Object.is(actual.getTime(), (expected as Date).getTime());
  if (ArrayBuffer.isView(actual)) {
    const other = expected as ArrayBufferView;
    return Buffer.from(actual.buffer, actual.byteOffset, actual.byteLength).equals(
      Buffer.from(other.buffer, other.byteOffset, other.byteLength),
    );
  }
  if (actual instanceof Map) return same([...actual], [...(expected as Map<unknown, unknown>)]);
  // an Error (msgpackr's extension 0x65) by its fields, not its stack
  const ownKeys = (value: object): PropertyKey[] =>
    Reflect.ownKeys(value).filter((key) => !(value instanceof Error && key === 'stack'));
  const keys = ownKeys(actual);
  const otherKeys = ownKeys(expected);
  if (keys.length !== otherKeys.length || keys.some((key, index) => key !== otherKeys[index])) return false;
  const record = actual as Record<PropertyKey, unknown>;
  const otherRecord = expected as Record<PropertyKey, unknown>;
  return keys.every((key) => same(record[key], otherRecord[key]));
}

function expectSame(actual: unknown, expected: unknown): void {
  if (!same(actual, expected))
    expect.fail(
      `decoded differently:\n  got      ${inspect(actual, { depth: 12 })}` +
        `\n  msgpackr ${inspect(expected, { depth: 12 })}`,
    );
}

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code));

const text: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 4, arbitrary: fc.string({ unit: 'binary', maxLength: 80 }) },
  // lone surrogates among other code points (and now and then a pair)
  {
    weight: 3,
    arbitrary: fc.string({
      unit: fc.oneof(loneSurrogate, fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })),
      maxLength: 80,
    }),
  },
  // across the fixstr, short-string and str8 boundaries (31/32, 63/64, 255/256 bytes)
  { weight: 2, arbitrary: fc.string({ unit: 'binary-ascii', minLength: 28, maxLength: 300 }) },
  // exactly at a length boundary of the writer (31/32, 63/64 characters, ...), of every kind of
  // character: below 64 msgpackr encodes in JS (a lone surrogate as 3 bytes), above with Buffer
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        fc.constantFrom(31, 32, 63, 64, 65, 85, 86, 255, 256, 4096, 4097, 21_845, 21_846),
        fc.array(fc.oneof(fc.constantFrom('a', 'é', '€', '😀'), loneSurrogate), {
          minLength: 1,
          maxLength: 4,
        }),
      )
      .map(([length, units]) => {
        let value = '';
        for (let index = 0; value.length < length; index++) value += units[index % units.length];
        return value.slice(0, length);
      }),
  },
  // long: past 4096 characters and 65535 bytes
  {
    weight: 1,
    arbitrary: fc
      .tuple(
        fc.string({
          unit: fc.oneof(loneSurrogate, fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })),
          minLength: 1,
          maxLength: 4,
        }),
        fc.integer({ min: 1, max: 25_000 }),
      )
      .map(([unit, count]) => unit.repeat(count)),
  },
);

const integer: fc.Arbitrary<number> = fc.oneof(
  fc.integer(),
  fc.integer({ min: -300, max: 300 }),
  fc.integer({ min: 0, max: 0xffffffff }),
  fc.constantFrom(...MSGPACK_INTEGER_EDGES),
  fc.maxSafeInteger(),
);

const float: fc.Arbitrary<number> = fc.oneof(fc.double(), fc.float().map(Number));

class Point {
  constructor(
    readonly x: unknown,
    readonly y: unknown,
  ) {}
}

/** A plain object built from entries, `__proto__` included as an own key. */
function objectOf(entries: readonly (readonly [string, unknown])[]): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  for (const [key, value] of entries)
    Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
  return object;
}

const key: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.string({ maxLength: 10 }) },
  {
    weight: 2,
    arbitrary: fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', '', '0', '1'),
  },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
  {
    weight: 1,
    arbitrary: fc.string({ unit: fc.oneof(loneSurrogate, fc.string({ maxLength: 1 })), maxLength: 6 }),
  },
  { weight: 1, arbitrary: fc.string({ minLength: 30, maxLength: 40 }) },
);

/** Values msgpackr encodes: the common RPC shapes, and some it packs by extension. */
const wireValue = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { weight: 4, arbitrary: text },
    { weight: 4, arbitrary: integer },
    { weight: 2, arbitrary: float },
    { weight: 2, arbitrary: fc.constantFrom(true, false, null, undefined) },
    { weight: 3, arbitrary: fc.array(tie('value'), { maxLength: 5 }) },
    { weight: 3, arbitrary: fc.array(fc.tuple(key, tie('value')), { maxLength: 5 }).map(objectOf) },
    // Maps pack as fixmaps (msgpackr writes plain objects as map16)
    {
      weight: 1,
      arbitrary: fc
        .array(fc.tuple(fc.oneof(key, integer), tie('value')), { maxLength: 5 })
        .map((entries) => new Map(entries)),
    },
    { weight: 1, arbitrary: fc.array(tie('value'), { minLength: 16, maxLength: 20 }) },
    { weight: 1, arbitrary: fc.sparseArray(tie('value'), { maxLength: 8 }) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 40 }) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)) },
    { weight: 1, arbitrary: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n }) },
    { weight: 1, arbitrary: fc.date({ noInvalidDate: true }) },
    { weight: 1, arbitrary: fc.tuple(tie('value'), tie('value')).map(([x, y]) => new Point(x, y)) },
  ),
})).value;

/** A value whose encoding throws, somewhere inside. */
const unencodable: fc.Arbitrary<unknown> = fc.oneof(
  fc.oneof(
    fc.bigInt({ min: 2n ** 64n, max: 2n ** 70n }),
    fc.bigInt({ min: -(2n ** 70n), max: -(2n ** 63n) - 1n }),
  ),
  fc.constant(null).map(() => Symbol('unencodable')),
  fc.string({ maxLength: 4 }).map((name) => ({
    kept: name,
    get [`boom${name}`](): unknown {
      throw new Error('getter throws');
    },
  })),
);

/** Values of which some cannot be encoded, at any depth. */
const maybeEncodable: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: wireValue },
  { weight: 1, arbitrary: unencodable },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        fc.array(wireValue, { maxLength: 3 }),
        unencodable,
        fc.array(wireValue, { maxLength: 3 }),
        fc.boolean(),
      )
      .map(([before, bad, after, asObject]) => {
        const list = [...before, bad, ...after];
        return asObject ? objectOf(list.map((item, index) => [`k${index}`, item])) : list;
      }),
  },
);

/** `encodeFrame(value)`, or a frame of null when the value cannot be encoded. */
function frameOf(value: unknown): Buffer {
  try {
    return Buffer.from(encodeFrame(value));
  } catch {
    return Buffer.from(encodeFrame(null));
  }
}

function be(token: number, bytes: number, value: number): Buffer {
  const out = Buffer.alloc(1 + bytes);
  out[0] = token;
  out.writeUIntBE(value, 1, bytes);
  return out;
}

/** A frame's 4-byte big-endian length prefix. */
function lengthPrefix(length: number): Buffer {
  const prefix = Buffer.alloc(4);
  prefix.writeUInt32BE(length, 0);
  return prefix;
}

/** A msgpack header of `kind` for `length`, in the given (maybe not shortest) form. */
function header(kind: 'str' | 'bin' | 'array' | 'map', length: number, form: number): Buffer {
  const fixed = { str: [0xa0, 32], bin: [-1, 0], array: [0x90, 16], map: [0x80, 16] }[kind];
  const wide = {
    str: [0xd9, 0xda, 0xdb],
    bin: [0xc4, 0xc5, 0xc6],
    array: [-1, 0xdc, 0xdd],
    map: [-1, 0xde, 0xdf],
  }[kind];
  if (form === 0 && length < fixed[1]!) return Buffer.of(fixed[0]! | length);
  if (form <= 1 && length < 0x100 && wide[0]! >= 0) return be(wide[0]!, 1, length);
  if (form <= 2 && length < 0x10000) return be(wide[1]!, 2, length);
  return be(wide[2]!, 4, length);
}

const stringBytes: fc.Arbitrary<Uint8Array> = fc.oneof(
  text.map((value) => Buffer.from(value)),
  // any bytes: invalid UTF-8 too
  fc.uint8Array({ maxLength: 40 }),
  fc
    .array(fc.constantFrom(0xc0, 0xc3, 0xe0, 0xed, 0xa0, 0x80, 0xbf, 0xf0, 0xf4, 0x90, 0xff, 0x41), {
      maxLength: 12,
    })
    .map((bytes) => Uint8Array.from(bytes)),
);
const headerForm = fc.oneof(
  { weight: 6, arbitrary: fc.constant(0) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 3 }) },
);

/**
 * Msgpack as any writer may lay it out, not only msgpackr: every width of every type, strings of
 * any bytes, map keys of any type, nesting past PayloadReader's depth limit.
 */
const msgpackBytes = fc.letrec<{ value: Buffer; key: Buffer }>((tie) => ({
  key: fc.oneof(
    {
      weight: 8,
      arbitrary: fc
        .tuple(stringBytes, headerForm)
        .map(([bytes, form]) => Buffer.concat([header('str', bytes.length, form), bytes])),
    },
    { weight: 1, arbitrary: fc.constant(Buffer.from([0xa9, ...Buffer.from('__proto__')])) },
    { weight: 1, arbitrary: tie('value') },
  ),
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { weight: 3, arbitrary: fc.nat({ max: 0x7f }).map((value) => Buffer.of(value)) },
    { weight: 2, arbitrary: fc.integer({ min: -32, max: -1 }).map((value) => Buffer.of(value & 0xff)) },
    { weight: 1, arbitrary: fc.nat({ max: 0xff }).map((value) => be(0xcc, 1, value)) },
    { weight: 1, arbitrary: fc.nat({ max: 0xffff }).map((value) => be(0xcd, 2, value)) },
    { weight: 1, arbitrary: fc.nat({ max: 0xffffffff }).map((value) => be(0xce, 4, value)) },
    { weight: 1, arbitrary: fc.integer({ min: -128, max: 127 }).map((value) => be(0xd0, 1, value & 0xff)) },
    {
      weight: 1,
      arbitrary: fc.integer({ min: -32768, max: 32767 }).map((value) => be(0xd1, 2, value & 0xffff)),
    },
    { weight: 1, arbitrary: fc.integer().map((value) => be(0xd2, 4, value >>> 0)) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.constantFrom(0xcf, 0xd3), fc.uint8Array({ minLength: 8, maxLength: 8 }))
        .map(([token, bytes]) => Buffer.from([token, ...bytes])),
    },
    {
      weight: 1,
      arbitrary: fc.double().map((value) => {
        const out = Buffer.alloc(9);
        out[0] = 0xcb;
        out.writeDoubleBE(value, 1);
        return out;
      }),
    },
    {
      weight: 1,
      arbitrary: fc.float().map((value) => {
        const out = Buffer.alloc(5);
        out[0] = 0xca;
        out.writeFloatBE(value, 1);
        return out;
      }),
    },
    { weight: 2, arbitrary: fc.constantFrom(0xc0, 0xc2, 0xc3, 0xc1).map((token) => Buffer.of(token)) },
    {
      weight: 5,
      arbitrary: fc
        .tuple(stringBytes, headerForm)
        .map(([bytes, form]) => Buffer.concat([header('str', bytes.length, form), bytes])),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.uint8Array({ maxLength: 20 }), fc.integer({ min: 1, max: 3 }))
        .map(([bytes, form]) => Buffer.concat([header('bin', bytes.length, form), bytes])),
    },
    // extensions: undefined (fixext1 type 0), a timestamp, and any other
    { weight: 1, arbitrary: fc.constant(Buffer.of(0xd4, 0, 0)) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(
          fc.constantFrom(0xd4, 0xd5, 0xd6, 0xd7, 0xd8),
          fc.integer({ min: -128, max: 127 }),
          fc.uint8Array({ minLength: 16, maxLength: 16 }),
        )
        .map(([token, type, data]) =>
          Buffer.concat([Buffer.of(token, type & 0xff), data.subarray(0, [1, 2, 4, 8, 16][token - 0xd4])]),
        ),
    },
    {
      weight: 4,
      arbitrary: fc
        .tuple(fc.array(tie('value'), { maxLength: 5 }), headerForm)
        .map(([items, form]) => Buffer.concat([header('array', items.length, form), ...items])),
    },
    {
      weight: 4,
      arbitrary: fc
        .tuple(fc.array(fc.tuple(tie('key'), tie('value')), { maxLength: 4 }), headerForm)
        .map(([entries, form]) => Buffer.concat([header('map', entries.length, form), ...entries.flat()])),
    },
    // deep: fixarrays of one, past the hand reader's depth limit
    {
      weight: 1,
      arbitrary: fc
        .tuple(tie('value'), fc.integer({ min: 1, max: 12 }))
        .map(([inner, depth]) => Buffer.concat([Buffer.alloc(depth, 0x91), inner])),
    },
  ),
})).value;

/** An RPC request or reply payload: `[id, routeId or status, args or result]`, ids of every width. */
const rpcPayload: fc.Arbitrary<Buffer> = fc
  .tuple(
    fc.oneof(fc.constant(Buffer.of(0x93)), fc.constant(Buffer.of(0xdc, 0, 3))),
    fc.array(
      fc.oneof(
        fc.nat({ max: 0x7f }).map((value) => Buffer.of(value)),
        fc.nat({ max: 0xff }).map((value) => be(0xcc, 1, value)),
        fc.nat({ max: 0xffff }).map((value) => be(0xcd, 2, value)),
        fc.nat({ max: 0xffffffff }).map((value) => be(0xce, 4, value)),
        msgpackBytes,
      ),
      { minLength: 2, maxLength: 2 },
    ),
    fc.oneof(
      wireValue.map((value) => {
        try {
          return Buffer.from(packValue(value));
        } catch {
          return Buffer.of(0xc0);
        }
      }),
      msgpackBytes,
    ),
  )
  .map(([head, ids, rest]) => Buffer.concat([head, ...ids, rest]));

/** msgpack payloads: msgpackr's, any writer's, RPC-shaped, random; some mutated. */
const payload: fc.Arbitrary<Buffer> = fc
  .tuple(
    fc.oneof(
      {
        weight: 3,
        arbitrary: wireValue.map((value) => {
          try {
            return Buffer.from(packValue(value));
          } catch {
            return Buffer.of(0xc0);
          }
        }),
      },
      { weight: 3, arbitrary: msgpackBytes },
      { weight: 2, arbitrary: rpcPayload },
      // cut short within its head
      {
        weight: 1,
        arbitrary: fc.tuple(rpcPayload, fc.nat({ max: 12 })).map(([bytes, end]) => bytes.subarray(0, end)),
      },
      { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)) },
    ),
    fc.oneof(
      { weight: 3, arbitrary: fc.constant([]) },
      { weight: 1, arbitrary: fc.array(mutation, { minLength: 1, maxLength: 3 }) },
    ),
  )
  .map(([bytes, mutations]) => (mutations.length === 0 ? bytes : mutate(bytes, mutations)));

/**
 * The payload inside a larger buffer, bytes before and after it (a frame sits in a chunk):
 * msgpackr's paths depend on where the payload ends in its buffer.
 */
const placed = fc
  .tuple(
    payload,
    fc.oneof(fc.nat({ max: 8 }), fc.nat({ max: 300 })),
    fc.uint8Array({ maxLength: 8 }),
    fc.integer({ min: 0, max: 255 }),
  )
  .map(([bytes, before, after, fill]) => {
    const source = Buffer.concat([Buffer.alloc(before, fill), bytes, after]);
    return { source, start: before, end: before + bytes.length };
  });

/** One reader for every input, as one serves all of a connection's frames. */
const payloadReader = new PayloadReader();

const writeValue = (writer: PayloadWriter, value: unknown): void => writer.value(value);

// ---------------------------------------------------------------------------------------------

describe(`wire fuzzing (${runs} runs per property)`, () => {
  afterAll(() => {
    console.log(`wire fuzzing: ${inputs} reader inputs, no unexpected exception`);
  });

  describe('WebSocketFrameReader', () => {
    it('survives random bytes in any chunking', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 96 }), chunkSizes, maxMessageBytes, (bytes, sizes, max) => {
          readWebSocket(chunked(bytes, sizes), max);
          // with the mask bit set, past the first check
          const masked = Buffer.from(bytes);
          if (masked.length > 1) masked[1] = masked[1]! | 0x80;
          readWebSocket(chunked(masked, sizes), max);
        }),
        { numRuns: runs },
      );
    });

    it('survives mutated client frames as RFC 6455 says, the same way in any chunking', () => {
      fc.assert(
        fc.property(
          fc.array(anyClientFrame, { minLength: 1, maxLength: 4 }),
          fc.array(mutation, { maxLength: 4 }),
          chunkSizes,
          maxMessageBytes,
          (frames, mutations, sizes, max) => {
            const stream = mutate(Buffer.concat(frames), mutations);
            const whole = readWebSocket([Buffer.from(stream)], max);
            expect(whole).toEqual(referenceRead(stream, max));
            expect(readWebSocket(chunked(stream, sizes), max)).toEqual(whole);
          },
        ),
        { numRuns: runs },
      );
    });

    it('reads valid messages, fragmented and between control frames, the same in any chunking', () => {
      fc.assert(
        fc.property(
          fc.array(message, { minLength: 1, maxLength: 4 }),
          fc.array(control, { maxLength: 2 }),
          chunkSizes,
          fc.oneof(fc.constant(1024 * 1024), fc.constantFrom(0, 10, 125, 126, 65_535, 65_536)),
          (messages, trailing, sizes, max) => {
            const planned = [...messages.flatMap(planMessage), ...trailing.map(planControl)];
            const stream = Buffer.concat(planned.map((frame) => frame.bytes));
            const expected = expectedOutcome(planned, max);
            expect(readWebSocket([Buffer.from(stream)], max)).toEqual(expected);
            expect(readWebSocket(chunked(stream, sizes), max)).toEqual(expected);
          },
        ),
        { numRuns: runs },
      );
    });

    it('reads back what encodeBinaryFrame and encodeBinaryFrameOf write, once masked', () => {
      fc.assert(
        fc.property(
          fc.array(framePayload, { minLength: 1, maxLength: 3 }),
          maskKey,
          fc.option(fc.constantFrom(...SENDABLE_CLOSE_CODES)),
          fc.uint8Array({ maxLength: 125 }),
          chunkSizes,
          (parts, mask, closeCode, pong, sizes) => {
            const whole = Buffer.concat(parts);
            const single = encodeBinaryFrame(parts[0]!);
            expect(single[0]).toBe(0x82);
            const joined = encodeBinaryFrameOf(parts, whole.length);
            expect(joined.equals(encodeBinaryFrame(whole))).toBe(true);
            const pongFrame = encodePongFrame(pong);
            expect(pongFrame[0]).toBe(0x80 | PONG);
            const stream = Buffer.concat([
              maskServerFrame(single, mask),
              maskServerFrame(pongFrame, mask),
              maskServerFrame(joined, mask),
              maskServerFrame(encodeCloseFrame(closeCode ?? undefined), mask),
            ]);
            expect(readWebSocket(chunked(stream, sizes), 1024 * 1024)).toEqual({
              events: [
                ['message', hex(parts[0]!)],
                ['message', hex(whole)],
                ['close', closeCode ?? undefined],
              ],
              error: undefined,
            });
          },
        ),
        { numRuns: runs },
      );
    });
  });

  describe('RPC framing', () => {
    /** Every way a connection reads `chunks`: decoded frames, and payloads read in place. */
    function readFrames(chunks: readonly Buffer[], maxFrameLength: number | undefined): void {
      rpcSurvives(() => {
        const reader = new FrameReader(maxFrameLength);
        for (const chunk of chunks) reader.push(chunk, () => true);
      });
      rpcSurvives(() => {
        const reader = new FrameReader(maxFrameLength);
        for (const chunk of chunks)
          reader.pushPayloads(chunk, (source, start, end) => {
            rpcSurvives(() => decodePayload(source, start, end));
            rpcSurvives(() => {
              payloadReader.reset(source, start, end);
              if (payloadReader.arrayLength() === 3 && payloadReader.uint() >= 0 && payloadReader.uint() >= 0)
                payloadReader.rest();
            });
            rpcSurvives(() => {
              payloadReader.reset(source, start, end);
              payloadReader.rest();
            });
            return true;
          });
      });
    }

    const maxFrameLength = fc.constantFrom(undefined, 0, 8, 300, 70_000);

    it('survives random bytes and mutated frames in any chunking', () => {
      fc.assert(
        fc.property(
          fc.oneof(
            fc.uint8Array({ maxLength: 96 }).map((bytes) => Buffer.from(bytes)),
            fc
              .tuple(
                fc.array(wireValue, { minLength: 1, maxLength: 3 }),
                fc.array(mutation, { minLength: 1, maxLength: 4 }),
              )
              .map(([values, mutations]) => mutate(Buffer.concat(values.map(frameOf)), mutations)),
            fc
              .tuple(fc.array(payload, { minLength: 1, maxLength: 3 }), fc.array(mutation, { maxLength: 2 }))
              .map(([payloads, mutations]) =>
                mutate(
                  Buffer.concat(payloads.flatMap((bytes) => [lengthPrefix(bytes.length), bytes])),
                  mutations,
                ),
              ),
          ),
          chunkSizes,
          maxFrameLength,
          (stream, sizes, max) => {
            readFrames(chunked(stream, sizes), max);
          },
        ),
        { numRuns: runs },
      );
    });

    it('reads valid frames back whatever the read boundaries', () => {
      fc.assert(
        fc.property(fc.array(payload, { minLength: 1, maxLength: 4 }), chunkSizes, (payloads, sizes) => {
          const frames = payloads.map((bytes) => Buffer.concat([lengthPrefix(bytes.length), bytes]));
          const stream = Buffer.concat(frames);
          const seen: string[] = [];
          const reader = new FrameReader();
          for (const chunk of chunked(stream, sizes))
            reader.pushPayloads(chunk, (source, start, end) => {
              seen.push(hex(source.subarray(start, end)));
              return true;
            });
          expect(seen).toEqual(payloads.map(hex));
          expect(reader.buffered).toBe(0);
          // and decoded: the messages decodePayload gives, up to the first undecodable one
          const decoded: unknown[] = [];
          const expected: unknown[] = [];
          for (const bytes of payloads) {
            const result = outcome(() => decodePayload(bytes));
            if ('error' in result) break;
            expected.push(result.value);
          }
          rpcSurvives(() => {
            const frameReader = new FrameReader();
            for (const chunk of chunked(stream, sizes))
              frameReader.push(chunk, (message) => {
                decoded.push(message);
                return true;
              });
          });
          expectSame(decoded, expected);
        }),
        { numRuns: runs },
      );
    });

    it('PayloadReader.rest() decodes what msgpackr decodes, or throws when it throws', () => {
      fc.assert(
        fc.property(placed, ({ source, start, end }) => {
          inputs++;
          const expected = outcome(() => decodePayload(source, start, end));
          const actual = outcome(() => {
            payloadReader.reset(source, start, end);
            return payloadReader.rest();
          });
          expectSameOutcome(actual, expected);
        }),
        { numRuns: runs },
      );
    });

    it('PayloadReader reads an array head field by field as msgpackr reads the whole', () => {
      fc.assert(
        fc.property(placed, ({ source, start, end }) => {
          inputs++;
          const whole = outcome(() => decodePayload(source, start, end));
          payloadReader.reset(source, start, end);
          const length = payloadReader.arrayLength();
          if (length < 0) return;
          if ('value' in whole) {
            expect(Array.isArray(whole.value)).toBe(true);
            expect((whole.value as unknown[]).length).toBe(length);
          }
          if (length === 0) return;
          // as the RPC receivers do: unsigned integers, then the one value left
          const head: number[] = [];
          while (head.length < length - 1) {
            const value = payloadReader.uint();
            if (value < 0) return;
            head.push(value);
            if ('value' in whole) expect((whole.value as unknown[])[head.length - 1]).toBe(value);
          }
          const rest = outcome(() => payloadReader.rest());
          expectSameOutcome('value' in rest ? { value: [...head, rest.value] } : rest, whole);
        }),
        { numRuns: runs },
      );
    });

    it('PayloadReader and decodePayload look at nothing outside [start, end)', () => {
      /** Everything the readers make of the payload: the head read by hand, the rest, the whole. */
      const readings = (source: Buffer, start: number, end: number): unknown[] => {
        const trace: unknown[] = [];
        payloadReader.reset(source, start, end);
        trace.push(
          payloadReader.arrayLength(),
          payloadReader.uint(),
          payloadReader.uint(),
          payloadReader.uint(),
        );
        const rest = outcome(() => payloadReader.rest());
        payloadReader.reset(source, start, end);
        trace.push('error' in rest ? 'threw' : rest.value, payloadReader.uint());
        const whole = outcome(() => decodePayload(source, start, end));
        trace.push('error' in whole ? 'threw' : whole.value);
        return trace;
      };
      fc.assert(
        fc.property(placed, ({ source, start, end }) => {
          inputs++;
          const changed = Buffer.from(source);
          for (let index = 0; index < changed.length; index++)
            if (index < start || index >= end) changed[index] = changed[index]! ^ 0xff;
          expectSame(readings(changed, start, end), readings(source, start, end));
        }),
        { numRuns: runs },
      );
    });

    // Found by 'reads valid frames back whatever the read boundaries' (before MAX_CHUNKS): a 75 kB
    // frame whose first chunk was shorter than the 4-byte length prefix, then small chunks, took
    // 200 s. When the first chunk kept holds under 4 bytes, every later push reads the prefix
    // again through Buffer.concat over all the chunks kept so far (`#neededLength`; concat walks
    // the whole list even for 4 bytes): work in the square of the chunk count. Fix in
    // frame-codec.ts: keep the head frame's needed length once known (reset with the chunks).
    it('FrameReader reads small chunks in linear work, a first chunk under 4 bytes too (regression)', () => {
      const text = 'x'.repeat(10_000);
      const frame = encodeFrame(text);
      // The work is counted, not timed: the chunks Buffer.concat walks over, in all.
      const concat = vi.spyOn(Buffer, 'concat');
      try {
        for (const firstChunk of [4, 1]) {
          concat.mockClear();
          const reader = new FrameReader();
          const messages: unknown[] = [];
          const onFrame = (message: unknown): boolean => messages.push(message) > 0;
          reader.push(frame.subarray(0, firstChunk), onFrame);
          for (let offset = firstChunk; offset < frame.length; offset++)
            reader.push(frame.subarray(offset, offset + 1), onFrame);
          expect(messages).toEqual([text]);
          const walked = concat.mock.calls.reduce((sum, [list]) => sum + list.length, 0);
          expect(walked, `first chunk of ${firstChunk} bytes`).toBeLessThanOrEqual(2 * frame.length);
        }
      } finally {
        concat.mockRestore();
      }
    });

    it('FrameWriter writes the bytes encodeFrame writes, and nothing of a frame whose encoding throws', () => {
      fc.assert(
        fc.property(
          fc.array(
            fc.record({
              value: maybeEncodable,
              how: fc.constantFrom('value', 'rpc', 'append'),
              id: fc.nat({ max: 0xffffffff }),
              take: fc.option(fc.boolean(), { freq: 3 }),
            }),
            { minLength: 1, maxLength: 5 },
          ),
          (steps) => {
            const writer = new FrameWriter();
            const taken: Buffer[] = [];
            const expected: Buffer[] = [];
            for (const { value, how, id, take } of steps) {
              const message = how === 'rpc' ? [id, id >>> 8, value] : value;
              let reference: Buffer | undefined;
              try {
                reference = Buffer.from(encodeFrame(message));
              } catch {
                reference = undefined;
              }
              const before = writer.byteLength;
              let threw = false;
              try {
                if (how === 'value') writer.frame(writeValue, value, undefined);
                else if (how === 'rpc')
                  writer.frame(
                    (out: PayloadWriter, first: number, last: unknown) => {
                      out.array(3);
                      out.uint(first);
                      out.uint(first >>> 8);
                      out.value(last);
                    },
                    id,
                    value,
                  );
                // a whole frame from elsewhere, as the connector appends pre-encoded ones
                else if (reference !== undefined) writer.appendFrame(Buffer.from(reference));
                else threw = true;
              } catch {
                threw = true;
              }
              expect(threw, 'FrameWriter threw where encodeFrame did not, or the reverse').toBe(
                reference === undefined,
              );
              if (reference === undefined) expect(writer.byteLength).toBe(before);
              else {
                expect(writer.byteLength).toBe(before + reference.length);
                expected.push(reference);
              }
              if (take !== null) {
                taken.push(Buffer.concat(writer.take()));
                writer.recycle(take);
              }
            }
            taken.push(Buffer.concat(writer.take()));
            expect(hex(Buffer.concat(taken))).toBe(hex(Buffer.concat(expected)));
          },
        ),
        { numRuns: runs },
      );
    });
  });
});
