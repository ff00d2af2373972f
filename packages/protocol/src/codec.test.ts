import { describe, expect, it } from 'vitest';
import { codeOf } from '../test/protocol-error-code.js';
import { MessageCodec } from './codec.js';
import { RouteDictionary } from './dictionary.js';
import { ProtocolErrorCode } from './errors.js';
import { decodePackages } from './package.js';
import { ProtobufCodec } from './protobuf/index.js';

const route = 'area.playerHandler.move';
const protos = new ProtobufCodec({ [route]: { 'required uInt32 x': 1 }, onMove: { 'required uInt32 x': 1 } });
const dictionary = RouteDictionary.fromRoutes([route], ['onMove', 'onChat']);
const server = new MessageCodec({ dictionary, serverProtos: protos, clientProtos: protos });
const client = new MessageCodec({ dictionary, serverProtos: protos, clientProtos: protos });

function body(packageBytes: Uint8Array): Uint8Array {
  const [data] = decodePackages(packageBytes);
  if (!data) throw new Error('no package');
  return data.body;
}

describe('message codec', () => {
  it('round-trips requests, responses and pushes with dictionary routes and protobuf bodies', () => {
    const request = server.decodeFromClient(body(client.encodeRequest(7, route, { x: 3 })));
    expect(request).toEqual({ type: 0, id: 7, route, body: { x: 3 } });
    const response = client.decodeFromServer(body(server.encodeResponse(7, route, { x: 4 })), () => route);
    expect(response.body).toEqual({ x: 4 });
    const push = client.decodeFromServer(body(server.encodePush('onChat', { text: 'hi' })), () => undefined);
    expect(push).toEqual({ type: 3, id: 0, route: 'onChat', body: { text: 'hi' } });
  });

  it('reads a JSON error body on a proto route, as servers send errors', () => {
    const plain = new MessageCodec({ dictionary });
    const error = plain.encodeResponse(7, route, { code: 500, message: 'boom' });
    expect(client.decodeFromServer(body(error), () => route).body).toEqual({ code: 500, message: 'boom' });
  });

  it('refuses bodies that are neither the proto nor a JSON object', () => {
    const plain = new MessageCodec({ dictionary });
    const notJson = plain.encodePush('onMove', { x: 1 });
    notJson[notJson.indexOf(0x7b)] = 0x5b;
    expect(codeOf(() => client.decodeFromServer(body(notJson), () => undefined))).toBe(
      ProtocolErrorCode.InvalidProtobuf,
    );
    const notObject = plain.encodeNotify('chat.chatHandler.say', { x: 1 });
    notObject[notObject.length - 1] = 0x5d;
    expect(codeOf(() => server.decodeFromClient(body(notObject)))).toBe(ProtocolErrorCode.InvalidJson);
  });

  it("takes any JSON value from a client, as Pomelo's coder does, and only objects from a server", () => {
    const plain = new MessageCodec();
    const encoder = new TextEncoder();
    for (const value of ['"hello pomelo"', '42', '[1,2]', 'null', 'true', '{"a":1}']) {
      const sent = plain.encodeNotify('connector.entryHandler.entry', {});
      const bytes = new Uint8Array([
        ...body(sent).subarray(0, body(sent).length - 2),
        ...encoder.encode(value),
      ]);
      expect(plain.decodeFromClient(bytes).body).toEqual(JSON.parse(value));
    }
    const push = plain.encodePush('onMove', {});
    const pushed = new Uint8Array([
      ...body(push).subarray(0, body(push).length - 2),
      ...encoder.encode('[1]'),
    ]);
    expect(codeOf(() => plain.decodeFromServer(pushed, () => undefined))).toBe(
      ProtocolErrorCode.BodyNotObject,
    );
  });
});
