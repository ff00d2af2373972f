// Golden vectors: the real pinus-protocol package produces and reads every vector, and ours must
// agree byte for byte in both directions.

import { createRequire } from 'node:module';
import {
  decodeMessage,
  decodePackages,
  encodeMessagePackage,
  encodePackage,
  MessageType,
  PackageType,
  type WireMessage,
} from '@shaddock/protocol';
import type { PinusProtocol } from '@shaddock/test-support';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const { Message, Package } = require('pinus-protocol') as PinusProtocol;

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

const ids = [0, 1, 127, 128, 16383, 16384, 2 ** 21 - 1, 2 ** 31 - 1];
const routes = ['', 'a', 'chat.chatHandler.send', 'r'.repeat(255), '路由.处理.方法', 'x\u2028y'];
const codes = [1, 255, 256, 0xffff];
const bodies: Record<string, Uint8Array> = {
  empty: new Uint8Array(0),
  json: utf8(JSON.stringify({ content: 'hello', target: '*' })),
  utf8: utf8(JSON.stringify({ text: '你好，世界 🎮🍊 line\u2028separator' })),
  mebibyte: utf8(JSON.stringify({ blob: 'z'.repeat(1024 * 1024 - 12) })),
};

function pinusEncode(message: WireMessage): Buffer {
  const compressed = typeof message.route === 'number';
  const inner = Message.encode(
    message.id,
    message.type,
    compressed,
    message.route,
    message.body,
    message.compressGzip,
  );
  return Package.encode(Package.TYPE_DATA, inner);
}

function cases(): WireMessage[] {
  const list: WireMessage[] = [];
  for (const body of Object.values(bodies)) {
    for (const id of ids) {
      list.push({ type: MessageType.Response, id, route: '', compressGzip: false, body });
      for (const route of routes)
        list.push({ type: MessageType.Request, id, route, compressGzip: false, body });
    }
    for (const type of [MessageType.Notify, MessageType.Push]) {
      for (const route of [...routes, ...codes]) list.push({ type, id: 0, route, compressGzip: false, body });
    }
    list.push({ type: MessageType.Push, id: 0, route: 7, compressGzip: true, body });
    list.push({ type: MessageType.Request, id: 300, route: 9, compressGzip: false, body });
  }
  return list;
}

function describeCase(message: WireMessage): string {
  const route =
    typeof message.route === 'string' ? `"${message.route.slice(0, 20)}"` : `code ${message.route}`;
  return `type ${message.type} id ${message.id} ${route} body ${message.body.length}B gzip ${message.compressGzip}`;
}

describe('golden vectors against pinus-protocol', () => {
  it('encodes every package type as pinus does, and reads pinus packages', () => {
    for (const type of Object.values(PackageType)) {
      for (const body of Object.values(bodies)) {
        const ours = encodePackage(type, body);
        const theirs = Package.encode(type, body);
        expect(hex(ours)).toBe(hex(theirs));
        const [decoded] = decodePackages(theirs);
        expect(decoded?.type).toBe(type);
        expect(hex(decoded?.body ?? new Uint8Array())).toBe(hex(body));
      }
    }
  });

  it('encodes messages byte for byte as pinus does', () => {
    for (const message of cases()) {
      expect(hex(encodeMessagePackage(message)), describeCase(message)).toBe(hex(pinusEncode(message)));
    }
  });

  it('decodes what pinus encodes', () => {
    for (const message of cases()) {
      const [data] = decodePackages(pinusEncode(message), { maxBodyLength: 2 * 1024 * 1024 });
      const decoded = decodeMessage(data?.body ?? new Uint8Array());
      expect({ ...decoded, body: hex(decoded.body) }, describeCase(message)).toEqual({
        ...message,
        body: hex(message.body),
      });
    }
  });

  it('is decoded by pinus as what we meant', () => {
    for (const message of cases()) {
      const decoded = Package.decode(encodeMessagePackage(message));
      if (Array.isArray(decoded) || decoded.body === null)
        throw new Error('expected one package with a body');
      const theirs = Message.decode(decoded.body);
      expect(theirs.type).toBe(message.type);
      expect(theirs.id).toBe(message.id);
      expect(theirs.compressGzip === 1).toBe(message.compressGzip);
      if (message.type !== MessageType.Response) expect(theirs.route).toBe(message.route);
      expect(hex(theirs.body)).toBe(hex(message.body));
    }
  });

  it('reads several pinus packages in one frame, as a batched write sends them', () => {
    const frame = Buffer.concat([
      Package.encode(Package.TYPE_HEARTBEAT),
      pinusEncode({
        type: MessageType.Push,
        id: 0,
        route: 'onChat',
        compressGzip: false,
        body: bodies.json!,
      }),
      Package.encode(Package.TYPE_KICK, utf8('{"reason":"kick"}')),
    ]);
    expect(decodePackages(frame).map((item) => item.type)).toEqual([
      PackageType.Heartbeat,
      PackageType.Data,
      PackageType.Kick,
    ]);
  });
});
