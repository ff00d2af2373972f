import { describe, expect, it } from 'vitest';
import { ClientErrorCode, type ClientState, connect } from '../src/index.js';
import { closedPort, nextEvent, record } from './support/helpers.js';
import { startTestServer } from './support/pomelo-test-server.js';

describe('reconnect', () => {
  it.each(['ws', 'tcp'] as const)(
    'reconnects over %s after the server drops the socket, and handshakes again',
    async (transport) => {
      const server = await startTestServer({ transport, handlers: { 'a.b.echo': (body) => body } });
      const client = await connect({
        host: server.host,
        port: server.port,
        transport,
        user: { id: 1 },
        reconnect: { initialDelay: 5, maxDelay: 20 },
      });
      try {
        const states: ClientState[] = [];
        const events = record(client.events, 'disconnected');
        const reconnecting = record(client.events, 'reconnecting');
        client.events.on('reconnecting', () => states.push(client.state));
        const reconnected = nextEvent(client.events, 'reconnected');
        (await server.peer(0)).drop();
        expect(await reconnected).toEqual({ attempt: 1 });
        expect(events.map((event) => event.reason)).toEqual(['connection-lost']);
        expect(reconnecting).toMatchObject([{ attempt: 1 }]);
        expect(states).toEqual(['reconnecting']);
        expect(client.state).toBe('connected');
        expect(server.handshakes.map((handshake) => handshake.request.user)).toEqual([{ id: 1 }, { id: 1 }]);
        expect(await client.request('a.b.echo', { again: true })).toEqual({ again: true });
      } finally {
        await client.close();
        await server.close();
      }
    },
  );

  it('reconnects after a heartbeat timeout', async () => {
    const server = await startTestServer({ heartbeat: 0.02, silent: true });
    const client = await connect({ host: server.host, port: server.port, reconnect: { initialDelay: 1 } });
    try {
      const timeout = nextEvent(client.events, 'heartbeat-timeout');
      const reconnected = nextEvent(client.events, 'reconnected');
      await timeout;
      expect(await reconnected).toEqual({ attempt: 1 });
    } finally {
      await client.close();
      await server.close();
    }
  });

  it('gives up after maxAttempts with ReconnectFailed, and closes', async () => {
    const server = await startTestServer();
    const client = await connect({
      host: server.host,
      port: server.port,
      reconnect: { maxAttempts: 3, initialDelay: 1, maxDelay: 4, jitter: 0 },
    });
    try {
      const reconnecting = record(client.events, 'reconnecting');
      const error = nextEvent(client.events, 'error');
      const closed = nextEvent(client.events, 'closed');
      await server.close();
      expect(await error).toMatchObject({ code: ClientErrorCode.ReconnectFailed });
      expect((await closed).error).toMatchObject({ code: ClientErrorCode.ReconnectFailed });
      expect(reconnecting).toEqual([
        { attempt: 1, delay: 1 },
        { attempt: 2, delay: 2 },
        { attempt: 3, delay: 4 },
      ]);
      expect(client.state).toBe('closed');
    } finally {
      await client.close();
    }
  });

  it('stops reconnecting when closed, and rejects calls while reconnecting', async () => {
    const server = await startTestServer();
    const client = await connect({
      host: server.host,
      port: server.port,
      reconnect: { initialDelay: 60_000 },
    });
    try {
      const reconnecting = nextEvent(client.events, 'reconnecting');
      (await server.peer(0)).drop();
      await reconnecting;
      expect(client.state).toBe('reconnecting');
      await expect(client.request('a.b.c', {})).rejects.toMatchObject({ code: ClientErrorCode.NotConnected });
      await client.close();
      expect(client.state).toBe('closed');
      expect(server.handshakes).toHaveLength(1);
    } finally {
      await client.close();
      await server.close();
    }
  });

  it('does not reconnect when the first connect fails', async () => {
    const port = await closedPort();
    await expect(connect({ host: '127.0.0.1', port, reconnect: true })).rejects.toMatchObject({
      code: ClientErrorCode.ConnectFailed,
    });
  });
});
