import { describe, expect, it } from 'vitest';
import { ProtocolError, ProtocolErrorCode } from './errors.js';
import {
  decodeHandshakeRequest,
  decodeHandshakeResponse,
  decodeKick,
  encodeHandshakeRequest,
  encodeHandshakeResponse,
  encodeKick,
  HandshakeCode,
} from './handshake.js';
import { decodePackages, PackageType } from './package.js';

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

function bodyOf(bytes: Uint8Array, type: PackageType): Uint8Array {
  const [item] = decodePackages(bytes);
  expect(item?.type).toBe(type);
  return item?.body ?? new Uint8Array();
}

describe('handshake and kick bodies', () => {
  it('round-trips a js-websocket client handshake', () => {
    const request = {
      sys: { type: 'js-websocket', version: '0.0.1', dictVersion: 'v1', protoVersion: 'p1' },
      user: { id: 7 },
    };
    expect(decodeHandshakeRequest(bodyOf(encodeHandshakeRequest(request), PackageType.Handshake))).toEqual(
      request,
    );
  });

  it('accepts the shapes other Pomelo clients send', () => {
    expect(
      decodeHandshakeRequest(utf8('{"sys":{"type":"unity-socket","version":"0.3.0"},"user":{}}')),
    ).toEqual({
      sys: { type: 'unity-socket', version: '0.3.0' },
      user: {},
    });
    expect(decodeHandshakeRequest(utf8('{"sys":{"version":"0.1.6b","rsa":{}}}'))).toEqual({
      sys: { version: '0.1.6b', rsa: {} },
    });
    expect(decodeHandshakeRequest(utf8('{"sys":{}}'))).toEqual({ sys: {} });
  });

  it('refuses a handshake without sys, as Pomelo and Pinus do (they answer 500 and close)', () => {
    for (const text of ['{}', '{"user":{}}', '{"sys":null}', '{"sys":0}', '{"sys":""}', '{"sys":false}']) {
      expect(() => decodeHandshakeRequest(utf8(text)), text).toThrow(
        expect.objectContaining({ code: ProtocolErrorCode.InvalidHandshake }),
      );
    }
  });

  it("reads the Pomelo JS client's numeric versions: 0 means nothing cached", () => {
    expect(
      decodeHandshakeRequest(utf8('{"sys":{"type":"js-websocket","protoVersion":0,"dictVersion":0}}')),
    ).toEqual({
      sys: { type: 'js-websocket' },
    });
    expect(decodeHandshakeRequest(utf8('{"sys":{"protoVersion":17}}'))).toEqual({
      sys: { protoVersion: '17' },
    });
    expect(() => decodeHandshakeRequest(utf8('{"sys":{"dictVersion":{}}}'))).toThrow(ProtocolError);
  });

  it('rejects handshakes that are not JSON objects of the right shape', () => {
    for (const text of ['', 'nope', '[]', '{"sys":3}', '{"user":"x"}', '{"sys":{"type":5}}']) {
      expect(() => decodeHandshakeRequest(utf8(text)), text).toThrow(ProtocolError);
    }
    expect(() => decodeHandshakeRequest(Uint8Array.of(0xff))).toThrow(ProtocolError);
  });

  it('round-trips a server response', () => {
    const response = {
      code: HandshakeCode.Ok,
      sys: { heartbeat: 3, useDict: true, dict: { 'a.b.c': 1 }, dictVersion: 'x', useProto: false },
      user: { welcome: true },
    };
    expect(decodeHandshakeResponse(bodyOf(encodeHandshakeResponse(response), PackageType.Handshake))).toEqual(
      response,
    );
    expect(() => decodeHandshakeResponse(utf8('{"sys":{}}'))).toThrow(ProtocolError);
  });

  it('encodes a kick as {reason} and reads bare-text reasons too', () => {
    expect(decodeKick(bodyOf(encodeKick('kicked by admin'), PackageType.Kick))).toEqual({
      reason: 'kicked by admin',
    });
    expect(decodeKick(utf8('server closing'))).toEqual({ reason: 'server closing' });
    expect(() => decodeKick(Uint8Array.of(0xc3))).toThrow(
      expect.objectContaining({ code: ProtocolErrorCode.InvalidUtf8 }),
    );
  });
});
