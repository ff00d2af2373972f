import { createServer, type Server } from 'node:net';
import type { JsonObject } from '@shaddock/protocol';
import { describe, expect, it } from 'vitest';
import { ClientErrorCode, connect, isClientError } from '../src/index.js';
import { nextEvent, pause, record } from './support/helpers.js';
import { startTestServer } from './support/pomelo-test-server.js';

const never = (): Promise<undefined> => new Promise(() => {});

/** A TCP server that accepts connections and never says a word. */
async function mute(): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => socket.on('error', () => {}).resume());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port };
}

async function closeMute(server: Server): Promise<void> {
  await new Promise((resolve) => server.close(resolve));
}

describe('failures', () => {
  it('rejects a request that gets no response in time, and keeps the connection', async () => {
    const server = await startTestServer({ handlers: { 'a.b.slow': never, 'a.b.echo': (body) => body } });
    const client = await connect({ host: server.host, port: server.port, requestTimeout: 20 });
    try {
      const error = await client.request('a.b.slow', {}).catch((caught: unknown) => caught);
      expect(isClientError(error, ClientErrorCode.Timeout)).toBe(true);
      await expect(client.request('a.b.slow', {}, { timeout: 10 })).rejects.toMatchObject({
        code: ClientErrorCode.Timeout,
      });
      expect(await client.request('a.b.echo', { ok: 1 }, { timeout: 5000 })).toEqual({ ok: 1 });
    } finally {
      await client.close();
      await server.close();
    }
  });

  it('drops a response that arrives after its request timed out', async () => {
    let answer: ((body: { late: boolean }) => void) | undefined;
    const handlers = {
      'a.b.late': () => new Promise<{ late: boolean }>((resolve) => (answer = resolve)),
      'a.b.echo': (body: JsonObject) => body,
    };
    const server = await startTestServer({ handlers });
    const client = await connect({ host: server.host, port: server.port });
    try {
      await expect(client.request('a.b.late', {}, { timeout: 10 })).rejects.toMatchObject({
        code: ClientErrorCode.Timeout,
      });
      answer?.({ late: true });
      expect(await client.request('a.b.echo', { n: 1 })).toEqual({ n: 1 });
      expect(client.state).toBe('connected');
    } finally {
      await client.close();
      await server.close();
    }
  });

  it('rejects pending requests at once when the connection drops', async () => {
    const server = await startTestServer({ handlers: { 'a.b.slow': never } });
    const client = await connect({ host: server.host, port: server.port });
    try {
      const disconnected = nextEvent(client.events, 'disconnected');
      const pending = client.request('a.b.slow', {}).catch((error: unknown) => error);
      const peer = await server.peer(0);
      peer.drop();
      expect(await pending).toMatchObject({ code: ClientErrorCode.Disconnected });
      expect(await disconnected).toMatchObject({ reason: 'connection-lost' });
      expect(client.state).toBe('closed');
      await expect(client.request('a.b.slow', {})).rejects.toMatchObject({ code: ClientErrorCode.Closed });
    } finally {
      await client.close();
      await server.close();
    }
  });

  it('rejects pending requests with Closed on close(), and later calls at once', async () => {
    const server = await startTestServer({ handlers: { 'a.b.slow': never } });
    const client = await connect({ host: server.host, port: server.port });
    try {
      const closed = nextEvent(client.events, 'closed');
      const pending = client.request('a.b.slow', {}).catch((error: unknown) => error);
      await client.close();
      expect(await pending).toMatchObject({ code: ClientErrorCode.Closed });
      expect(await closed).toEqual({ error: undefined });
      expect(() => client.notify('a.b.slow', {})).toThrow(
        expect.objectContaining({ code: ClientErrorCode.Closed }),
      );
      await client.close();
    } finally {
      await server.close();
    }
  });

  it('emits kick, closes, and does not reconnect', async () => {
    const server = await startTestServer({ handlers: { 'a.b.slow': never } });
    const client = await connect({ host: server.host, port: server.port, reconnect: { initialDelay: 1 } });
    try {
      const reconnecting = record(client.events, 'reconnecting');
      const kick = nextEvent(client.events, 'kick');
      const closed = nextEvent(client.events, 'closed');
      const pending = client.request('a.b.slow', {}).catch((error: unknown) => error);
      (await server.peer(0)).kick('bye');
      expect(await kick).toEqual({ reason: 'bye' });
      expect((await closed).error).toMatchObject({ code: ClientErrorCode.Kicked });
      expect(await pending).toMatchObject({ code: ClientErrorCode.Disconnected });
      expect(client.state).toBe('closed');
      await pause(20);
      expect(reconnecting).toEqual([]);
      expect(server.handshakes).toHaveLength(1);
    } finally {
      await client.close();
      await server.close();
    }
  });

  it('sends a heartbeat after each of the server, at the announced interval', async () => {
    const server = await startTestServer({ heartbeat: 0.02 });
    // A generous factor: a loaded test machine must not look like a silent server.
    const client = await connect({ host: server.host, port: server.port, heartbeatTimeoutFactor: 50 });
    try {
      const timeouts = record(client.events, 'heartbeat-timeout');
      const peer = await server.peer(0);
      await peer.heartbeatCount(5);
      expect(client.state).toBe('connected');
      expect(timeouts).toEqual([]);
    } finally {
      await client.close();
      await server.close();
    }
  });

  it('detects a silent server: heartbeat-timeout, then the connection is dropped', async () => {
    const server = await startTestServer({ heartbeat: 0.02, silent: true, handlers: { 'a.b.slow': never } });
    const client = await connect({ host: server.host, port: server.port });
    try {
      const timeout = nextEvent(client.events, 'heartbeat-timeout');
      const disconnected = nextEvent(client.events, 'disconnected');
      const pending = client.request('a.b.slow', {}).catch((error: unknown) => error);
      expect(await timeout).toEqual({ timeout: 40 });
      expect((await disconnected).reason).toBe('heartbeat-timeout');
      expect(await pending).toMatchObject({ code: ClientErrorCode.Disconnected });
      expect(client.state).toBe('closed');
    } finally {
      await client.close();
      await server.close();
    }
  });

  it.each([
    ['an unknown package type', [9, 0, 0, 0]],
    ['a truncated package', [4, 0, 0, 9, 1]],
    ['a push that is not JSON', [4, 0, 0, 5, 6, 2, 0x6f, 0x6e, 0x7b]],
    ['a push on an unknown route code', [4, 0, 0, 3, 7, 0, 99]],
  ])('treats %s as a protocol error: error event, then closed', async (_name, bytes) => {
    const server = await startTestServer({ handlers: { 'a.b.slow': never } });
    const client = await connect({ host: server.host, port: server.port, reconnect: true });
    try {
      const error = nextEvent(client.events, 'error');
      const closed = nextEvent(client.events, 'closed');
      const pending = client.request('a.b.slow', {}).catch((error: unknown) => error);
      (await server.peer(0)).sendRaw(Uint8Array.from(bytes));
      expect(await error).toMatchObject({ code: ClientErrorCode.Protocol });
      expect((await closed).error).toMatchObject({ code: ClientErrorCode.Protocol });
      expect(await pending).toMatchObject({ code: ClientErrorCode.Disconnected });
      expect(client.state).toBe('closed');
    } finally {
      await client.close();
      await server.close();
    }
  });

  it('rejects connect() when nothing listens', async () => {
    const { server, port } = await mute();
    await closeMute(server);
    for (const transport of ['ws', 'tcp'] as const) {
      await expect(connect({ host: '127.0.0.1', port, transport })).rejects.toMatchObject({
        code: ClientErrorCode.ConnectFailed,
      });
    }
  });

  it('times out a WebSocket that never opens, and a handshake never answered', async () => {
    const { server, port } = await mute();
    const handshakeless = await startTestServer({ ignoreHandshake: true });
    try {
      await expect(connect({ host: '127.0.0.1', port, connectTimeout: 20 })).rejects.toMatchObject({
        code: ClientErrorCode.ConnectTimeout,
      });
      await expect(
        connect({ host: '127.0.0.1', port, transport: 'tcp', handshakeTimeout: 20 }),
      ).rejects.toMatchObject({ code: ClientErrorCode.HandshakeTimeout });
      await expect(
        connect({ host: '127.0.0.1', port: handshakeless.port, handshakeTimeout: 20 }),
      ).rejects.toMatchObject({ code: ClientErrorCode.HandshakeTimeout });
    } finally {
      await closeMute(server);
      await handshakeless.close();
    }
  });

  it('rejects invalid options', async () => {
    await expect(connect({ host: '127.0.0.1', port: 0 })).rejects.toMatchObject({
      code: ClientErrorCode.InvalidOptions,
    });
    await expect(connect({ host: '127.0.0.1', port: 1, heartbeatTimeoutFactor: 1 })).rejects.toMatchObject({
      code: ClientErrorCode.InvalidOptions,
    });
  });
});
