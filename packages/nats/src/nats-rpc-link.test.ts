import { randomBytes } from 'node:crypto';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { natsUnavailable, TEST_NATS_URL } from '@shaddock/test-support';
import { Packr } from 'msgpackr';
import { LocalMembership, type RpcLink, ServerUnavailable, tcpRpcLink } from 'shaddock';
import { decodePayload, RemoteRegistry, RpcClient, RpcServer } from 'shaddock/internal';
import { describeRpcLinkContract, recordingLogger, waitUntil } from 'shaddock/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { NatsRpcLink } from './nats-rpc-link.js';

const NATS_URL = TEST_NATS_URL;

const available = (await natsUnavailable('the NATS RPC link tests')) === undefined;

let clusters = 0;
/** A cluster name no other run uses, so runs sharing one NATS never meet. */
function uniqueCluster(): string {
  return `test-${process.pid}-${Date.now().toString(36)}-${++clusters}`;
}

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function natsConnection(): Promise<NatsConnection> {
  const nc = await connect({ servers: NATS_URL });
  cleanups.push(() => (nc.isClosed() ? undefined : nc.close()));
  return nc;
}

/** A link on a NATS connection of its own (one per simulated process). */
async function natsLink(cluster: string): Promise<{ link: NatsRpcLink; nc: NatsConnection }> {
  const nc = await natsConnection();
  // its lines (dropped messages, a NATS connection the test closes) stay out of the test output
  const link = new NatsRpcLink({ cluster, connection: async () => nc, logger: recordingLogger().logger });
  cleanups.push(() => link.close());
  return { link, nc };
}

class ChatRemote {
  echo(value: unknown): unknown {
    return value;
  }
  async fail(code?: string | number): Promise<never> {
    throw Object.assign(new Error('no such room'), code === undefined ? {} : { code });
  }
  never(): Promise<never> {
    return new Promise(() => {});
  }
}

const chat = (method: string) => ({
  namespace: 'user' as const,
  serverType: 'chat',
  remote: 'chatRemote',
  method,
});

/** A chat server on `serverLink` and a client on `clientLink` that finds it through membership. */
async function rpcPair(serverLink: RpcLink, clientLink: RpcLink, options: { timeout?: number } = {}) {
  const membership = new LocalMembership();
  const remotes = new RemoteRegistry();
  remotes.registerRemote('chat', 'chatRemote', new ChatRemote());
  const server = new RpcServer({ host: '127.0.0.1', port: 0, serverId: 'chat-1', remotes, link: serverLink });
  const port = await server.start();
  cleanups.push(() => server.stop(0));
  membership.add({ id: 'chat-1', serverType: 'chat', host: '127.0.0.1', port, frontend: false });
  const client = new RpcClient({ serverId: 'connector-1', membership, link: clientLink, ...options });
  cleanups.push(() => client.close());
  return { server, client, membership };
}

