import { describe, expect, it } from 'vitest';
import { codeOf } from '../test/protocol-error-code.js';
import { ProtocolErrorCode } from './errors.js';
import { decodeMessage, encodeMessagePackage, MessageType, type WireMessage } from './message.js';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

function messageBytes(message: WireMessage): Uint8Array {
  return encodeMessagePackage(message).subarray(4);
}

const request = (id: number, route: string | number = 'a.b.c'): WireMessage => ({
  type: MessageType.Request,
  id,
  route,
  compressGzip: false,
  body: Uint8Array.of(0x7b, 0x7d),
});

describe('message layer', () => {
  it('packs the flag byte: route bit, type bits, gzip bit', () => {
    expect(
      hex(
        messageBytes({
          type: MessageType.Push,
          id: 0,
          route: 258,
          compressGzip: true,
          body: new Uint8Array(),
        }),
      ),
    ).toBe('170102');
    expect(
      hex(
        messageBytes({
          type: MessageType.Notify,
          id: 0,
          route: 'ab',
          compressGzip: false,
          body: new Uint8Array(),
        }),
      ),
    ).toBe('02026162');
  });

  it('writes ids as base-128 varints, least significant group first', () => {
    expect(hex(messageBytes(request(300, 1)))).toBe('01ac0200017b7d');
    expect(hex(messageBytes(request(2 ** 31 - 1, 1)).subarray(1, 6))).toBe('ffffffff07');
  });

  it('round-trips every message type', () => {
    for (const message of [
      request(5),
      { ...request(0), type: MessageType.Notify },
      { ...request(9, ''), type: MessageType.Response },
      { ...request(0, 77), type: MessageType.Push },
    ]) {
      const decoded = decodeMessage(messageBytes(message));
      expect({ ...decoded, body: hex(decoded.body) }).toEqual({ ...message, body: hex(message.body) });
    }
  });

  it('refuses to encode ids, routes and codes out of range', () => {
    expect(codeOf(() => encodeMessagePackage(request(2 ** 31)))).toBe(ProtocolErrorCode.InvalidMessageId);
    expect(codeOf(() => encodeMessagePackage(request(-1)))).toBe(ProtocolErrorCode.InvalidMessageId);
    expect(codeOf(() => encodeMessagePackage(request(1, 'é'.repeat(128))))).toBe(
      ProtocolErrorCode.InvalidRoute,
    );
    expect(codeOf(() => encodeMessagePackage(request(1, 0x10000)))).toBe(ProtocolErrorCode.InvalidRoute);
  });

  it('gives each malformed message its code', () => {
    expect(codeOf(() => decodeMessage(new Uint8Array()))).toBe(ProtocolErrorCode.TruncatedMessage);
    expect(codeOf(() => decodeMessage(Uint8Array.of(0x08)))).toBe(ProtocolErrorCode.UnknownMessageType);
    expect(codeOf(() => decodeMessage(Uint8Array.of(0x00, 0x80, 0x80)))).toBe(
      ProtocolErrorCode.InvalidMessageId,
    );
    expect(codeOf(() => decodeMessage(Uint8Array.of(0x00, 0xff, 0xff, 0xff, 0xff, 0x7f)))).toBe(
      ProtocolErrorCode.InvalidMessageId,
    );
    expect(codeOf(() => decodeMessage(Uint8Array.of(0x00, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01)))).toBe(
      ProtocolErrorCode.InvalidMessageId,
    );
    expect(codeOf(() => decodeMessage(Uint8Array.of(0x01, 0x01, 0x00)))).toBe(
      ProtocolErrorCode.TruncatedMessage,
    );
    expect(codeOf(() => decodeMessage(Uint8Array.of(0x02)))).toBe(ProtocolErrorCode.TruncatedMessage);
    expect(codeOf(() => decodeMessage(Uint8Array.of(0x02, 0x05, 0x61)))).toBe(ProtocolErrorCode.InvalidRoute);
    expect(codeOf(() => decodeMessage(Uint8Array.of(0x02, 0x02, 0xc3, 0x28)))).toBe(
      ProtocolErrorCode.InvalidUtf8,
    );
  });

  it('refuses message types a side must not receive', () => {
    const push = messageBytes({ ...request(0, 3), type: MessageType.Push });
    const accept = [MessageType.Request, MessageType.Notify];
    expect(codeOf(() => decodeMessage(push, { accept }))).toBe(ProtocolErrorCode.ForbiddenMessageType);
    const response = messageBytes({ ...request(4, ''), type: MessageType.Response });
    expect(codeOf(() => decodeMessage(response, { accept }))).toBe(ProtocolErrorCode.ForbiddenMessageType);
  });
});
