// The connector end to end: handshake, heartbeat, kick, requests, notifies, dictionary, protobuf,
// against @shaddock/client and raw pinus-protocol bytes, over WebSocket and TCP.
import { connect, memoryCache } from '@shaddock/client';
import { isJsonObject, ProtobufCodec } from '@shaddock/protocol';
import { describe, expect, it } from 'vitest';
import {
  closeReasons,
  ECHO,
  eventually,
  HOLD,
  Message,
  NOTE,
  notifyPackage,
  Package,
  PUSH,
  RawClient,
  requestPackage,
  sessionsOf,
  TRANSPORTS,
  withConnector,
} from './connector-harness.js';

describe.each(TRANSPORTS)('connector over %s', (transport) => {
  it('handshakes the @shaddock/client and answers requests', () =>
    withConnector(async (harness) => {
      const client = await connect({ host: '127.0.0.1', port: harness.port, transport });
      expect(await client.request(ECHO, { hello: 'world' })).toEqual({ hello: 'world' });
      expect(harness.sessions.sessionCount).toBe(1);
      await client.close();
      await harness.connector.stop(false);
      expect(harness.sessions.sessionCount).toBe(0);
      expect(harness.reported).toEqual([]);
    }));

  it("accepts every client's handshake shape and says what Pinus says", () =>
    withConnector(
      {
        config: { heartbeat: 3 },
        files: { 'dictionary.json': ['onPush'] },
      },
      async (harness) => {
        const shapes = [
          { sys: { type: 'js-websocket', version: '0.0.1', rsa: {} }, user: {} },
          {
            sys: { type: 'unity-socket', version: '0.1.0', protoVersion: '', dictVersion: '' },
            user: { name: 'u' },
          },
          { sys: { type: 'c', version: '0.1.6', rsa: {} } },
          { sys: { type: 'pomelo-ios', version: '1.0.0' } },
          { sys: {} },
        ];
        for (const shape of shapes) {
          const client = await RawClient.connect(transport, harness.port);
          const response = await client.open(shape);
          expect(response['code']).toBe(200);
          const sys = response['sys'] as Record<string, unknown>;
          expect(sys['heartbeat']).toBe(3);
          expect(sys['useDict']).toBe(true);
          expect(sys['dict']).toMatchObject({ [ECHO]: expect.any(Number), onPush: 6 });
          expect(typeof sys['dictVersion']).toBe('string');
          expect(sys['useProto']).toBeUndefined();
          // Pinus answers the ACK with one heartbeat at once.
          await client.next(Package.TYPE_HEARTBEAT);
          client.destroy();
          await client.closed;
        }
      },
    ));

  it('refuses a handshake that is not JSON, or has no sys, with code 500, then closes (as Pomelo)', () =>
    withConnector(async (harness) => {
      for (const body of ['{}', '{"user":{}}', '{"sys":null}']) {
        const client = await RawClient.connect(transport, harness.port);
        client.sendPackage(Package.TYPE_HANDSHAKE, Buffer.from(body));
        const response = await client.next(Package.TYPE_HANDSHAKE);
        expect(JSON.parse(response.body.toString()), body).toEqual({ code: 500 });
        await client.closed;
      }
      const client = await RawClient.connect(transport, harness.port);
      client.sendPackage(Package.TYPE_HANDSHAKE, Buffer.from('{nope'));
      const response = await client.next(Package.TYPE_HANDSHAKE);
      expect(JSON.parse(response.body.toString())).toEqual({ code: 500 });
      await client.closed;
      expect(harness.connector.connectionCount).toBe(0);
    }));

  it('refuses with 501 when checkClient says no, and runs the handshake hook', () =>
    withConnector(
      {
        config: {
          checkClient: (type, version) => type !== 'old' || version !== '0.0.1',
          handshake: async (request) => {
            if (request.user?.['token'] !== 'ok') throw { code: 403, reason: 'bad token' };
            return { welcome: true };
          },
        },
      },
      async (harness) => {
        const old = await RawClient.connect(transport, harness.port);
        expect(await old.handshake({ sys: { type: 'old', version: '0.0.1' } })).toEqual({ code: 501 });
        await old.closed;
        const rejected = await RawClient.connect(transport, harness.port);
        expect(await rejected.handshake({ sys: {}, user: { token: 'no' } })).toEqual({ code: 403 });
        await rejected.closed;
        const client = await connect({
          host: '127.0.0.1',
          port: harness.port,
          transport,
          user: { token: 'ok' },
        });
        expect(client.handshake).toEqual({ welcome: true });
        await client.close();
      },
    ));

  it('answers every heartbeat and closes a silent client', () =>
    withConnector({ config: { heartbeat: 1, timeout: 0.3 } }, async (harness) => {
      const client = await RawClient.connect(transport, harness.port);
      await client.open();
      await client.next(Package.TYPE_HEARTBEAT);
      client.sendPackage(Package.TYPE_HEARTBEAT);
      await client.next(Package.TYPE_HEARTBEAT);
      client.sendPackage(Package.TYPE_HEARTBEAT);
      await client.next(Package.TYPE_HEARTBEAT);
      // Silent from now on.
      await client.closed;
      expect(client.received.filter((pkg) => pkg.type === Package.TYPE_KICK)).toEqual([]);
    }));

  it('closes a socket that never finishes its handshake', () =>
    withConnector({ config: { heartbeat: 0, handshakeTimeout: 0.2 } }, async (harness) => {
      const silent = await RawClient.connect(transport, harness.port);
      await silent.closed;
      const noAck = await RawClient.connect(transport, harness.port);
      await noAck.handshake();
      await noAck.closed;
    }));

  it('kicks: the KICK package with the reason, then close', () =>
    withConnector(async (harness) => {
      const client = await RawClient.connect(transport, harness.port);
      await client.open();
      await client.next(Package.TYPE_HEARTBEAT);
      const closedReasons = closeReasons(harness);
      harness.sessions.forEachSession((session) => session.connection?.kick('bye'));
      const kick = await client.next(Package.TYPE_KICK);
      expect(JSON.parse(kick.body.toString())).toEqual({ reason: 'bye' });
      await client.closed;
      expect(closedReasons).toEqual(['bye']);

      const sdk = await connect({ host: '127.0.0.1', port: harness.port, transport });
      // The client resolves once it sent its ACK; a request proves the server has the session.
      await sdk.request(ECHO, {});
      const kicked = new Promise((resolve) => sdk.events.once('kick', resolve));
      harness.sessions.forEachSession((session) => harness.sessions.kickBySessionId(session.id, 'later'));
      expect(await kicked).toEqual({ reason: 'later' });
      await sdk.close();
    }));

  it("addresses sessions by their own ids, never their connections' (push, kick, close)", () =>
    withConnector(async (harness) => {
      // a connection refused in its handshake takes a connection id and makes no session
      const refused = await RawClient.connect(transport, harness.port);
      refused.sendPackage(Package.TYPE_HANDSHAKE, Buffer.from('not json'));
      await refused.closed;
      const a = await RawClient.connect(transport, harness.port);
      await a.open();
      await a.next(Package.TYPE_HEARTBEAT);
      const b = await RawClient.connect(transport, harness.port);
      await b.open();
      await b.next(Package.TYPE_HEARTBEAT);
      const [sessionA, sessionB] = sessionsOf(harness);
      if (sessionA === undefined || sessionB === undefined) throw new Error('two sessions expected');
      expect([sessionA.id, sessionB.id]).toEqual([1, 2]);
      expect([sessionA.connection?.id, sessionB.connection?.id]).toEqual([2, 3]);

      // connection 2 is a's: a push to session 2 must reach b
      const { connector } = harness;
      connector.send(connector.encodePush('onPush', { to: 'b' }), [sessionB]);
      expect((await b.nextData()).body).toEqual({ to: 'b' });
      a.send(requestPackage(1, ECHO, { still: 'here' }));
      expect((await a.nextData()).body).toEqual({ still: 'here' });
      expect(a.received).toEqual([]);

      const reasons = closeReasons(harness);
      harness.sessions.kickBySessionId(sessionA.id, 'only a');
      expect(JSON.parse((await a.next(Package.TYPE_KICK)).body.toString())).toEqual({ reason: 'only a' });
      await a.closed;
      expect(b.isClosed).toBe(false);
      expect(harness.sessions.get(sessionB.id)).toBe(sessionB);

      // b's connection (3) closes: session 2 goes, and a push to it is dropped
      b.destroy();
      await b.closed;
      await eventually(() => harness.sessions.sessionCount === 0);
      expect(reasons).toEqual(['only a', 'client closed']);
      const dropped = connector.droppedPushes;
      connector.send(connector.encodePush('onPush', {}), [sessionB]);
      expect(connector.droppedPushes).toBe(dropped + 1);
      expect(harness.reported).toEqual([]);
    }));

  it('compresses routes both ways with the dictionary, and skips a cached one', () =>
    withConnector({ files: { 'dictionary.json': ['onPush'] } }, async (harness) => {
      const client = await RawClient.connect(transport, harness.port);
      const response = await client.open();
      const sys = response['sys'] as { dict: Record<string, number>; dictVersion: string };
      const echo = sys.dict[ECHO] as number;
      client.send(requestPackage(7, echo, { compressed: true }));
      const answer = await client.nextData();
      expect(answer).toMatchObject({ id: 7, type: Message.TYPE_RESPONSE, body: { compressed: true } });
      client.send(requestPackage(8, sys.dict[PUSH] as number, { n: 1 }));
      const push = Message.decode((await client.next(Package.TYPE_DATA)).body);
      expect(push.type).toBe(Message.TYPE_PUSH);
      expect(push.compressRoute).toBe(1);
      expect(push.route).toBe(sys.dict['onPush']);
      client.destroy();

      const cached = await RawClient.connect(transport, harness.port);
      const again = await cached.open({ sys: { type: 'js-websocket', dictVersion: sys.dictVersion } });
      expect(again['sys']).toEqual({ heartbeat: 10, useDict: true });
      cached.destroy();
    }));

  it('keeps the dictionary to dictionary.json in stable mode', () =>
    withConnector(
      {
        config: { dictionaryMode: 'stable' },
        files: { 'dictionary.json': [ECHO, 'onPush'] },
      },
      async (harness) => {
        const client = await RawClient.connect(transport, harness.port);
        const response = await client.open();
        expect((response['sys'] as { dict: unknown }).dict).toEqual({ [ECHO]: 1, onPush: 2 });
        client.destroy();
      },
    ));

  it('runs 300 pipelined requests concurrently and answers each as it completes', () =>
    withConnector(async (harness) => {
      const client = await connect({ host: '127.0.0.1', port: harness.port, transport });
      const replies = Array.from({ length: 300 }, (_, index) => client.request(HOLD, { index }));
      // Answered in batches, each last-in first-out: past 256 in the handlers the socket is not read.
      const held = harness.handlers.held;
      for (let answered = 0; answered < 300; ) {
        const batch = Math.min(100, 300 - answered);
        await harness.handlers.until(() => held.length >= answered + batch);
        for (const request of held.slice(answered, answered + batch).reverse()) {
          const body = request.message.body;
          request.resolve({ reply: isJsonObject(body) ? (body['index'] ?? -1) : -1 });
        }
        answered += batch;
      }
      const bodies = await Promise.all(replies);
      expect(bodies.map((body) => body['reply'])).toEqual(Array.from({ length: 300 }, (_, index) => index));
      await client.close();
    }));

  it('hands notifies to the handlers and answers nothing', () =>
    withConnector(async (harness) => {
      const client = await RawClient.connect(transport, harness.port);
      await client.open();
      client.send(notifyPackage(NOTE, { x: 1 }));
      client.send(requestPackage(1, ECHO, { after: 'notify' }));
      await harness.handlers.until(() => harness.handlers.notes.length === 1);
      expect(harness.handlers.notes[0]).toMatchObject({ id: 0, route: NOTE, body: { x: 1 } });
      expect(await client.nextData()).toMatchObject({
        id: 1,
        body: { after: 'notify' },
      });
      client.destroy();
    }));

  it('carries a message of nearly 1 MiB both ways', () =>
    withConnector(async (harness) => {
      const client = await connect({ host: '127.0.0.1', port: harness.port, transport });
      const text = 'x'.repeat(1024 * 1024 - 64);
      expect(await client.request(ECHO, { text })).toEqual({ text });
      await client.close();
    }));
});

