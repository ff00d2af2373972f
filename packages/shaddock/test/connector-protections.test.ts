// Bad input and the protections: each closes or answers ONE client, and the others go on.
import { type Client, connect } from '@shaddock/client';
import { ProtocolErrorCode } from '@shaddock/protocol';
import { describe, expect, it } from 'vitest';
import type { Session } from '../src/session/index.js';
import {
  closeReasons,
  ECHO,
  eventually,
  type Harness,
  HOLD,
  Message,
  NOTE,
  notifyPackage,
  Package,
  pause,
  RawClient,
  requestPackage,
  sessionsOf,
  TRANSPORTS,
  type Transport,
  WHO,
  withConnector,
} from './connector-harness.js';

const body = Buffer.from('{}');
const data = (bytes: number[] | Buffer): Buffer => Package.encode(Package.TYPE_DATA, Buffer.from(bytes));

/** Bytes a client may send after its handshake, each of which must close it, and the reason. */
const malformed: ReadonlyArray<readonly [name: string, bytes: Buffer, reason: string]> = [
  ['an unknown package type', Buffer.from([9, 0, 0, 0]), ProtocolErrorCode.UnknownPackageType],
  ['a package over the size limit', Buffer.from([4, 0x20, 0, 0]), ProtocolErrorCode.PackageTooLarge],
  [
    'a response message',
    data(Message.encode(1, Message.TYPE_RESPONSE, false, null, body)),
    ProtocolErrorCode.ForbiddenMessageType,
  ],
  [
    'a push message',
    data(Message.encode(0, Message.TYPE_PUSH, false, 'onX', body)),
    ProtocolErrorCode.ForbiddenMessageType,
  ],
  ['an unknown message type', data([5 << 1, 1, 0]), ProtocolErrorCode.UnknownMessageType],
  ['an empty message', data([]), ProtocolErrorCode.TruncatedMessage],
  ['a request without its id', data([0]), ProtocolErrorCode.InvalidMessageId],
  [
    'an id over five bytes',
    data([0, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0]),
    ProtocolErrorCode.InvalidMessageId,
  ],
  ['a route longer than the message', data([0, 1, 10, 0x61, 0x62]), ProtocolErrorCode.InvalidRoute],
  ['a route that is not UTF-8', data([0, 1, 2, 0xff, 0xfe, 0x7b, 0x7d]), ProtocolErrorCode.InvalidUtf8],
  ['an unknown route code', requestPackage(1, 999, {}), ProtocolErrorCode.UnknownRouteCode],
  ['a body that is not JSON', requestPackage(1, ECHO, Buffer.from('{nope')), ProtocolErrorCode.InvalidJson],
  ['a second handshake', Package.encode(Package.TYPE_HANDSHAKE, Buffer.from('{}')), 'unexpected package'],
  ['a second ACK', Package.encode(Package.TYPE_HANDSHAKE_ACK), 'unexpected package'],
  ['a kick from the client', Package.encode(Package.TYPE_KICK, body), 'unexpected package'],
];

async function healthy(harness: Harness, transport: Transport): Promise<Client> {
  const client = await connect({ host: '127.0.0.1', port: harness.port, transport });
  await client.request(ECHO, { ready: true });
  return client;
}

/** A healthy client, once a socket closing on the server's side has let go of its slot. */
async function eventuallyConnected(harness: Harness, transport: Transport): Promise<Client> {
  for (;;) {
    const client = await healthy(harness, transport).catch(() => undefined);
    if (client !== undefined) return client;
    await pause(20);
  }
}

describe.each(TRANSPORTS)('bad input over %s', (transport) => {
  it('closes only the connection that sent it, with a typed reason', () =>
    withConnector({ files: { 'dictionary.json': ['onPush'] } }, async (harness) => {
      const bystander = await healthy(harness, transport);
      const reasons = closeReasons(harness);
      for (const [, bytes] of malformed) {
        const client = await RawClient.connect(transport, harness.port);
        await client.open();
        client.send(bytes);
        await client.closed;
      }
      expect(reasons).toEqual(malformed.map(([, , reason]) => reason));
      expect(await bystander.request(ECHO, { still: 'here' })).toEqual({ still: 'here' });
      expect(harness.reported).toEqual([]);
      await bystander.close();
    }));

  it('closes a client that sends data or an ACK before its handshake', () =>
    withConnector(async (harness) => {
      for (const bytes of [requestPackage(1, ECHO, {}), Package.encode(Package.TYPE_HANDSHAKE_ACK)]) {
        const client = await RawClient.connect(transport, harness.port);
        client.send(bytes);
        await client.closed;
      }
      expect(harness.connector.connectionCount).toBe(0);
    }));
});

