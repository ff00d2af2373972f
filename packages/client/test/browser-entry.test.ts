/**
 * The browser entry, run in Node with `ws` standing in for the browser's global WebSocket
 * (it offers the same `binaryType`/`onmessage` API). Real browsers are driven elsewhere.
 */
import type { JsonObject } from '@shaddock/protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { ClientErrorCode, connect, fromGate } from '../src/browser.js';
import { nextPush } from './support/helpers.js';
import { startTestServer } from './support/pomelo-test-server.js';

describe('browser entry', () => {
  beforeEach(() => {
    vi.stubGlobal('WebSocket', WebSocket);
  });

  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('connects with the global WebSocket: requests, pushes, heartbeats, close', async () => {
    const server = await startTestServer({
      heartbeat: 0.02,
      dictionary: ['onChat'],
      handlers: { 'a.b.echo': (body: JsonObject) => body },
    });
    const client = await connect({ host: server.host, port: server.port, heartbeatTimeoutFactor: 50 });
    try {
      expect(await client.request('a.b.echo', { text: 'from a browser' })).toEqual({
        text: 'from a browser',
      });
      const peer = await server.peer(0);
      const pushed = nextPush(client, 'onChat');
      peer.push('onChat', { n: 1 });
      expect(await pushed).toEqual({ n: 1 });
      await peer.heartbeatCount(2);
    } finally {
      await client.close();
      await server.close();
    }
    expect(client.state).toBe('closed');
  });

  it('asks a gate over the global WebSocket, then connects to the connector it names', async () => {
    const connector = await startTestServer({ handlers: { 'a.b.echo': (body: JsonObject) => body } });
    const gate = await startTestServer({
      handlers: {
        'gate.gateHandler.queryEntry': () => ({ code: 200, host: connector.host, port: connector.port }),
      },
    });
    try {
      const client = await connect({ resolve: fromGate({ host: gate.host, port: gate.port }) });
      try {
        expect(client.endpoint).toEqual({ host: connector.host, port: connector.port });
        expect(await client.request('a.b.echo', { via: 'gate' })).toEqual({ via: 'gate' });
        expect(gate.handshakes).toHaveLength(1);
      } finally {
        await client.close();
      }
    } finally {
      await gate.close();
      await connector.close();
    }
  });

  it('refuses TCP, which browsers do not have', async () => {
    await expect(connect({ host: '127.0.0.1', port: 1, transport: 'tcp' })).rejects.toMatchObject({
      code: ClientErrorCode.InvalidOptions,
    });
  });
});