describe('protobuf bodies', () => {
  const echoProto = { 'required uInt32 x': 1, 'optional string s': 2 };
  const files = {
    'clientProtos.json': { [ECHO]: echoProto },
    'serverProtos.json': { [ECHO]: echoProto, onPush: { 'required uInt32 index': 1 } },
  };

  it.each(TRANSPORTS)('encodes and decodes with the protos over %s, sent once per version', (transport) =>
    withConnector({ files }, async (harness) => {
      const cache = memoryCache();
      const client = await connect({ host: '127.0.0.1', port: harness.port, transport, cache });
      expect(await client.request(ECHO, { x: 42, s: 'proto' })).toEqual({ x: 42, s: 'proto' });
      const pushed = new Promise((resolve) => client.once('onPush', resolve));
      await client.request(PUSH, { n: 1 });
      expect(await pushed).toEqual({ index: 0 });
      await client.close();
      const version = cache.get()?.protoVersion;
      expect(version).toEqual(expect.any(String));

      const rawClient = await RawClient.connect(transport, harness.port);
      const response = await rawClient.open({ sys: { protoVersion: version } });
      expect(response['sys']).toMatchObject({ useProto: true });
      expect((response['sys'] as Record<string, unknown>)['protos']).toBeUndefined();
      const codec = new ProtobufCodec({ [ECHO]: echoProto });
      rawClient.send(requestPackage(3, ECHO, codec.encode(ECHO, { x: 7 })));
      const answer = Message.decode((await rawClient.next(Package.TYPE_DATA)).body);
      expect(codec.decode(ECHO, answer.body)).toEqual({ x: 7 });
      // Bytes that are not a valid message for the proto close that connection only.
      rawClient.send(requestPackage(4, ECHO, Buffer.from([0x0a, 0xff])));
      await rawClient.closed;

      const fresh = await RawClient.tcp(harness.port);
      const full = await fresh.open();
      const protos = (full['sys'] as { protos: { server: Record<string, unknown>; version: string } }).protos;
      expect(protos.version).toBe(version);
      expect(protos.server[ECHO]).toMatchObject({ x: { option: 'required', type: 'uInt32', tag: 1 } });
      fresh.destroy();
    }),
  );
});
