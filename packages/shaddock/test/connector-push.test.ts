// Push schedulers, stop and drain.
import { connect } from '@shaddock/client';
import { describe, expect, it } from 'vitest';
import type { PushSchedulerOption } from '../src/connector/index.js';
import type { Session } from '../src/session/index.js';
import {
  decodeData,
  ECHO,
  eventually,
  HOLD,
  Message,
  Package,
  PUSH,
  pause,
  RawClient,
  requestPackage,
  startConnector,
} from './connector-harness.js';

/** Every DATA package received, decoded, in order. */
async function takeData(client: RawClient, count: number): Promise<ReturnType<typeof decodeData>[]> {
  const taken = [];
  for (let index = 0; index < count; index++) taken.push(decodeData(await client.next(Package.TYPE_DATA)));
  return taken;
}

describe('push schedulers', () => {
  it("direct: writes each push at once (a turn's in one frame), in order, once each", async () => {
    const harness = await startConnector({ config: { pushScheduler: 'direct' } });
    try {
      const client = await RawClient.ws(harness.port);
      await client.open();
      await client.next(Package.TYPE_HEARTBEAT);
      const before = client.frames.length;
      client.send(requestPackage(1, PUSH, { n: 5 }));
      const messages = await takeData(client, 6);
      const { TYPE_PUSH, TYPE_RESPONSE } = Message;
      expect(messages.map((message) => message.type)).toEqual([...Array(5).fill(TYPE_PUSH), TYPE_RESPONSE]);
      expect(messages.slice(0, 5).map((message) => message.body['index'])).toEqual([0, 1, 2, 3, 4]);
      expect(messages[5]).toMatchObject({ id: 1, type: Message.TYPE_RESPONSE, body: { pushed: 5 } });
      // Each package once; what the handler's turn wrote shares a frame.
      const frames = client.frames.slice(before);
      expect(frames.reduce((sum, count) => sum + count, 0)).toBe(6);
      expect(frames.length).toBeLessThan(6);
      client.destroy();
    } finally {
      await harness.close();
    }
  });

  const buffered: ReadonlyArray<PushSchedulerOption> = ['buffer', { type: 'buffer', flushMs: 5 }];
  it.each(buffered)(
    'buffer (%j): one write per connection per flush, the response kept behind',
    async (option) => {
      const harness = await startConnector({ config: { pushScheduler: option } });
      try {
        const clients = [await RawClient.ws(harness.port), await RawClient.ws(harness.port)];
        for (const client of clients) {
          await client.open();
          await client.next(Package.TYPE_HEARTBEAT);
        }
        await eventually(() => harness.sessions.sessionCount === 2);
        const [first, second] = clients as [RawClient, RawClient];
        const before = first.frames.length;
        first.send(requestPackage(1, PUSH, { n: 5 }));
        const messages = await takeData(first, 6);
        expect(messages.slice(0, 5).map((message) => message.body['index'])).toEqual([0, 1, 2, 3, 4]);
        expect(messages[5]).toMatchObject({ id: 1, type: Message.TYPE_RESPONSE });
        // Five pushes and the response that followed them, in ONE frame.
        expect(first.frames.slice(before)).toEqual([6]);

        // A broadcast in one turn: every connection gets its packages in one frame.
        const sessions: Session[] = [];
        harness.sessions.forEachSession((session) => sessions.push(session));
        const secondBefore = second.frames.length;
        for (let index = 0; index < 10; index++) {
          harness.connector.send(harness.connector.encodePush('onPush', { index }), sessions);
        }
        for (const client of clients) {
          const pushes = await takeData(client, 10);
          expect(pushes.map((push) => push.body['index'])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        }
        expect(second.frames.slice(secondBefore)).toEqual([10]);
        await pause(20);
        expect(first.received).toEqual([]);
        for (const client of clients) client.destroy();
      } finally {
        await harness.close();
      }
    },
  );

  it('buffer over TCP keeps order and writes each package once', async () => {
    const harness = await startConnector({ config: { pushScheduler: 'buffer' } });
    try {
      const client = await connect({ host: '127.0.0.1', port: harness.port, transport: 'tcp' });
      const pushes: number[] = [];
      client.on('onPush', (body) => pushes.push(body['index'] as number));
      expect(await client.request(PUSH, { n: 100 })).toEqual({ pushed: 100 });
      expect(pushes).toEqual(Array.from({ length: 100 }, (_, index) => index));
      await client.close();
    } finally {
      await harness.close();
    }
  });

  it('refuses an unknown scheduler', async () => {
    await expect(startConnector({ config: { pushScheduler: 'fast' as 'direct' } })).rejects.toMatchObject({
      code: 'SHADDOCK_ERR_CONNECTOR_CONFIG_INVALID',
    });
  });
});

describe('stop and drain', () => {
  it.each(['ws', 'tcp'] as const)('stop kicks every %s client with "server stopping"', async (transport) => {
    const harness = await startConnector();
    try {
      const clients = await Promise.all(
        [1, 2, 3].map(() => connect({ host: '127.0.0.1', port: harness.port, transport })),
      );
      for (const client of clients) await client.request(ECHO, {});
      const kicks = clients.map((client) => new Promise((resolve) => client.events.once('kick', resolve)));
      await harness.connector.stop(false);
      expect(await Promise.all(kicks)).toEqual([1, 2, 3].map(() => ({ reason: 'server stopping' })));
      expect(harness.connector.connectionCount).toBe(0);
      expect(harness.sessions.sessionCount).toBe(0);
    } finally {
      await harness.close();
    }
  });

  it('drain stops accepting and waits for the messages in the handlers', async () => {
    const harness = await startConnector();
    try {
      const client = await connect({ host: '127.0.0.1', port: harness.port, transport: 'tcp' });
      const reply = client.request(HOLD, { last: true });
      await harness.handlers.until(() => harness.handlers.held.length === 1);
      let drained = false;
      const draining = harness.connector.drain(30_000).then(() => {
        drained = true;
      });
      await expect(
        connect({ host: '127.0.0.1', port: harness.port, transport: 'tcp' }),
      ).rejects.toMatchObject({
        code: 'SHADDOCK_ERR_CLIENT_CONNECT_FAILED',
      });
      await pause(20);
      expect(drained).toBe(false);
      harness.handlers.held[0]?.resolve({ done: true });
      await draining;
      expect(await reply).toEqual({ done: true });
      await client.close();
    } finally {
      await harness.close();
    }
  });

  it('refuses encodePush before start', async () => {
    const { ConnectorServer } = await import('../src/connector/index.js');
    expect(() => new ConnectorServer().encodePush('onX', {})).toThrow(
      expect.objectContaining({ code: 'SHADDOCK_ERR_CONNECTOR_NOT_STARTED' }),
    );
  });
});