describe('protections', () => {
  it('closes a WebSocket frame that ends inside a package', () =>
    withConnector(async (harness) => {
      const client = await RawClient.ws(harness.port);
      await client.open();
      client.send(Buffer.from([4, 0, 0, 10, 1, 2]));
      await client.closed;
    }));

  it.each(TRANSPORTS)('closes sockets past max-connections at accept, unread, over %s', (transport) =>
    withConnector({ maxConnections: 2 }, async (harness) => {
      const first = await healthy(harness, transport);
      const second = await healthy(harness, transport);
      // Over the limit: closed before the server reads a byte (a WebSocket never opens).
      const third = await RawClient.connect(transport, harness.port).catch(() => undefined);
      await third?.closed;
      expect(third?.received ?? []).toEqual([]);
      await expect(connect({ host: '127.0.0.1', port: harness.port, transport })).rejects.toMatchObject({
        code: expect.stringMatching(/^SHADDOCK_ERR_CLIENT_/),
      });
      // two refusals, one line: the repeats are counted, not written
      expect(harness.logged).toEqual([
        expect.objectContaining({
          msg: 'max-connections reached: connections refused',
          refusal: 'max-connections',
          limit: 2,
          maxConnections: 2,
        }),
      ]);
      await first.close();
      await eventually(() => harness.connector.connectionCount < 2);
      const again = await eventuallyConnected(harness, transport);
      await Promise.all([second.close(), again.close()]);
    }),
  );

  it('closes blacklisted IPs at connect, from the config and at run time', () =>
    withConnector({ config: { blacklist: ['^10\\.'] } }, async (harness) => {
      const { blacklist } = harness.connector;
      expect(blacklist.has('10.0.0.1')).toBe(true);
      expect(blacklist.has('127.0.0.1')).toBe(false);
      blacklist.add('127.0.0.1');
      expect(blacklist.has('::ffff:127.0.0.1')).toBe(true);
      for (const open of [() => RawClient.tcp(harness.port), () => RawClient.ws(harness.port)]) {
        const refused = await open().catch(() => undefined);
        await refused?.closed;
      }
      expect(blacklist.delete('127.0.0.1')).toBe(true);
      expect(blacklist.delete('127.0.0.1')).toBe(false);
      const client = await healthy(harness, 'tcp');
      await client.close();
    }));

  it('takes the client IP from the proxy header when configured, and blacklists by it', () =>
    withConnector(
      {
        config: { realIpHeader: 'X-Forwarded-For', blacklist: ['10.9.9.9'] },
      },
      async (harness) => {
        const client = await RawClient.ws(harness.port, { 'x-forwarded-for': '10.1.2.3, 172.16.0.1' });
        await client.open();
        client.send(requestPackage(1, WHO, {}));
        expect((await client.nextData()).body).toEqual({ ip: '10.1.2.3' });
        client.destroy();
        const refused = await RawClient.ws(harness.port, { 'x-forwarded-for': '10.9.9.9' }).catch(
          () => undefined,
        );
        await refused?.closed;
        expect(refused?.isClosed ?? true).toBe(true);
      },
    ));

  it.each(TRANSPORTS)(
    'answers requests over the rate limit with 429 and drops notifies, over %s',
    (transport) =>
      withConnector({ config: { rateLimit: { requests: 5, perMs: 3_600_000 } } }, async (harness) => {
        const client = await RawClient.connect(transport, harness.port);
        await client.open();
        for (let id = 1; id <= 8; id++) client.send(requestPackage(id, ECHO, { id }));
        client.send(notifyPackage(NOTE, {}));
        const answers = [];
        for (let index = 0; index < 8; index++) answers.push(await client.nextData());
        const codes = answers.sort((a, b) => a.id - b.id).map((answer) => answer.body['code'] ?? 200);
        expect(codes).toEqual([200, 200, 200, 200, 200, 429, 429, 429]);
        await pause(50);
        expect(harness.handlers.notes).toEqual([]);
        client.destroy();
      }),
  );

  it('stops reading a connection with too many messages in the handlers, and resumes', () =>
    withConnector({ config: { maxPendingRequests: 4 } }, async (harness) => {
      const client = await RawClient.tcp(harness.port);
      await client.open();
      client.send(Buffer.concat([1, 2, 3, 4].map((id) => requestPackage(id, HOLD, { id }))));
      const { held } = harness.handlers;
      await harness.handlers.until(() => held.length === 4);
      client.send(Buffer.concat([5, 6, 7, 8].map((id) => requestPackage(id, HOLD, { id }))));
      await pause(100);
      expect(held.length).toBe(4);
      for (const request of held.splice(0)) request.resolve({ done: request.message.id });
      await harness.handlers.until(() => held.length === 4);
      for (const request of held.splice(0)) request.resolve({ done: request.message.id });
      const ids = [];
      for (let index = 0; index < 8; index++) ids.push((await client.nextData()).id);
      expect(ids).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      client.destroy();
    }));

  it('drops a slow client instead of buffering for it', () =>
    withConnector({ config: { maxBufferedBytes: 256 * 1024 } }, async (harness) => {
      const bystander = await healthy(harness, 'tcp');
      const slow = await RawClient.tcp(harness.port);
      await slow.open();
      await slow.next(Package.TYPE_HEARTBEAT);
      const reasons = closeReasons(harness);
      const slowSession = sessionsOf(harness)[1] as Session;
      // The client stops reading; the kernel buffers fill, then the server's.
      slow.pauseReading();
      const push = harness.connector.encodePush('onBulk', { text: 'x'.repeat(64 * 1024) });
      while (!slowSession.closed) {
        harness.connector.send(push, [slowSession]);
        await new Promise((resolve) => setImmediate(resolve));
      }
      expect(reasons).toEqual(['slow client']);
      expect(await bystander.request(ECHO, { fine: true })).toEqual({ fine: true });
      slow.destroy();
      await bystander.close();
    }));
});
