import { readFileSync } from 'node:fs';
import type { JsonObject } from '@shaddock/protocol';
import { describe, expect, it } from 'vitest';
import { ClientErrorCode, connect } from '../src/index.js';
import { nextPush } from './support/helpers.js';
import { startTestServer } from './support/pomelo-test-server.js';

const key = readFileSync(new URL('./support/tls/key.pem', import.meta.url), 'utf8');
const cert = readFileSync(new URL('./support/tls/cert.pem', import.meta.url), 'utf8');

describe('transports', () => {
  it('reads TCP packages split across reads, and several packages in one read', async () => {
    const handlers = { 'a.b.echo': (body: JsonObject) => ({ echo: body }) };
    const server = await startTestServer({ transport: 'tcp', splitWrites: 7, heartbeat: 10, handlers });
    const client = await connect({ host: server.host, port: server.port, transport: 'tcp' });
    try {
      const text = 'x'.repeat(100);
      expect(await client.request('a.b.echo', { text })).toEqual({ echo: { text } });
      const peer = await server.peer(0);
      const pushes: JsonObject[] = [];
      client.on('onTick', (body) => pushes.push(body));
      const last = nextPush(client, 'onLast');
      // Pieces of 7 bytes: most end inside a package, some hold the end of one and the start of the next.
      const packages = [0, 1, 2, 3, 4].map((n) => server.codec.encodePush('onTick', { n }));
      packages.push(server.codec.encodePush('onLast', {}));
      peer.sendRaw(concat(packages));
      await last;
      expect(pushes).toEqual([0, 1, 2, 3, 4].map((n) => ({ n })));
    } finally {
      await client.close();
      await server.close();
    }
  });

  it('reads several packages from one WebSocket message, as a Pomelo batch sends them', async () => {
    const server = await startTestServer();
    const client = await connect({ host: server.host, port: server.port });
    try {
      const pushes: JsonObject[] = [];
      client.on('onTick', (body) => pushes.push(body));
      const last = nextPush(client, 'onLast');
      const packages = [0, 1, 2].map((n) => server.codec.encodePush('onTick', { n }));
      packages.push(server.codec.encodePush('onLast', {}));
      (await server.peer(0)).sendRaw(concat(packages));
      await last;
      expect(pushes).toEqual([{ n: 0 }, { n: 1 }, { n: 2 }]);
    } finally {
      await client.close();
      await server.close();
    }
  });

  it.each(['ws', 'tcp'] as const)('connects over TLS (%s) trusting the given CA', async (transport) => {
    const server = await startTestServer({
      transport,
      tls: { key, cert },
      handlers: { 'a.b.echo': (body) => body },
    });
    try {
      for (const tls of [{ ca: cert }, { rejectUnauthorized: false }]) {
        const client = await connect({ host: 'localhost', port: server.port, transport, tls });
        try {
          expect(await client.request('a.b.echo', { secure: true })).toEqual({ secure: true });
        } finally {
          await client.close();
        }
      }
      await expect(
        connect({ host: '127.0.0.1', port: server.port, transport, tls: true }),
      ).rejects.toMatchObject({
        code: ClientErrorCode.ConnectFailed,
      });
    } finally {
      await server.close();
    }
  });
});

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const bytes = new Uint8Array(parts.reduce((total, part) => total + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    bytes.set(part, offset);
    offset += part.length;
  }
  return bytes;
}
