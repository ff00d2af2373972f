import type { JsonObject } from '@shaddock/protocol';
import { describe, expect, it } from 'vitest';
import { ClientErrorCode, connect, isClientError, memoryCache } from '../src/index.js';
import { deferred, nextPush } from './support/helpers.js';
import {
  startTestServer,
  type TestPeer,
  type TestProtos,
  type TestServerOptions,
} from './support/pomelo-test-server.js';

const PROTOS: TestProtos = {
  version: 'protos-1',
  client: {
    'area.playerHandler.move': { 'required uInt32 x': 1, 'required uInt32 y': 2, 'repeated string tags': 3 },
  },
  server: {
    'area.playerHandler.move': { 'required uInt32 code': 1, 'optional string echo': 2 },
    onMove: { 'message Point': { 'required sInt32 x': 1, 'required sInt32 y': 2 }, 'repeated Point path': 1 },
  },
};

describe.each(['ws', 'tcp'] as const)('over %s', (transport) => {
  async function withServer(
    options: TestServerOptions,
    test: (port: number) => Promise<void>,
  ): Promise<void> {
    const server = await startTestServer({ transport, ...options });
    try {
      await test(server.port);
    } finally {
      await server.close();
    }
  }

  it('handshakes as pomelo-jsclient-websocket does and exposes the user data', async () => {
    const server = await startTestServer({ transport, heartbeat: 10 });
    const client = await connect({ host: server.host, port: server.port, transport, user: { token: 't' } });
    try {
      expect(client.state).toBe('connected');
      expect(client.handshake).toEqual({ welcome: { token: 't' } });
      expect(server.handshakes[0]?.request).toEqual({
        sys: { type: 'js-websocket', version: '0.0.1' },
        user: { token: 't' },
      });
      await server.peer(0);
    } finally {
      await client.close();
      await server.close();
    }
    expect(client.state).toBe('closed');
  });

  it('rejects a refused handshake with its code', async () => {
    await withServer({ handshakeCode: 501 }, async (port) => {
      const error = await connect({ host: '127.0.0.1', port, transport }).catch((caught: unknown) => caught);
      expect(isClientError(error, ClientErrorCode.HandshakeRejected)).toBe(true);
      expect(error).toMatchObject({ handshakeCode: 501 });
    });
  });

  it('resolves requests with their responses, whatever they hold', async () => {
    const handlers = {
      'connector.entryHandler.echo': (body: JsonObject) => ({ echo: body }),
      'connector.entryHandler.fail': () => ({ code: 500 }),
    };
    await withServer({ handlers }, async (port) => {
      const client = await connect({ host: '127.0.0.1', port, transport });
      try {
        const replies = await Promise.all(
          [1, 2, 3].map((n) => client.request('connector.entryHandler.echo', { n, text: 'é🍊' })),
        );
        expect(replies).toEqual([1, 2, 3].map((n) => ({ echo: { n, text: 'é🍊' } })));
        expect(await client.request('connector.entryHandler.fail', {})).toEqual({ code: 500 });
      } finally {
        await client.close();
      }
    });
  });

  it('sends notifies and receives pushes, with compressed routes from the dictionary', async () => {
    const handlers = {
      'chat.chatHandler.say': (body: JsonObject, peer: TestPeer) => {
        peer.push('onChat', { said: body });
        return undefined;
      },
    };
    await withServer({ handlers, dictionary: ['chat.chatHandler.say', 'onChat'] }, async (port) => {
      const client = await connect({ host: '127.0.0.1', port, transport });
      try {
        const pushed = nextPush(client, 'onChat');
        client.notify('chat.chatHandler.say', { text: 'hi' });
        expect(await pushed).toEqual({ said: { text: 'hi' } });
      } finally {
        await client.close();
      }
    });
  });

  it('dispatches pushes by route to on/once listeners, and off removes them', async () => {
    const server = await startTestServer({ transport, dictionary: ['onChat'] });
    const client = await connect({ host: server.host, port: server.port, transport });
    try {
      const peer = await server.peer(0);
      const seen: unknown[] = [];
      const listener = (body: object): void => {
        seen.push(body);
      };
      client.on('onChat', listener);
      const first = nextPush(client, 'onChat');
      peer.push('onChat', { n: 1 });
      peer.push('onOther', { ignored: true });
      expect(await first).toEqual({ n: 1 });
      client.off('onChat', listener);
      const second = nextPush(client, 'onChat');
      peer.push('onChat', { n: 2 });
      expect(await second).toEqual({ n: 2 });
      expect(seen).toEqual([{ n: 1 }]);
    } finally {
      await client.close();
      await server.close();
    }
  });

  it('encodes and decodes protobuf bodies from the handshake protos', async () => {
    const received = deferred<object>();
    const handlers = {
      'area.playerHandler.move': (body: JsonObject) => {
        received.resolve(body);
        return { code: 200, echo: 'moved' };
      },
    };
    const server = await startTestServer({ transport, protos: PROTOS, handlers });
    const client = await connect({ host: server.host, port: server.port, transport });
    try {
      const reply = await client.request('area.playerHandler.move', { x: 3, y: 4, tags: ['a', 'b'] });
      expect(reply).toEqual({ code: 200, echo: 'moved' });
      expect(await received.promise).toEqual({ x: 3, y: 4, tags: ['a', 'b'] });
      const peer = await server.peer(0);
      const pushed = nextPush(client, 'onMove');
      peer.push('onMove', { path: [{ x: -1, y: 2 }] });
      expect(await pushed).toEqual({ path: [{ x: -1, y: 2 }] });
      await expect(client.request('area.playerHandler.move', { x: 'not a number' })).rejects.toMatchObject({
        code: ClientErrorCode.EncodeFailed,
      });
      expect(client.state).toBe('connected');
    } finally {
      await client.close();
      await server.close();
    }
  });

  it('caches the dictionary and protos: the next handshake gets neither resent', async () => {
    const handlers = { 'area.playerHandler.move': () => ({ code: 200 }) };
    const server = await startTestServer({ transport, protos: PROTOS, handlers, dictionary: ['onMove'] });
    const cache = memoryCache();
    try {
      for (const round of [0, 1]) {
        const client = await connect({ host: server.host, port: server.port, transport, cache });
        try {
          expect(await client.request('area.playerHandler.move', { x: 1, y: 2 })).toEqual({ code: 200 });
          const peer = await server.peer(round);
          const pushed = nextPush(client, 'onMove');
          peer.push('onMove', { path: [] });
          expect(await pushed).toEqual({});
        } finally {
          await client.close();
        }
      }
      const [first, second] = server.handshakes;
      expect(first?.response.sys?.dict).toBeDefined();
      expect(first?.response.sys?.protos).toBeDefined();
      expect(second?.request.sys.dictVersion).toBe(first?.response.sys?.dictVersion);
      expect(second?.request.sys.protoVersion).toBe('protos-1');
      expect(second?.response.sys).toMatchObject({ useDict: true, useProto: true });
      expect(second?.response.sys?.dict).toBeUndefined();
      expect(second?.response.sys?.protos).toBeUndefined();
    } finally {
      await server.close();
    }
  });
});
