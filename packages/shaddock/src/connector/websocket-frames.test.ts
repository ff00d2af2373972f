import {
  BINARY,
  CLOSE,
  CONTINUATION,
  clientFrame,
  closeBody,
  MASK,
  PING,
  PONG,
  readServerFrame,
  type ServerFrame,
  TEXT,
} from '@shaddock/test-support';
import { describe, expect, it } from 'vitest';
import {
  CloseCode,
  encodeBinaryFrame,
  encodeBinaryFrameOf,
  encodeCloseFrame,
  encodePongFrame,
  WebSocketFrameError,
  WebSocketFrameReader,
} from './websocket-frames.js';

type Event =
  | readonly ['message', string]
  | readonly ['ping', string]
  | readonly ['close', number | undefined];

/** What a reader handed on, payloads as hex (copied: they are valid during the call only). */
class Recorder {
  readonly events: Event[] = [];
  readonly reader: WebSocketFrameReader;

  constructor(maxMessageBytes = 1024 * 1024) {
    this.reader = new WebSocketFrameReader(maxMessageBytes, {
      onMessage: (payload) => this.events.push(['message', Buffer.from(payload).toString('hex')]),
      onPing: (payload) => this.events.push(['ping', Buffer.from(payload).toString('hex')]),
      onCloseFrame: (code) => this.events.push(['close', code]),
    });
  }

  /** Pushes each chunk as a fresh copy (the reader unmasks in place). */
  push(...chunks: Uint8Array[]): this {
    for (const chunk of chunks) this.reader.push(Buffer.from(chunk));
    return this;
  }
}

const hex = (payload: Uint8Array | string): string =>
  (typeof payload === 'string' ? Buffer.from(payload) : Buffer.from(payload)).toString('hex');

/** Bytes 0, 1, 2, … (mod 256): a payload whose every byte position is checked. */
const counting = (length: number): Buffer => Buffer.from(Array.from({ length }, (_, index) => index & 0xff));

/** The error `push` throws, or fails the test. */
function frameError(recorder: Recorder, ...chunks: Uint8Array[]): WebSocketFrameError {
  try {
    recorder.push(...chunks);
  } catch (error) {
    expect(error).toBeInstanceOf(WebSocketFrameError);
    return error as WebSocketFrameError;
  }
  throw new Error('the reader accepted the frames');
}

/** A server frame, decoded: FIN, opcode, payload (server frames are never masked), and nothing after it. */
function serverFrame(frame: Buffer): ServerFrame {
  const decoded = readServerFrame(frame);
  expect(decoded?.masked).toBe(false);
  expect(decoded?.bytes.length).toBe(frame.length);
  return decoded!;
}

/** A server frame as a client would send it: the mask bit set and a mask key inserted. */
function maskServerFrame(frame: Buffer, mask: readonly number[] = MASK): Buffer {
  const { headerLength, payload } = serverFrame(frame);
  const header = Buffer.from(frame.subarray(0, headerLength));
  header[1] = header[1]! | 0x80;
  const masked = Buffer.from(payload.map((byte, index) => byte ^ mask[index % 4]!));
  return Buffer.concat([header, Buffer.from(mask), masked]);
}

