import { decodeHandshakeResponse, PackageType, RouteDictionary, toParsedForm } from '@shaddock/protocol';
import { describe, expect, it } from 'vitest';
import { HandshakeResponses, refusal } from './handshake.js';

const body = (bytes: Uint8Array): Uint8Array => bytes.subarray(4);

describe('HandshakeResponses', () => {
  const dictionary = RouteDictionary.fromRoutes(['area.move.go'], ['onMove']);
  const protos = { server: toParsedForm({ onMove: { 'required uInt32 x': 1 } }), client: {}, version: 'v1' };

  it('sends the dictionary and protos only to a client whose cached version differs', () => {
    const responses = new HandshakeResponses({ heartbeatSeconds: 10, dictionary, protos });
    const full = decodeHandshakeResponse(body(responses.accept({ sys: {} }, undefined)));
    expect(full).toEqual({
      code: 200,
      sys: {
        heartbeat: 10,
        useDict: true,
        dict: dictionary.toJSON(),
        dictVersion: dictionary.version,
        useProto: true,
        protos,
      },
    });
    const cached = responses.accept(
      { sys: { dictVersion: dictionary.version, protoVersion: 'v1' } },
      { hi: 1 },
    );
    expect(decodeHandshakeResponse(body(cached))).toEqual({
      code: 200,
      sys: { heartbeat: 10, useDict: true, useProto: true },
      user: { hi: 1 },
    });
  });

  it('leaves out what is not in use, as Pinus does', () => {
    const responses = new HandshakeResponses({
      heartbeatSeconds: 0,
      dictionary: undefined,
      protos: undefined,
    });
    expect(decodeHandshakeResponse(body(responses.accept({ sys: {} }, undefined)))).toEqual({
      code: 200,
      sys: {},
    });
  });

  it('encodes a refusal as a bare code', () => {
    const bytes = refusal(501);
    expect(bytes[0]).toBe(PackageType.Handshake);
    expect(decodeHandshakeResponse(body(bytes))).toEqual({ code: 501 });
    expect(refusal(501)).toBe(bytes);
  });
});
