/**
 * @shaddock/client against a REAL Pinus 1.7 connector (hybridconnector, useDict, useProtobuf,
 * heartbeat 1 s), over WebSocket and raw TCP on the same port.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CachedHandshake,
  type Client,
  ClientErrorCode,
  connect,
  type HandshakeCache,
  memoryCache,
} from '../src/index.js';
import { type PinusServer, startPinusServer } from './pinus/pinus-server.js';
import { nextEvent, pause, record } from './support/helpers.js';

interface Point {
  x: number;
  y: number;
}

/** The fixture's handlers (test/pinus/app), described for typed calls. */
interface FixtureApi {
  requests: {
    'connector.entryHandler.echo': {
      request: { [key: string]: unknown };
      response: { [key: string]: unknown };
    };
    'connector.entryHandler.proto': {
      request: {
        id: number;
        name: string;
        delta?: number;
        nums?: number[];
        tags?: string[];
        pos?: Point;
        path?: Point[];
      };
      response: {
        code: number;
        id?: number;
        name?: string;
        delta?: number;
        sum?: number;
        nums?: number[];
        tags?: string[];
        pos?: Point & { label?: string };
        path?: Point[];
      };
    };
    'connector.entryHandler.pushMe': { request: { n: number; proto?: boolean }; response: { ok: boolean } };
    'connector.entryHandler.notifyMe': { request: { x: string }; response: never };
    'connector.entryHandler.fail': { request: Record<string, never>; response: { code: number } };
    'connector.entryHandler.kickMe': { request: { reason?: string }; response: { ok: boolean } };
  };
  pushes: {
    onPush: { n?: number; fromNotify?: string };
    onProtoPush: { n: number; text?: string; items?: Point[]; values?: number[] };
  };
}

/** A cache that counts its writes: a handshake that resends nothing writes nothing. */
function countingCache(): HandshakeCache & { writes: number } {
  const inner = memoryCache();
  return {
    writes: 0,
    get: () => inner.get(),
    set(value: CachedHandshake) {
      this.writes++;
      inner.set(value);
    },
  };
}

let server: PinusServer;

beforeAll(async () => {
  server = await startPinusServer({ heartbeatSeconds: 1 });
}, 60_000);

afterAll(async () => {
  await server?.stop();
});

describe.each(['ws', 'tcp'] as const)('a real Pinus server over %s', (transport) => {
  async function withClient(
    test: (client: Client<FixtureApi>) => Promise<void>,
    cache?: HandshakeCache,
  ): Promise<void> {
    const client = await connect<FixtureApi>({
      host: server.host,
      port: server.port,
      transport,
      ...(cache === undefined ? {} : { cache }),
    });
    try {
      await test(client);
    } finally {
      await client.close();
    }
  }

  it('handshakes, takes the dictionary and protos, and caches them for the next handshake', async () => {
    const cache = countingCache();
    await withClient(async (client) => {
      expect(client.state).toBe('connected');
      expect(await client.request('connector.entryHandler.echo', { hello: 'world', n: [1, 2] })).toEqual({
        hello: 'world',
        n: [1, 2],
      });
    }, cache);
    const cached = cache.get();
    expect(cache.writes).toBe(1);
    expect(cached?.dict).toMatchObject({
      'connector.entryHandler.echo': expect.any(Number),
      onPush: expect.any(Number),
    });
    expect(cached?.protos?.client).toHaveProperty(['connector.entryHandler.proto']);
    expect(cached?.dictVersion).toEqual(expect.any(String));
    expect(cached?.protoVersion).toEqual(expect.any(String));
    await withClient(async (client) => {
      expect(await client.request('connector.entryHandler.echo', { again: true })).toEqual({ again: true });
      const pushed = new Promise((resolve) => client.once('onPush', resolve));
      await client.request('connector.entryHandler.pushMe', { n: 1 });
      expect(await pushed).toEqual({ n: 1 });
    }, cache);
    expect(cache.writes).toBe(1);
  });

  it('sends requests and notifies, and receives pushes on compressed routes', async () => {
    await withClient(async (client) => {
      const pushes: unknown[] = [];
      client.on('onPush', (body) => pushes.push(body));
      expect(await client.request('connector.entryHandler.pushMe', { n: 5 })).toEqual({ ok: true });
      // The fixture pushes before it responds.
      expect(pushes).toEqual([{ n: 5 }]);
      const fromNotify = new Promise((resolve) => client.once('onPush', resolve));
      client.notify('connector.entryHandler.notifyMe', { x: 'hi' });
      expect(await fromNotify).toEqual({ fromNotify: 'hi' });
    });
  });

  it('encodes and decodes protobuf requests, responses and pushes', async () => {
    await withClient(async (client) => {
      const response = await client.request('connector.entryHandler.proto', {
        id: 7,
        name: 'ünï',
        delta: -3,
        nums: [1, 2, 300],
        tags: ['a', 'b'],
        pos: { x: 5, y: -6 },
        path: [
          { x: 1, y: 1 },
          { x: -1, y: 0 },
        ],
      });
      expect(response).toEqual({
        code: 200,
        id: 7,
        name: 'ünï',
        delta: 3,
        sum: 303,
        nums: [2, 4, 600],
        tags: ['b', 'a'],
        pos: { x: -5, y: 6, label: '5,-6' },
        path: [
          { x: 2, y: 2 },
          { x: 0, y: 1 },
        ],
      });
      const protoPush = new Promise((resolve) => client.once('onProtoPush', resolve));
      await client.request('connector.entryHandler.pushMe', { n: 9, proto: true });
      expect(await protoPush).toEqual({
        n: 9,
        text: 'push 9',
        items: [
          { x: 1, y: 2 },
          { x: -3, y: 4 },
        ],
        values: [9, 10, 11],
      });
    });
  });

  it('resolves a failed handler with its error response', async () => {
    await withClient(async (client) => {
      expect(await client.request('connector.entryHandler.fail', {})).toEqual({ code: 500 });
      expect(client.state).toBe('connected');
    });
  });

  it('emits kick with the reason and closes without reconnecting', async () => {
    const client = await connect<FixtureApi>({
      host: server.host,
      port: server.port,
      transport,
      reconnect: true,
    });
    try {
      const reconnecting = record(client.events, 'reconnecting');
      const kick = nextEvent(client.events, 'kick');
      const closed = nextEvent(client.events, 'closed');
      const pending = client.request('connector.entryHandler.kickMe', {}).catch((error: unknown) => error);
      expect(await kick).toEqual({ reason: 'bye' });
      expect((await closed).error).toMatchObject({ code: ClientErrorCode.Kicked });
      expect(await pending).toMatchObject({ code: ClientErrorCode.Disconnected });
      expect(reconnecting).toEqual([]);
    } finally {
      await client.close();
    }
  });

  it('keeps the connection alive with heartbeats past the server timeout', { timeout: 20_000 }, async () => {
    await withClient(async (client) => {
      const timeouts = record(client.events, 'heartbeat-timeout');
      const disconnects = record(client.events, 'disconnected');
      // Pinus drops a client that sent no heartbeat for 2 × 1 s; wait past that with no traffic.
      await pause(3_000);
      expect(timeouts).toEqual([]);
      expect(disconnects).toEqual([]);
      expect(await client.request('connector.entryHandler.echo', { alive: true })).toEqual({ alive: true });
    });
  });
});