describe('WebSocketFrameReader', () => {
  it('reads one binary frame', () => {
    const recorder = new Recorder().push(clientFrame(BINARY, Buffer.from([1, 2, 3, 4, 5])));
    expect(recorder.events).toEqual([['message', '0102030405']]);
  });

  it('reads a text frame and an empty frame', () => {
    const recorder = new Recorder().push(clientFrame(TEXT, 'héllo ✓'), clientFrame(BINARY, ''));
    expect(recorder.events).toEqual([
      ['message', hex('héllo ✓')],
      ['message', ''],
    ]);
  });

  it('unmasks every payload length against every mask byte', () => {
    for (let length = 0; length <= 9; length++) {
      const payload = counting(length).map((byte) => byte ^ 0xa5);
      const recorder = new Recorder().push(clientFrame(BINARY, payload, { mask: [0x01, 0x80, 0xff, 0x5a] }));
      expect(recorder.events).toEqual([['message', hex(payload)]]);
    }
  });

  it('reads an unmasked-looking payload with an all-zero mask', () => {
    const recorder = new Recorder().push(clientFrame(BINARY, 'abc', { mask: [0, 0, 0, 0] }));
    expect(recorder.events).toEqual([['message', hex('abc')]]);
  });

  it('reads several frames in one chunk, in order', () => {
    const chunk = Buffer.concat([
      clientFrame(BINARY, 'one'),
      clientFrame(PING, 'p'),
      clientFrame(TEXT, 'two'),
      clientFrame(PONG, 'ignored'),
      clientFrame(BINARY, counting(200)),
      clientFrame(CLOSE, closeBody(1000)),
    ]);
    expect(new Recorder().push(chunk).events).toEqual([
      ['message', hex('one')],
      ['ping', hex('p')],
      ['message', hex('two')],
      ['message', hex(counting(200))],
      ['close', 1000],
    ]);
  });

  describe('frames split across reads', () => {
    // Short, 16-bit and fragmented frames with a control frame in between.
    const stream = Buffer.concat([
      clientFrame(BINARY, 'hello'),
      clientFrame(PING, 'ping!'),
      clientFrame(BINARY, counting(300)),
      clientFrame(TEXT, 'frag', { fin: false }),
      clientFrame(PING, ''),
      clientFrame(CONTINUATION, 'mented ✓', { fin: true }),
      clientFrame(CLOSE, closeBody(1001, 'bye')),
    ]);
    const expected: Event[] = [
      ['message', hex('hello')],
      ['ping', hex('ping!')],
      ['message', hex(counting(300))],
      ['ping', ''],
      ['message', hex('fragmented ✓')],
      ['close', 1001],
    ];

    it('reads the stream whole', () => {
      expect(new Recorder().push(stream).events).toEqual(expected);
    });

    it('reads it split at every byte position into two chunks', () => {
      for (let split = 1; split < stream.length; split++) {
        const recorder = new Recorder().push(stream.subarray(0, split), stream.subarray(split));
        expect(recorder.events, `split at ${split}`).toEqual(expected);
      }
    });

    it('reads it split at every pair of positions into three chunks', () => {
      // Around the headers of the first frames: where a split header or mask key hides.
      for (let first = 1; first < 40; first++) {
        for (let second = first + 1; second < 48; second++) {
          const recorder = new Recorder().push(
            stream.subarray(0, first),
            stream.subarray(first, second),
            stream.subarray(second),
          );
          expect(recorder.events, `split at ${first} and ${second}`).toEqual(expected);
        }
      }
    });

    it('reads it byte by byte', () => {
      const recorder = new Recorder();
      for (let index = 0; index < stream.length; index++) recorder.push(stream.subarray(index, index + 1));
      expect(recorder.events).toEqual(expected);
    });

    it('reads it with empty chunks in between', () => {
      const recorder = new Recorder().push(
        Buffer.alloc(0),
        stream.subarray(0, 3),
        Buffer.alloc(0),
        stream.subarray(3),
        Buffer.alloc(0),
      );
      expect(recorder.events).toEqual(expected);
    });

    it('delivers each frame as soon as it is whole', () => {
      const first = clientFrame(BINARY, 'a');
      const second = clientFrame(BINARY, counting(130));
      const recorder = new Recorder().push(Buffer.concat([first, second.subarray(0, 5)]));
      expect(recorder.events).toEqual([['message', hex('a')]]);
      recorder.push(second.subarray(5, 100));
      expect(recorder.events).toHaveLength(1);
      recorder.push(second.subarray(100));
      expect(recorder.events).toEqual([
        ['message', hex('a')],
        ['message', hex(counting(130))],
      ]);
    });
  });

  describe('payload lengths', () => {
    it.each([125, 126, 200, 65_535, 65_536, 70_000])('reads a %i-byte message', (length) => {
      const payload = counting(length);
      const frame = clientFrame(BINARY, payload);
      const headerBytes = length < 126 ? 2 : length < 0x10000 ? 4 : 10;
      expect(frame.length).toBe(headerBytes + 4 + length);
      expect(new Recorder().push(frame).events).toEqual([['message', hex(payload)]]);
    });

    it('reads a 70,000-byte message in small pieces, split inside its 64-bit length', () => {
      const payload = counting(70_000);
      const frame = clientFrame(BINARY, payload);
      const recorder = new Recorder().push(frame.subarray(0, 1), frame.subarray(1, 6), frame.subarray(6, 12));
      for (let offset = 12; offset < frame.length; offset += 1000) {
        expect(recorder.events).toEqual([]);
        recorder.push(frame.subarray(offset, offset + 1000));
      }
      expect(recorder.events).toEqual([['message', hex(payload)]]);
    });

    it('reads a 200-byte message byte by byte, then one right behind it', () => {
      const payload = counting(200);
      const bytes = Buffer.concat([clientFrame(BINARY, payload), clientFrame(BINARY, 'next')]);
      const recorder = new Recorder();
      for (let index = 0; index < bytes.length; index++) recorder.push(bytes.subarray(index, index + 1));
      expect(recorder.events).toEqual([
        ['message', hex(payload)],
        ['message', hex('next')],
      ]);
    });

    it('accepts a length in a longer form than needed', () => {
      // RFC 6455 asks for the shortest form; readers (as `ws`) accept the others.
      const frame = Buffer.concat([Buffer.from([0x82, 0x80 | 126, 0, 3]), Buffer.from(MASK)]);
      const masked = Buffer.from([1, 2, 3].map((byte, index) => byte ^ MASK[index]!));
      expect(new Recorder().push(Buffer.concat([frame, masked])).events).toEqual([['message', '010203']]);
    });
  });

  describe('fragmented messages', () => {
    it('joins a text message and its continuations, a ping in between', () => {
      const recorder = new Recorder().push(
        clientFrame(TEXT, 'Hel', { fin: false }),
        clientFrame(PING, 'in between'),
        clientFrame(CONTINUATION, 'lo, ', { fin: false }),
        clientFrame(CONTINUATION, 'world', { fin: true }),
      );
      expect(recorder.events).toEqual([
        ['ping', hex('in between')],
        ['message', hex('Hello, world')],
      ]);
    });

    it('joins a binary message and its continuation, a ping and a pong in between', () => {
      const recorder = new Recorder().push(
        clientFrame(BINARY, counting(130), { fin: false }),
        clientFrame(PING, ''),
        clientFrame(PONG, 'unsolicited'),
        clientFrame(CONTINUATION, Buffer.from([0xff, 0xfe]), { fin: true }),
      );
      expect(recorder.events).toEqual([
        ['ping', ''],
        ['message', hex(Buffer.concat([counting(130), Buffer.from([0xff, 0xfe])]))],
      ]);
    });

    it('accepts a UTF-8 character split between fragments', () => {
      const check = Buffer.from('✓'); // three bytes
      const recorder = new Recorder().push(
        clientFrame(TEXT, check.subarray(0, 1), { fin: false }),
        clientFrame(CONTINUATION, check.subarray(1, 2), { fin: false }),
        clientFrame(CONTINUATION, check.subarray(2), { fin: true }),
      );
      expect(recorder.events).toEqual([['message', hex(check)]]);
    });

    it('accepts empty fragments', () => {
      const recorder = new Recorder().push(
        clientFrame(BINARY, '', { fin: false }),
        clientFrame(CONTINUATION, 'x', { fin: false }),
        clientFrame(CONTINUATION, '', { fin: true }),
      );
      expect(recorder.events).toEqual([['message', hex('x')]]);
    });

    it('reads a message after a fragmented one, and a second fragmented one', () => {
      const recorder = new Recorder().push(
        clientFrame(BINARY, 'a', { fin: false }),
        clientFrame(CONTINUATION, 'b'),
        clientFrame(BINARY, 'c'),
        clientFrame(TEXT, 'd', { fin: false }),
        clientFrame(CONTINUATION, 'e'),
      );
      expect(recorder.events).toEqual([
        ['message', hex('ab')],
        ['message', hex('c')],
        ['message', hex('de')],
      ]);
    });

    it('keeps fragments already read when their chunk is reused', () => {
      // The reader unmasks in place; the fragments it keeps must survive the chunk.
      const chunk = Buffer.concat([clientFrame(BINARY, 'first ', { fin: false })]);
      const recorder = new Recorder();
      recorder.reader.push(chunk);
      chunk.fill(0);
      recorder.reader.push(clientFrame(CONTINUATION, 'second'));
      expect(recorder.events).toEqual([['message', hex('first second')]]);
    });
  });

  describe('control frames', () => {
    it('hands on a ping payload of up to 125 bytes', () => {
      expect(new Recorder().push(clientFrame(PING, counting(125))).events).toEqual([
        ['ping', hex(counting(125))],
      ]);
    });

    it('ignores pongs', () => {
      expect(new Recorder().push(clientFrame(PONG, 'x'), clientFrame(PONG, '')).events).toEqual([]);
    });

    it('reads a close frame with a code, with a code and a reason, and without a body', () => {
      const recorder = new Recorder().push(
        clientFrame(CLOSE, closeBody(1000)),
        clientFrame(CLOSE, closeBody(4001, 'going away ✓')),
        clientFrame(CLOSE, ''),
      );
      expect(recorder.events).toEqual([
        ['close', 1000],
        ['close', 4001],
        ['close', undefined],
      ]);
    });
  });

  describe('errors', () => {
    const protocol = [CloseCode.ProtocolError, 'WS_PROTOCOL_ERROR'] as const;
    const tooLarge = [CloseCode.TooLarge, 'WS_MESSAGE_TOO_LARGE'] as const;
    const invalidUtf8 = [CloseCode.InvalidData, 'WS_INVALID_UTF8'] as const;

    const cases: ReadonlyArray<readonly [string, Buffer[], readonly [number, string], number?]> = [
      ['an unmasked frame', [clientFrame(BINARY, 'x', { mask: null })], protocol],
      ['an unmasked control frame', [clientFrame(PING, '', { mask: null })], protocol],
      ['RSV1 set', [clientFrame(BINARY, 'x', { rsv: 0x40 })], protocol],
      ['RSV2 set', [clientFrame(BINARY, 'x', { rsv: 0x20 })], protocol],
      ['RSV3 set', [clientFrame(BINARY, 'x', { rsv: 0x10 })], protocol],
      ['RSV1 on a ping', [clientFrame(PING, 'x', { rsv: 0x40 })], protocol],
      ['reserved data opcode 3', [clientFrame(0x3, 'x')], protocol],
      ['reserved data opcode 7', [clientFrame(0x7, 'x')], protocol],
      ['reserved control opcode 0xB', [clientFrame(0xb, 'x')], protocol],
      ['reserved control opcode 0xF', [clientFrame(0xf, '')], protocol],
      ['a ping over 125 bytes', [clientFrame(PING, counting(126))], protocol],
      [
        'a close frame over 125 bytes',
        [clientFrame(CLOSE, Buffer.concat([closeBody(1000), counting(124)]))],
        protocol,
      ],
      ['a pong over 125 bytes', [clientFrame(PONG, counting(200))], protocol],
      ['a fragmented ping', [clientFrame(PING, 'x', { fin: false })], protocol],
      ['a fragmented close', [clientFrame(CLOSE, closeBody(1000), { fin: false })], protocol],
      ['a continuation without a start', [clientFrame(CONTINUATION, 'x')], protocol],
      ['a final continuation without a start', [clientFrame(CONTINUATION, 'x', { fin: false })], protocol],
      [
        'a binary frame inside a fragmented text message',
        [clientFrame(TEXT, 'a', { fin: false }), clientFrame(BINARY, 'b')],
        protocol,
      ],
      [
        'a text frame inside a fragmented binary message',
        [clientFrame(BINARY, 'a', { fin: false }), clientFrame(TEXT, 'b', { fin: false })],
        protocol,
      ],
      ['a one-byte close body', [clientFrame(CLOSE, Buffer.from([0x03]))], protocol],
      ['a message over the limit in one frame', [clientFrame(BINARY, counting(101))], tooLarge, 100],
      [
        'fragments over the limit together',
        [clientFrame(BINARY, counting(60), { fin: false }), clientFrame(CONTINUATION, counting(41))],
        tooLarge,
        100,
      ],
      [
        'a 64-bit length with its top bit set',
        [Buffer.from([0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 1, ...MASK])],
        tooLarge,
      ],
      ['a 64-bit length over 2^32', [Buffer.from([0x82, 0xff, 0, 0, 0, 1, 0, 0, 0, 0, ...MASK])], tooLarge],
      ['invalid UTF-8 in a text frame', [clientFrame(TEXT, Buffer.from([0x61, 0xff, 0xfe]))], invalidUtf8],
      ['a truncated UTF-8 character', [clientFrame(TEXT, Buffer.from('✓').subarray(0, 2))], invalidUtf8],
      ['a UTF-16 surrogate in UTF-8', [clientFrame(TEXT, Buffer.from([0xed, 0xa0, 0x80]))], invalidUtf8],
      [
        'invalid UTF-8 in a fragmented text message',
        [clientFrame(TEXT, 'ok', { fin: false }), clientFrame(CONTINUATION, Buffer.from([0xc3]))],
        invalidUtf8,
      ],
    ];

    const rows = cases.map(([name, frames, [closeCode, code], limit]) => ({
      name,
      frames,
      closeCode,
      code,
      limit,
    }));

    it.each(rows)('rejects $name', ({ frames, closeCode, code, limit }) => {
      const error = frameError(new Recorder(limit), Buffer.concat(frames));
      expect(error).toMatchObject({ name: 'WebSocketFrameError', closeCode, code });
      expect(error.message).not.toBe('');
    });

    it.each(rows)('rejects $name when it comes byte by byte', ({ frames, closeCode, code, limit }) => {
      const bytes = Buffer.concat(frames);
      const recorder = new Recorder(limit);
      const chunks = Array.from({ length: bytes.length }, (_, index) => bytes.subarray(index, index + 1));
      expect(frameError(recorder, ...chunks)).toMatchObject({ closeCode, code });
    });

    it('accepts a message of exactly the limit, in one frame and in fragments', () => {
      const recorder = new Recorder(100).push(
        clientFrame(BINARY, counting(100)),
        clientFrame(BINARY, counting(60), { fin: false }),
        clientFrame(PING, counting(125)),
        clientFrame(CONTINUATION, counting(40)),
      );
      expect(recorder.events.map(([kind]) => kind)).toEqual(['message', 'ping', 'message']);
    });

    it('does not count control frames toward the message limit', () => {
      const recorder = new Recorder(10).push(clientFrame(PING, counting(125)), clientFrame(BINARY, 'short'));
      expect(recorder.events.map(([kind]) => kind)).toEqual(['ping', 'message']);
    });

    it.each([
      ['16-bit', 1000, 4, 999],
      ['64-bit', 70_000, 10, 65_536],
    ])(
      'rejects an oversize message from its %s header, before the mask and payload',
      (_form, length, headerLength, limit) => {
        const header = clientFrame(BINARY, counting(length)).subarray(0, headerLength);
        const recorder = new Recorder(limit).push(header.subarray(0, headerLength - 1));
        expect(frameError(recorder, header.subarray(headerLength - 1))).toMatchObject({
          closeCode: 1009,
          code: 'WS_MESSAGE_TOO_LARGE',
        });
      },
    );

    it('rejects an oversize continuation from its header', () => {
      const recorder = new Recorder(100).push(clientFrame(BINARY, counting(90), { fin: false }));
      const header = clientFrame(CONTINUATION, counting(11)).subarray(0, 2);
      expect(frameError(recorder, header)).toMatchObject({ closeCode: 1009 });
    });

    it('rejects a 64-bit length with high bits set from the header alone', () => {
      expect(
        frameError(new Recorder(), Buffer.from([0x82, 0xff, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])),
      ).toMatchObject({ closeCode: 1009, code: 'WS_MESSAGE_TOO_LARGE' });
    });

    it('rejects an unmasked frame from its first two bytes', () => {
      expect(frameError(new Recorder(), Buffer.from([0x82, 0x7d]))).toMatchObject({ closeCode: 1002 });
    });

    it('hands on the frames before the bad one', () => {
      const recorder = new Recorder();
      const error = frameError(
        recorder,
        Buffer.concat([clientFrame(BINARY, 'good'), clientFrame(PING, 'p'), clientFrame(0x3, 'bad')]),
      );
      expect(error.code).toBe('WS_PROTOCOL_ERROR');
      expect(recorder.events).toEqual([
        ['message', hex('good')],
        ['ping', hex('p')],
      ]);
    });

    it('does not hand on a text message that is not UTF-8, but does a binary one', () => {
      const recorder = new Recorder().push(clientFrame(BINARY, Buffer.from([0xff])));
      expect(frameError(recorder, clientFrame(TEXT, Buffer.from([0xff])))).toMatchObject({ closeCode: 1007 });
      expect(recorder.events).toEqual([['message', 'ff']]);
    });
  });
});