/** What a test compares of an error: the same over TCP and over NATS. */
function shape(error: unknown): Record<string, unknown> {
  const { name, message, code, remoteCode, serverId } = error as Record<string, unknown>;
  return { name, message, code, remoteCode, serverId, constructor: (error as object).constructor };
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

if (!available) {
  describe.skip('the RPC link over NATS (no NATS server)', () => {
    it(`needs a NATS server at ${NATS_URL}`, () => {});
  });
} else {
  describeRpcLinkContract('nats', async () => {
    const nc = await connect({ servers: NATS_URL });
    const link = new NatsRpcLink({
      cluster: uniqueCluster(),
      connection: async () => nc,
      release: () => nc.close(),
    });
    return {
      link,
      close: async () => {
        await link.close();
        if (!nc.isClosed()) await nc.close();
      },
    };
  });

  describe('RpcClient and RpcServer over the NATS link', () => {
    it('calls remotes, each call getting its own answer', async () => {
      const cluster = uniqueCluster();
      const { client } = await rpcPair((await natsLink(cluster)).link, (await natsLink(cluster)).link);
      const value = { nested: [1, 'two', { three: true }], nothing: null, bytes: Buffer.from([1, 2]) };
      expect(await client.invoke('chat-1', chat('echo'), [value])).toEqual(value);
      const results = await Promise.all(
        Array.from({ length: 1_000 }, (_, index) => client.invoke('chat-1', chat('echo'), [index])),
      );
      expect(results).toEqual(Array.from({ length: 1_000 }, (_, index) => index));
      expect(client.pendingCount).toBe(0);
    });

    it('fails a remote error and a timeout exactly as over TCP', async () => {
      const cluster = uniqueCluster();
      const nats = await rpcPair((await natsLink(cluster)).link, (await natsLink(cluster)).link);
      const tcp = await rpcPair(tcpRpcLink, tcpRpcLink);
      for (const args of [['ROOM_MISSING'], [500], []]) {
        const overNats = await failure(nats.client.invoke('chat-1', chat('fail'), args));
        const overTcp = await failure(tcp.client.invoke('chat-1', chat('fail'), args));
        expect(shape(overNats)).toEqual(shape(overTcp));
        expect(overNats).toMatchObject({
          name: 'RemoteError',
          message: expect.stringContaining('no such room'),
        });
      }
      const started = Date.now();
      const timedOutOverNats = await failure(
        nats.client.invoke('chat-1', chat('never'), [], { timeout: 150 }),
      );
      expect(Date.now() - started).toBeLessThan(1_000);
      const timedOutOverTcp = await failure(tcp.client.invoke('chat-1', chat('never'), [], { timeout: 150 }));
      expect(shape(timedOutOverNats)).toEqual(shape(timedOutOverTcp));
      expect(timedOutOverNats).toMatchObject({ name: 'RpcTimeout' });
      // the connection is still good after both
      expect(await nats.client.invoke('chat-1', chat('echo'), ['still here'])).toBe('still here');
    });

    it('fails at once when the server is not there, with the TCP error class', async () => {
      const cluster = uniqueCluster();
      const membership = new LocalMembership();
      membership.add({ id: 'chat-9', serverType: 'chat', host: '127.0.0.1', port: 1, frontend: false });
      const { link } = await natsLink(cluster);
      const client = new RpcClient({ serverId: 'connector-1', membership, link, timeout: 60_000 });
      cleanups.push(() => client.close());
      const started = Date.now();
      const error = await failure(client.invoke('chat-9', chat('echo'), [1]));
      expect(error).toBeInstanceOf(ServerUnavailable);
      expect((error as Error).message).toContain('no server listens as chat-9');
      expect(Date.now() - started).toBeLessThan(1_000);
    });

    it('carries values larger than max_payload whole, and a turn of many frames larger than it', async () => {
      const cluster = uniqueCluster();
      const { link: serverLink, nc } = await natsLink(cluster);
      const { client } = await rpcPair(serverLink, (await natsLink(cluster)).link);
      const maxPayload = nc.info?.max_payload ?? 1024 * 1024;
      const large = 'ab'.repeat(Math.ceil((maxPayload * 3) / 2) + 12_345);
      expect(await client.invoke('chat-1', chat('echo'), [large])).toBe(large);
      const bytes = Buffer.alloc(maxPayload + 1, 7);
      const echoedBytes = await client.invoke('chat-1', chat('echo'), [bytes]);
      // compared by Buffer, not element by element (a million of them)
      expect(Buffer.isBuffer(echoedBytes) && bytes.equals(echoedBytes)).toBe(true);
      // 64 KiB values, 40 in one turn: one batch cut in pieces, frames split across them
      const values = Array.from({ length: 40 }, (_, index) => String(index % 10).repeat(64 * 1024 + index));
      const echoed = await Promise.all(values.map((value) => client.invoke('chat-1', chat('echo'), [value])));
      expect(echoed).toEqual(values);
    });

    it('keeps two clusters on one NATS apart', async () => {
      const { link: serverLink } = await natsLink(uniqueCluster());
      const listener = await serverLink.listen({ id: 'chat-1', host: '' }, {}, () => ({
        onPayload: () => {},
      }));
      cleanups.push(() => listener.close());
      const { link: otherCluster } = await natsLink(uniqueCluster());
      await expect(
        otherCluster.connect({ id: 'chat-1', host: '' }, { connectTimeout: 2_000 }, { onPayload: () => {} }),
      ).rejects.toThrow('no server listens as chat-1');
    });
  });

  describe('the NATS link: names', () => {
    it('takes server ids with dots, and refuses names that cannot be subjects', async () => {
      expect(() => new NatsRpcLink({ cluster: 'a.b', connection: () => natsConnection() })).toThrow(
        'cannot be a NATS subject token',
      );
      const { link } = await natsLink(uniqueCluster());
      const handlers = { onPayload: () => {} };
      await expect(
        link.connect({ id: 'chat *', host: '' }, { connectTimeout: 500 }, handlers),
      ).rejects.toThrow('cannot be part of a NATS subject');
      await expect(link.listen({ id: 'chat.>', host: '' }, {}, () => handlers)).rejects.toThrow(
        'cannot be part of a NATS subject',
      );
      const received: unknown[] = [];
      const listener = await link.listen({ id: 'area.chat-1', host: '' }, {}, () => ({
        onPayload: (source, start, end) => received.push(decodePayload(source, start, end)),
      }));
      cleanups.push(() => listener.close());
      const socket = await link.connect({ id: 'area.chat-1', host: '' }, { connectTimeout: 2_000 }, handlers);
      socket.send('dotted');
      await waitUntil(() => received.length === 1, 2_000, 'the frame arrives');
      expect(received).toEqual(['dotted']);
      await expect(
        link.connect({ id: 'area', host: '' }, { connectTimeout: 2_000 }, handlers),
      ).rejects.toThrow('no server listens as area');
    });
  });

  describe('the NATS link under foreign traffic and failures', () => {
    it('drops garbage on its subjects, crashes nothing, and keeps serving', async () => {
      const cluster = uniqueCluster();
      const { logger, records } = recordingLogger('debug');
      const serverSide = await natsLink(cluster);
      const clientNc = await natsConnection();
      const clientLink = new NatsRpcLink({ cluster, connection: async () => clientNc, logger });
      cleanups.push(() => clientLink.close());
      const { client } = await rpcPair(serverSide.link, clientLink);

      // watch the cluster's RPC subjects to learn the link's data subjects
      const spy = await natsConnection();
      const seen = new Map<string, Uint8Array>();
      spy.subscribe(`shaddock.${cluster}.rpc.>`, {
        callback: (_, msg) => {
          seen.set(msg.subject, msg.data);
        },
      });
      await spy.flush();
      expect(await client.invoke('chat-1', chat('echo'), ['before'])).toBe('before');
      const dataSubjectsSeen = () => [...seen.keys()].filter((subject) => !subject.endsWith('.open'));
      // the spy hears the reply's message a moment after the client does
      await waitUntil(() => dataSubjectsSeen().length >= 2, 2_000, 'the data subjects are seen');
      const dataSubjects = dataSubjectsSeen();
      expect(dataSubjects.length).toBeGreaterThanOrEqual(2);

      const garbage: Uint8Array[] = [
        new Uint8Array(0),
        Buffer.from('hello'),
        Buffer.from('\x00\x00\x00\x05hello world, not a frame'),
        // a data header naming a connection nobody has
        Buffer.from([0xa1, 0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 0, 0, 0, 0, 1, 0xc0]),
        Buffer.from([0xa3, 0, 0, 0, 1, 0, 0, 0, 0]),
        Buffer.alloc(5000, 0xff),
      ];
      for (const subject of dataSubjects) for (const message of garbage) spy.publish(subject, message);
      const openSubject = `shaddock.${cluster}.rpc.chat-1.open`;
      for (const message of garbage) spy.publish(openSubject, message);
      const refused = await spy.request(openSubject, Buffer.from('not msgpack at all'), { timeout: 2_000 });
      expect(new Packr({ useRecords: false }).unpack(refused.data)).toEqual({
        error: 'malformed open request',
      });
      // an open request that would make the server publish outside the cluster's subjects
      const outside = new Packr({ useRecords: false }).pack({
        subject: 'elsewhere.x',
        id: 1,
        from: 'x',
        confirmWithin: 10,
      });
      const refusedOutside = await spy.request(openSubject, outside, { timeout: 2_000 });
      expect(new Packr({ useRecords: false }).unpack(refusedOutside.data)).toEqual({
        error: 'malformed open request',
      });
      await spy.flush();

      expect(await client.invoke('chat-1', chat('echo'), ['after'])).toBe('after');
      await waitUntil(
        () => clientLink.droppedMessages >= garbage.length,
        2_000,
        'the client link counts its drops',
      );
      expect(serverSide.link.droppedMessages).toBeGreaterThanOrEqual(garbage.length * 2);
      // logged, but not one line per message
      const dropLines = records.filter((record) => record.msg === 'RPC over NATS dropped a message');
      expect(dropLines.length).toBeGreaterThan(0);
      expect(dropLines.length).toBeLessThan(garbage.length);
    });

    it('drops a message replayed into a live connection, or forged for it, and keeps serving', async () => {
      const cluster = uniqueCluster();
      const serverSide = await natsLink(cluster);
      const clientSide = await natsLink(cluster);
      const { client } = await rpcPair(serverSide.link, clientSide.link);
      const spy = await natsConnection();
      let serverData: { subject: string; data: Uint8Array } | undefined;
      spy.subscribe(`shaddock.${cluster}.rpc.chat-1.*`, {
        callback: (_, msg) => {
          if (!msg.subject.endsWith('.open')) serverData ??= { subject: msg.subject, data: msg.data };
        },
      });
      await spy.flush();
      expect(await client.invoke('chat-1', chat('echo'), [1])).toBe(1);
      await waitUntil(() => serverData !== undefined, 2_000, 'a client message is seen');
      // the same message again: its MAC is right, its sequence behind the server's count
      const replayed = Buffer.from(serverData!.data);
      spy.publish(serverData!.subject, replayed);
      // the next sequence, with bytes of its own: its MAC is wrong
      const forged = Buffer.from(serverData!.data);
      forged.writeUInt32BE(forged.readUInt32BE(5) + 5, 5);
      spy.publish(serverData!.subject, forged);
      await spy.flush();
      await waitUntil(() => serverSide.link.droppedMessages >= 2, 2_000, 'the server drops both');
      expect(serverSide.link.connectionCount).toBe(1);
      expect(await client.invoke('chat-1', chat('echo'), [2])).toBe(2);
      expect(clientSide.link.connectionCount).toBe(1);
    });

    it('drops a server end the client never confirms', async () => {
      const cluster = uniqueCluster();
      const { link } = await natsLink(cluster);
      const listener = await link.listen({ id: 'chat-1', host: '' }, {}, () => ({ onPayload: () => {} }));
      cleanups.push(() => listener.close());
      const spy = await natsConnection();
      const request = new Packr({ useRecords: false }).pack({
        subject: `shaddock.${cluster}.rpc.caller.nobody`,
        id: 42,
        from: 'ghost',
        confirmWithin: 50,
        nonce: randomBytes(32),
      });
      const reply = await spy.request(`shaddock.${cluster}.rpc.chat-1.open`, request, { timeout: 2_000 });
      expect(new Packr({ useRecords: false }).unpack(reply.data)).toMatchObject({ id: expect.any(Number) });
      expect(listener.sockets.size).toBe(1);
      await waitUntil(() => listener.sockets.size === 0, 2_000, 'the unconfirmed connection is dropped');
    });

    it('closes every connection when the NATS connection drops or closes', async () => {
      const cluster = uniqueCluster();
      const serverSide = await natsLink(cluster);
      const clientSide = await natsLink(cluster);
      const { client } = await rpcPair(serverSide.link, clientSide.link);
      expect(await client.invoke('chat-1', chat('echo'), [1])).toBe(1);
      const pending = failure(client.invoke('chat-1', chat('never'), [], { timeout: 60_000 }));
      const statuses = clientSide.nc.status();
      const reconnected = (async () => {
        for await (const status of statuses) if (status.type === 'reconnect') return;
      })();
      await clientSide.nc.reconnect();
      const dropped = await pending;
      expect(dropped).toBeInstanceOf(ServerUnavailable);
      expect((dropped as Error).message).toContain('was lost');
      await reconnected;
      // the close the client sent while disconnected reaches the server once NATS is back
      await waitUntil(() => serverSide.link.connectionCount === 0, 2_000, 'the server hears the close');
      // and the next call opens a new connection
      expect(await client.invoke('chat-1', chat('echo'), [2])).toBe(2);

      const inFlight = failure(client.invoke('chat-1', chat('never'), [], { timeout: 60_000 }));
      await clientSide.nc.close();
      expect(await inFlight).toBeInstanceOf(ServerUnavailable);
      await expect(client.invoke('chat-1', chat('echo'), [3])).rejects.toThrow('the NATS connection closed');
    });

    it('frames reach the receiver in the bytes the TCP link would carry', async () => {
      const cluster = uniqueCluster();
      const { link } = await natsLink(cluster);
      const received: unknown[] = [];
      const listener = await link.listen({ id: 'echo-1', host: '' }, {}, () => ({
        onPayload: (source, start, end) => received.push(decodePayload(source, start, end)),
      }));
      cleanups.push(() => listener.close());
      const socket = await link.connect(
        { id: 'echo-1', host: '' },
        { connectTimeout: 2_000 },
        { onPayload: () => {} },
      );
      const sent = [undefined, null, 1.5, -3, 'é', [1, [2]], { a: { b: 'c' } }, Buffer.from([9, 8])];
      for (const message of sent) socket.send(message);
      expect(socket.bufferedAmount).toBeGreaterThan(0);
      await waitUntil(() => received.length === sent.length, 2_000, 'every frame arrives');
      expect(received).toEqual(sent);
      expect(socket.bufferedAmount).toBe(0);
      expect(socket.remoteAddress).toBe('echo-1');
      expect(socket.remotePort).toBe(0);
      socket.close();
    });
  });

  // A rough throughput comparison, off by default: SHADDOCK_BENCH=1 npx vitest run packages/nats/src/nats-rpc-link.test.ts
  describe.skipIf(process.env.SHADDOCK_BENCH !== '1')(
    'calls per second, NATS vs TCP (SHADDOCK_BENCH=1)',
    () => {
      async function callsPerSecond(
        client: RpcClient,
        concurrency: number,
        durationMs: number,
      ): Promise<number> {
        for (let index = 0; index < 2_000; index++) await client.invoke('chat-1', chat('echo'), [index]);
        let calls = 0;
        const end = performance.now() + durationMs;
        const started = performance.now();
        await Promise.all(
          Array.from({ length: concurrency }, async () => {
            while (performance.now() < end) {
              await client.invoke('chat-1', chat('echo'), [calls]);
              calls++;
            }
          }),
        );
        return Math.round(calls / ((performance.now() - started) / 1_000));
      }

      it('measures', { timeout: 120_000 }, async () => {
        const cluster = uniqueCluster();
        const nats = await rpcPair((await natsLink(cluster)).link, (await natsLink(cluster)).link);
        const tcp = await rpcPair(tcpRpcLink, tcpRpcLink);
        const rows: string[] = [];
        for (const concurrency of [1, 100, 1_000]) {
          const overTcp = await callsPerSecond(tcp.client, concurrency, 3_000);
          const overNats = await callsPerSecond(nats.client, concurrency, 3_000);
          rows.push(`concurrency ${concurrency}: tcp ${overTcp} calls/s, nats ${overNats} calls/s`);
        }
        console.log(rows.join('\n'));
      });
    },
  );
}