describe('server frame encoders', () => {
  it.each([
    [0, 2],
    [1, 2],
    [125, 2],
    [126, 4],
    [65_535, 4],
    [65_536, 10],
    [70_000, 10],
  ])('encodeBinaryFrame: %i bytes take a %i-byte header', (length, headerLength) => {
    const payload = counting(length);
    const frame = encodeBinaryFrame(payload);
    expect(frame.length).toBe(headerLength + length);
    expect(frame[0]).toBe(0x82);
    const decoded = serverFrame(frame);
    expect(decoded).toMatchObject({ fin: true, opcode: BINARY, headerLength });
    expect(decoded.payload.equals(payload)).toBe(true);
  });

  it('encodeBinaryFrame writes the length bytes big-endian', () => {
    expect([...encodeBinaryFrame(counting(125)).subarray(0, 2)]).toEqual([0x82, 125]);
    expect([...encodeBinaryFrame(counting(126)).subarray(0, 4)]).toEqual([0x82, 126, 0, 126]);
    expect([...encodeBinaryFrame(counting(65_535)).subarray(0, 4)]).toEqual([0x82, 126, 0xff, 0xff]);
    expect([...encodeBinaryFrame(counting(65_536)).subarray(0, 10)]).toEqual([
      0x82, 127, 0, 0, 0, 0, 0, 1, 0, 0,
    ]);
  });

  it('encodeBinaryFrame copies the payload (a later change does not leak in)', () => {
    const payload = Buffer.from('abc');
    const frame = encodeBinaryFrame(payload);
    payload.fill(0);
    expect(frame.subarray(2).toString()).toBe('abc');
  });

  it.each([
    [[], 0],
    [['one'], 3],
    [['one', '', 'two', 'three'], 11],
  ])('encodeBinaryFrameOf joins %j', (parts, total) => {
    const chunks = parts.map((part) => Buffer.from(part));
    const frame = encodeBinaryFrameOf(chunks, total);
    const decoded = serverFrame(frame);
    expect(decoded).toMatchObject({ fin: true, opcode: BINARY });
    expect(decoded.payload.toString()).toBe(parts.join(''));
  });

  it.each([
    [60, 65],
    [63, 63],
    [32_768, 32_768],
    [40_000, 30_000],
  ])('encodeBinaryFrameOf joins %i + %i bytes with the right header', (first, second) => {
    const chunks = [counting(first), counting(second).map((byte) => byte ^ 0xff)];
    const frame = encodeBinaryFrameOf(chunks, first + second);
    const total = first + second;
    const decoded = serverFrame(frame);
    expect(decoded.headerLength).toBe(total < 126 ? 2 : total < 0x10000 ? 4 : 10);
    expect(decoded.payload.equals(Buffer.concat(chunks))).toBe(true);
    expect(frame.equals(encodeBinaryFrame(Buffer.concat(chunks)))).toBe(true);
  });

  it('encodeCloseFrame: with a code, and without one', () => {
    expect([...encodeCloseFrame()]).toEqual([0x88, 0]);
    expect([...encodeCloseFrame(CloseCode.Normal)]).toEqual([0x88, 2, 0x03, 0xe8]);
    expect([...encodeCloseFrame(CloseCode.ProtocolError)]).toEqual([0x88, 2, 0x03, 0xea]);
    expect([...encodeCloseFrame(CloseCode.InvalidData)]).toEqual([0x88, 2, 0x03, 0xef]);
    expect([...encodeCloseFrame(CloseCode.TooLarge)]).toEqual([0x88, 2, 0x03, 0xf1]);
    expect([...encodeCloseFrame(4999)]).toEqual([0x88, 2, 0x13, 0x87]);
  });

  it('encodePongFrame: the ping payload back, empty or up to 125 bytes', () => {
    expect([...encodePongFrame(new Uint8Array(0))]).toEqual([0x8a, 0]);
    expect([...encodePongFrame(Buffer.from('hi'))]).toEqual([0x8a, 2, 0x68, 0x69]);
    const pong = serverFrame(encodePongFrame(counting(125)));
    expect(pong).toMatchObject({ fin: true, opcode: PONG, headerLength: 2 });
    expect(pong.payload.equals(counting(125))).toBe(true);
  });

  it('has the RFC 6455 close codes', () => {
    expect(CloseCode).toEqual({ Normal: 1000, ProtocolError: 1002, InvalidData: 1007, TooLarge: 1009 });
  });

  it('round-trips through the reader once masked as a client would', () => {
    const recorder = new Recorder();
    for (const length of [0, 3, 125, 126, 65_535, 65_536]) {
      recorder.push(maskServerFrame(encodeBinaryFrame(counting(length))));
    }
    recorder.push(maskServerFrame(encodeBinaryFrameOf([counting(100), counting(100)], 200)));
    recorder.push(maskServerFrame(encodeCloseFrame(1000)), maskServerFrame(encodeCloseFrame()));
    expect(recorder.events).toEqual([
      ...[0, 3, 125, 126, 65_535, 65_536].map((length) => ['message', hex(counting(length))]),
      ['message', hex(Buffer.concat([counting(100), counting(100)]))],
      ['close', 1000],
      ['close', undefined],
    ]);
    // A pong is read, and ignored.
    expect(new Recorder().push(maskServerFrame(encodePongFrame(Buffer.from('x')))).events).toEqual([]);
  });
});
