// End-to-end tests of the frontend path on real clusters: the frontend-app fixture
// (fixtures/frontend-app/, public API only) run as real processes on 127.0.0.1 with free ports, a
// master, two connectors and two room servers, driven by clients of two kinds over WebSocket and
// raw TCP: `@shaddock/client`, and a raw client on the real `pinus-protocol` package (what every
// Pomelo client speaks, and a client that can misbehave). Clusters are always disposed of; no test
// asserts a time: where something must not hang, the test's own timeout is the bound.
import { type Client, ClientError, ClientErrorCode, connect } from '@shaddock/client';
import { type JsonObject, ProtocolErrorCode } from '@shaddock/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ConnectorId,
  FrontendCluster,
  type RoomName,
  withFrontendCluster,
} from './support/frontend-cluster.js';
import { Message, Package, type PinusClient, type Transport } from './support/pinus-client.js';
import { alive } from './support/processes.js';

const transports = ['ws', 'tcp'] as const;
const connectors = ['connector-1', 'connector-2'] as const;

const ENTER = 'connector.entry.enter';
const SETTINGS = 'connector.entry.settings';
const KICK_ME_HERE = 'connector.entry.kickMe';
const SAY = 'room.roomHandler.say';
const BURST = 'room.roomHandler.burst';
const SET_SCORE = 'room.roomHandler.setScore';
const FAIL = 'room.roomHandler.fail';
const ECHO = 'room.roomHandler.echo';
const HOLD = 'room.roomHandler.hold';
const RELEASE = 'room.roomHandler.release';
const KICK_ME = 'room.roomHandler.kickMe';
const FLOOD = 'room.roomHandler.flood';

const HANDLER_ROUTES = [
  ENTER,
  KICK_ME_HERE,
  SETTINGS,
  BURST,
  ECHO,
  FAIL,
  FLOOD,
  HOLD,
  KICK_ME,
  RELEASE,
  SAY,
  SET_SCORE,
];
const DICTIONARY_PUSHES = ['onSay', 'onBurst', 'onFlood'];

/** Binds a `@shaddock/client` to `uid` in `room` (`connector.entry.enter`). */
async function enter(client: Client, uid: string, room: RoomName): Promise<JsonObject> {
  const reply = await client.request(ENTER, { uid, room });
  expect(reply).toMatchObject({ uid, room });
  return reply;
}

/** A raw pinus-protocol client on `connector`: handshake, ACK, and bound to `uid` in `room`. */
async function enterRaw(
  cluster: FrontendCluster,
  connector: ConnectorId,
  transport: Transport,
  uid: string,
  room: RoomName,
): Promise<PinusClient> {
  const raw = await cluster.pinus(connector, transport);
  await raw.open();
  expect(await raw.call(ENTER, { uid, room })).toMatchObject({ uid, room });
  return raw;
}

/** 0, 1, …, count − 1. */
function range(count: number): number[] {
  return Array.from({ length: count }, (_, index) => index);
}

/** A DATA package around raw message bytes. */
function data(bytes: readonly number[] | Buffer): Buffer {
  return Package.encode(Package.TYPE_DATA, Buffer.from(bytes));
}

/** A request DATA package, its route as a string or a code, its body as given. */
function rawRequest(route: string | number, body: string | Buffer): Buffer {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  return data(Message.encode(1, Message.TYPE_REQUEST, typeof route === 'number', route, bytes));
}

describe.each(transports)('the frontend path over %s', (transport) => {
  let cluster: FrontendCluster;
  beforeAll(async () => {
    cluster = await FrontendCluster.start();
  });
  afterAll(async () => {
    await cluster?.dispose();
  });
  /** A uid of this test run: tests share the cluster. */
  const uid = (name: string): string => `${transport}-${name}`;

  it('accepts the handshake of every Pomelo client shape; the dictionary and protos go to clients without them', async () => {
    const shapes: ReadonlyArray<readonly [string, JsonObject]> = [
      ['js-websocket', { sys: { type: 'js-websocket', version: '0.0.1', rsa: {} }, user: {} }],
      ['unity-socket', { sys: { type: 'unity-socket', version: '0.3.0' }, user: {} }],
      ["libpomelo ('c', no user)", { sys: { type: 'c', version: '1.1.1' } }],
      [
        "libpomelo2 ('c', rsa, user)",
        { sys: { type: 'c', version: '0.1.7', rsa: {} }, user: { token: 't' } },
      ],
    ];
    let dictVersion = '';
    let protoVersion = '';
    for (const [name, request] of shapes) {
      const raw = await cluster.pinus('connector-1', transport);
      const response = await raw.open(request);
      expect(response, name).toEqual({
        code: 200,
        sys: {
          heartbeat: 10,
          useDict: true,
          dict: expect.any(Object),
          dictVersion: expect.any(String),
          useProto: true,
          protos: {
            server: { [SAY]: expect.any(Object), onSay: expect.any(Object) },
            client: { [SAY]: expect.any(Object) },
            version: expect.any(String),
          },
        },
        user: { connector: 'connector-1' },
      });
      const sys = response['sys'] as {
        dict: Record<string, number>;
        dictVersion: string;
        protos: { version: string };
      };
      // Every handler route of every server type, then config/dictionary.json's push routes.
      expect(Object.keys(sys.dict).sort()).toEqual([...HANDLER_ROUTES, ...DICTIONARY_PUSHES].sort());
      dictVersion = sys.dictVersion;
      protoVersion = sys.protos.version;
      // The ACK counts as the first heartbeat, answered at once; then requests go through.
      await raw.until('the first heartbeat', () =>
        raw.packages.some((pkg) => pkg.type === Package.TYPE_HEARTBEAT),
      );
      expect(await raw.call(ECHO, { shape: name })).toMatchObject({ shape: name, serverId: 'room-1' });
      raw.destroy();
    }

    // A client that has both cached (their versions in its handshake) is not sent them again.
    const cached = await cluster.pinus('connector-1', transport);
    expect(
      await cached.open({
        sys: { type: 'js-websocket', version: '0.0.1', dictVersion, protoVersion },
        user: {},
      }),
    ).toEqual({
      code: 200,
      sys: { heartbeat: 10, useDict: true, useProto: true },
      user: { connector: 'connector-1' },
    });
    expect(await cached.call(ECHO, { cached: true }, { compress: false })).toMatchObject({ cached: true });

    // A stream may cut packages anywhere: over TCP, the handshake, then the ACK and a request,
    // one byte per write.
    if (transport === 'tcp') {
      const trickle = await cluster.pinus('connector-1', transport);
      const dribble = async (bytes: Buffer): Promise<void> => {
        for (const byte of bytes) {
          trickle.send(Buffer.of(byte));
          await new Promise((resolve) => setImmediate(resolve));
        }
      };
      await dribble(Package.encode(Package.TYPE_HANDSHAKE, Buffer.from(JSON.stringify(shapes[0]?.[1]))));
      await trickle.until('the handshake response', () =>
        trickle.packages.some((pkg) => pkg.type === Package.TYPE_HANDSHAKE),
      );
      const request = trickle.encodeRequest(ECHO, { trickled: true }, { compress: false });
      await dribble(Buffer.concat([Package.encode(Package.TYPE_HANDSHAKE_ACK), request.bytes]));
      expect((await trickle.response(request.id)).body).toMatchObject({ trickled: true });
    }

    // @shaddock/client, whatever client type it announces.
    for (const clientType of ['js-websocket', 'unity-socket', 'c']) {
      const client = await cluster.connect('connector-2', transport, { clientType });
      expect(client.handshake).toEqual({ connector: 'connector-2' });
      expect(await client.request(ECHO, { clientType })).toMatchObject({ clientType, serverId: 'room-1' });
    }
  });

  // Pomelo's JS WebSocket client starts with `var protoVersion = 0` and sends that number until it
  // has cached protos.
  it('accepts the handshake the Pomelo JS client sends before it has cached protos (protoVersion: 0)', async () => {
    const raw = await cluster.pinus('connector-1', transport);
    const request = { sys: { type: 'js-websocket', version: '0.0.1', rsa: {}, protoVersion: 0 }, user: {} };
    const response = await raw.open(request);
    expect(response).toMatchObject({
      code: 200,
      sys: { useProto: true, protos: { version: expect.any(String) } },
    });
    expect(await raw.call(ECHO, { pomelo: 'js' })).toMatchObject({ pomelo: 'js' });
  });

  it('answers a bad handshake with code 500 (501 for a refused client version), then closes the connection', async () => {
    const bad: ReadonlyArray<readonly [string, unknown]> = [
      ['not JSON', Buffer.from('{"sys":')],
      ['not UTF-8', Buffer.from([0xff, 0xfe, 0xfd])],
      ['a JSON array', [1, 2]],
      ['sys not an object', { sys: 3 }],
      ['a sys.type that is not a string', { sys: { type: 5 } }],
      [
        'refused by the handshake hook',
        { sys: { type: 'js-websocket', version: '0.0.1' }, user: { refuse: true } },
      ],
    ];
    for (const [name, request] of bad) {
      const raw = await cluster.pinus('connector-1', transport);
      expect(await raw.handshake(request), name).toEqual({ code: 500 });
      await raw.closed;
    }
    const old = await cluster.pinus('connector-1', transport);
    expect(await old.handshake({ sys: { type: 'unity-socket', version: 'too-old' } })).toEqual({ code: 501 });
    await old.closed;
    // A package out of turn before any handshake (a DATA, an ACK): closed without an answer.
    for (const bytes of [rawRequest(ECHO, '{}'), Package.encode(Package.TYPE_HANDSHAKE_ACK)]) {
      const early = await cluster.pinus('connector-1', transport);
      early.send(bytes);
      await early.closed;
      expect(early.packages).toEqual([]);
    }

    const port = cluster.port('connector-1');
    await expect(
      connect({ host: '127.0.0.1', port, transport, user: { refuse: true } }),
    ).rejects.toMatchObject({
      code: ClientErrorCode.HandshakeRejected,
      handshakeCode: 500,
    });
    await expect(
      connect({ host: '127.0.0.1', port, transport, clientVersion: 'too-old' }),
    ).rejects.toMatchObject({
      code: ClientErrorCode.HandshakeRejected,
      handshakeCode: 501,
    });
    const fine = await cluster.connect('connector-1', transport);
    expect(await fine.request(ECHO, { after: 'bad handshakes' })).toMatchObject({ after: 'bad handshakes' });
  });

  it('delivers kicks with their reason: from a remote (kickByUid), from a backend handler, from a connector handler', async () => {
    const rpc = cluster.rpc();
    const bystander = await cluster.connect('connector-1', transport);
    await enter(bystander, uid('kick-bystander'), 'room-1');

    // backendSessionService.kickByUid in a room remote, on a @shaddock/client and on a raw client.
    const client = await cluster.connect('connector-1', transport);
    await enter(client, uid('kick-a'), 'room-1');
    const kicks: string[] = [];
    client.events.on('kick', ({ reason }) => kicks.push(reason));
    const clientClosed = new Promise((resolve) => client.events.once('closed', resolve));
    await rpc.room.roomRemote.kickUser.toServer('room-2')('connector-1', uid('kick-a'), 'kicked by a remote');
    await clientClosed;
    expect(kicks).toEqual(['kicked by a remote']);
    expect(await cluster.closeReason('connector-1', uid('kick-a'))).toBe('kicked by a remote');

    const raw = await enterRaw(cluster, 'connector-2', transport, uid('kick-b'), 'room-2');
    await rpc.room.roomRemote.kickUser.toServer('room-1')('connector-2', uid('kick-b'), 'kicked by a remote');
    expect(await raw.kicked()).toBe('kicked by a remote');
    await raw.closed;
    expect(await cluster.closeReason('connector-2', uid('kick-b'))).toBe('kicked by a remote');

    // BackendSession.kick in a room handler: the request's answer never comes, the kick does.
    const byRoom = await enterRaw(cluster, 'connector-1', transport, uid('kick-c'), 'room-2');
    byRoom.request(KICK_ME, { reason: 'kicked by the room' });
    expect(await byRoom.kicked()).toBe('kicked by the room');
    await byRoom.closed;
    expect(await cluster.closeReason('connector-1', uid('kick-c'))).toBe('kicked by the room');

    // FrontendSession.kick in a connector handler, on a @shaddock/client: its pending request fails.
    const byConnector = await cluster.connect('connector-2', transport);
    await enter(byConnector, uid('kick-d'), 'room-1');
    const reasons: string[] = [];
    byConnector.events.on('kick', ({ reason }) => reasons.push(reason));
    const pending = byConnector.request(KICK_ME_HERE, { reason: 'kicked by the connector' });
    await expect(pending).rejects.toMatchObject({ code: ClientErrorCode.Disconnected });
    expect(reasons).toEqual(['kicked by the connector']);
    expect(await cluster.closeReason('connector-2', uid('kick-d'))).toBe('kicked by the connector');

    // Only the kicked ones went.
    expect(await bystander.request(ECHO, { after: 'kicks' })).toMatchObject({ after: 'kicks' });
    expect(cluster.allAlive()).toBe(true);
  });

  it('answers 300 pipelined requests forwarded to a backend, each matched by its id, some out of order', async () => {
    const count = 300;
    // Varying delays in the room handler: answers overtake each other.
    const delayOf = (index: number): number => ((index * 7) % 10) * 3;

    // pinus-protocol: all 300 requests in ONE write (one WebSocket frame).
    const raw = await enterRaw(cluster, 'connector-1', transport, uid('pipeline-raw'), 'room-2');
    const requests = range(count).map((index) => raw.encodeRequest(ECHO, { index, delayMs: delayOf(index) }));
    raw.send(Buffer.concat(requests.map((request) => request.bytes)));
    const responses = await Promise.all(requests.map((request) => raw.response(request.id)));
    for (const [index, response] of responses.entries()) {
      expect(response.body).toMatchObject({
        index,
        serverId: 'room-2',
        session: { uid: uid('pipeline-raw'), room: 'room-2' },
      });
    }
    const ids = new Set(requests.map((request) => request.id));
    const arrival = raw.messages
      .filter((message) => message.type === Message.TYPE_RESPONSE && ids.has(message.id))
      .map((message) => message.id);
    // Each answered exactly once, not all in the order asked.
    expect(arrival).toHaveLength(count);
    expect(new Set(arrival).size).toBe(count);
    expect(arrival).not.toEqual([...arrival].sort((a, b) => a - b));

    // @shaddock/client: 300 requests at once, the order they settle in recorded.
    const client = await cluster.connect('connector-2', transport);
    await enter(client, uid('pipeline-client'), 'room-1');
    const settled: number[] = [];
    const replies = await Promise.all(
      range(count).map((index) =>
        client.request(ECHO, { index, delayMs: delayOf(index) }).then((reply) => {
          settled.push(index);
          return reply;
        }),
      ),
    );
    for (const [index, reply] of replies.entries())
      expect(reply).toMatchObject({ index, serverId: 'room-1' });
    expect(settled).not.toEqual(range(count));
  });

  it('carries notifies, compressed and string routes both ways, protobuf bodies, and ~1 MiB to a backend and back', async () => {
    const rawUid = uid('codec-raw');
    const clientUid = uid('codec-client');
    // A room of their own: every member counts in `delivered`.
    const room: RoomName = `room-1/${transport}-codec`;
    const raw = await enterRaw(cluster, 'connector-1', transport, rawUid, room);
    const client = await cluster.connect('connector-2', transport);
    const says: JsonObject[] = [];
    client.on('onSay', (body) => says.push(body));
    await enter(client, clientUid, room);

    // onJoin is not in the dictionary: it comes with its route as a string, its body as JSON.
    const join = await raw.until('onJoin', () => raw.pushes('onJoin')[0]);
    expect(join).toMatchObject({
      compressed: false,
      protobuf: false,
      body: { uid: clientUid, room },
    });

    // A notify, its route as a code and its body as protobuf: no answer, and the room's onSay
    // (a dictionary route, a proto) reaches both members compressed and in protobuf.
    raw.notify(SAY, { text: 'hello by notify' });
    const said = await raw.until('onSay', () => raw.pushes('onSay')[0]);
    expect(said).toMatchObject({
      compressed: true,
      protobuf: true,
      body: { from: rawUid, text: 'hello by notify' },
    });
    await cluster.waitFor('the client to hear it', () => says.length > 0);
    expect(says).toEqual([{ from: rawUid, text: 'hello by notify' }]);

    // A request with the route as a string, then as its code; protobuf both ways.
    const byString = await raw.response(raw.request(SAY, { text: 'by string' }, { compress: false }));
    expect(byString).toMatchObject({ protobuf: true, body: { delivered: 2 } });
    const byCode = await raw.response(raw.request(SAY, { text: 'by code' }));
    expect(byCode).toMatchObject({ protobuf: true, body: { delivered: 2 } });
    // Every response answers a request: none came for the notify (ids: enter, byString, byCode).
    expect(raw.messages.filter((message) => message.type === Message.TYPE_RESPONSE).map((m) => m.id)).toEqual(
      [1, 2, 3],
    );

    // The same from @shaddock/client (it compresses and uses protobuf on its own).
    client.notify(SAY, { text: 'hello from the client' });
    await raw.until('the client notify', () =>
      raw.pushes('onSay').some((push) => push.body['from'] === clientUid),
    );
    expect(await client.request(SAY, { text: 'asked' })).toEqual({ delivered: 2 });

    // About 1 MiB (the largest package body a client may send is 1 MiB), to a backend and back.
    const blob = 'x'.repeat(1_000_000);
    const big = await client.request(ECHO, { blob });
    expect(big['blob']).toBe(blob);
    expect(big).toMatchObject({ serverId: 'room-1', session: { uid: clientUid } });
    const rawBig = await raw.call(ECHO, { blob: `${blob}é` });
    expect(rawBig['blob']).toBe(`${blob}é`);
    expect(await raw.call(ECHO, { after: 'the big ones' })).toMatchObject({ after: 'the big ones' });
  });

  // A WebSocket frame may hold several packages: its limit is the frame's, each package keeps its own.
  it('takes several packages in one write (one WebSocket frame) that together pass the package size limit', async () => {
    const raw = await enterRaw(cluster, 'connector-1', transport, uid('batch'), 'room-1');
    // Two requests of ~600 KB, each well within the 1 MiB a package body may hold.
    const blob = 'b'.repeat(600_000);
    const requests = [0, 1].map((index) => raw.encodeRequest(ECHO, { index, blob }));
    raw.send(Buffer.concat(requests.map((request) => request.bytes)));
    for (const [index, request] of requests.entries()) {
      const response = await raw.response(request.id);
      expect(response.body['index']).toBe(index);
      expect(response.body['blob']).toBe(blob);
    }
  });

  it('closes only the connection that sends malformed input; the others on that connector go on', async () => {
    // Bystanders of both kinds on the same connector, each with a request held in a room meanwhile.
    const bystander = await cluster.connect('connector-1', transport);
    await enter(bystander, uid('bad-bystander'), 'room-1');
    const rawBystander = await enterRaw(
      cluster,
      'connector-1',
      transport,
      uid('bad-raw-bystander'),
      'room-2',
    );
    const key = uid('bad-held');
    const held = bystander.request(HOLD, { key });
    const rawHeld = rawBystander.request(HOLD, { key });
    await cluster.waitFor('both requests held', () => {
      const keys = ['room-1', 'room-2'].flatMap((room) => cluster.seen(room, 'hold:start'));
      return keys.filter((event) => (event.data as { key: string }).key === key).length === 2;
    });

    const sayCode = rawBystander.routeCode(SAY);

    type Case = readonly [name: string, bytes: Buffer, reason: string, end?: boolean];
    const cases: Case[] = [
      [
        'garbage bytes',
        Buffer.from('deadbeefcafebabe0123456789', 'hex'),
        ProtocolErrorCode.UnknownPackageType,
      ],
      ['an unknown package type', Buffer.from([9, 0, 0, 0]), ProtocolErrorCode.UnknownPackageType],
      ['a length over the size limit', Buffer.from([4, 0x20, 0, 0]), ProtocolErrorCode.PackageTooLarge],
      ['an empty message', data([]), ProtocolErrorCode.TruncatedMessage],
      ['a route cut short', data([0x00, 0x01, 0x05, 0x61]), ProtocolErrorCode.InvalidRoute],
      ['a body that is not JSON', rawRequest(ECHO, '{"a":'), ProtocolErrorCode.InvalidJson],
      [
        'a protobuf body cut short',
        rawRequest(sayCode, Buffer.from([0x0a, 0x05, 0x61])),
        ProtocolErrorCode.InvalidProtobuf,
      ],
      ['an unknown route code', rawRequest(999, '{}'), ProtocolErrorCode.UnknownRouteCode],
      [
        'a response message',
        data(Message.encode(1, Message.TYPE_RESPONSE, false, null, Buffer.from('{}'))),
        ProtocolErrorCode.ForbiddenMessageType,
      ],
      [
        'a push message',
        data(Message.encode(0, Message.TYPE_PUSH, false, 'onSay', Buffer.from('{}'))),
        ProtocolErrorCode.ForbiddenMessageType,
      ],
      ['a second handshake', Package.encode(Package.TYPE_HANDSHAKE, Buffer.from('{}')), 'unexpected package'],
      ['a kick from the client', Package.encode(Package.TYPE_KICK, Buffer.from('{}')), 'unexpected package'],
      transport === 'ws'
        ? ['a truncated package', Buffer.from([4, 0, 0, 10, 1, 2]), ProtocolErrorCode.TruncatedPackage]
        : // A stream cannot tell a truncated package from one still coming: until it ends.
          [
            'a truncated package, then the end of the stream',
            Buffer.from([4, 0, 0, 10, 1, 2]),
            'client closed',
            true,
          ],
    ];
    for (const [index, [name, bytes, reason, end]] of cases.entries()) {
      const badUid = uid(`bad-${index}`);
      const bad = await enterRaw(cluster, 'connector-1', transport, badUid, 'room-1');
      bad.send(bytes);
      if (end === true) bad.end();
      await bad.closed;
      expect(await cluster.closeReason('connector-1', badUid), name).toBe(reason);
      expect(await bystander.request(ECHO, { after: name })).toMatchObject({ after: name });
      expect(await rawBystander.call(ECHO, { after: name })).toMatchObject({ after: name });
    }

    // Before any handshake: garbage, over TCP one that looks like HTTP too.
    const garbage = [Buffer.from([0x00, 0xde, 0xad, 0xbe, 0xef, 0x01])];
    if (transport === 'tcp') garbage.push(Buffer.from('GARBAGE / NOT HTTP\r\n\r\n'));
    for (const bytes of garbage) {
      const early = await cluster.pinus('connector-1', transport);
      early.send(bytes);
      await early.closed;
    }

    // The held requests were never disturbed.
    expect(await bystander.request(RELEASE, { key })).toEqual({ released: 1 });
    expect(await rawBystander.call(RELEASE, { key })).toEqual({ released: 1 });
    expect(await held).toEqual({ key, released: true });
    expect((await rawBystander.response(rawHeld)).body).toEqual({ key, released: true });
    expect(cluster.allAlive()).toBe(true);
  });

  it('answers 404 for unknown routes and the code a backend handler throws, and the session goes on', async () => {
    const errorsUid = uid('errors-client');
    const client = await cluster.connect('connector-1', transport);
    await enter(client, errorsUid, 'room-2');
    // A route of this connector's type, of a backend type, of no type, and no route at all.
    expect(await client.request('connector.entry.nope', {})).toEqual({
      code: 404,
      message: 'no handler for route connector.entry.nope',
    });
    expect(await client.request('room.roomHandler.nope', {})).toEqual({
      code: 404,
      message: 'no handler for route room.roomHandler.nope',
    });
    expect(await client.request('nowhere.handler.method', {})).toMatchObject({ code: 404 });
    expect(await client.request('not-a-route', {})).toMatchObject({ code: 404 });
    // A handler on the backend that throws `{ code: 4001 }`.
    expect(await client.request(FAIL, {})).toEqual({ code: 4001, message: 'the room refuses on purpose' });
    // A notify to an unknown route is dropped quietly.
    client.notify('room.roomHandler.nope', {});
    // Still bound, still in its room, still routed there.
    expect(await client.request(ECHO, { after: 'errors' })).toMatchObject({
      serverId: 'room-2',
      session: { uid: errorsUid, room: 'room-2' },
    });
    expect(await client.request(SETTINGS, {})).toEqual({ uid: errorsUid, settings: { room: 'room-2' } });

    const rawUid = uid('errors-raw');
    const raw = await enterRaw(cluster, 'connector-2', transport, rawUid, 'room-1');
    expect(await raw.call('room.roomHandler.nope', {})).toMatchObject({ code: 404 });
    expect(await raw.call(FAIL, {})).toEqual({ code: 4001, message: 'the room refuses on purpose' });
    expect(await raw.call(ECHO, { after: 'errors' })).toMatchObject({
      session: { uid: rawUid, room: 'room-1' },
    });
  });

  // A response proto with optional `code` and `message` carries error bodies too, so every Pomelo
  // client can read them (without them the error travels as JSON, which @shaddock/client reads).
  it('answers the code a backend handler throws on a route with a response proto, and the session goes on', async () => {
    const room: RoomName = `room-2/${transport}-proto-error`;
    const client = await cluster.connect('connector-1', transport);
    await enter(client, uid('proto-error-client'), room);
    const failure = await client.request(SAY, { text: '' }).catch((error: unknown) => error);
    expect(failure).toEqual({ code: 4002, message: 'nothing to say' });
    expect(client.state).toBe('connected');
    expect(await client.request(SAY, { text: 'still here' })).toEqual({ delivered: 1 });

    const raw = await enterRaw(cluster, 'connector-2', transport, uid('proto-error-raw'), room);
    const response = await raw.response(raw.request(SAY, { text: '' }));
    expect(response.undecodable).toBeUndefined();
    expect(response.body).toEqual({ code: 4002, message: 'nothing to say' });
  });

  it('delivers 200 pushes made in a tight loop to members on both connectors, each exactly once, in order', async () => {
    const count = 200;
    const room: RoomName = `room-1/${transport}-burst`;
    const members: { name: string; bursts(): number[]; said(): boolean }[] = [];
    let sender: Client | undefined;
    for (const connector of connectors) {
      const client = await cluster.connect(connector, transport);
      const bursts: number[] = [];
      let said = false;
      client.on('onBurst', (body) => bursts.push(Number(body['seq'])));
      client.on('onSay', () => {
        said = true;
      });
      await enter(client, uid(`burst-client-${connector}`), room);
      sender ??= client;
      members.push({ name: `@shaddock/client on ${connector}`, bursts: () => bursts, said: () => said });
      const raw = await enterRaw(cluster, connector, transport, uid(`burst-raw-${connector}`), room);
      members.push({
        name: `pinus client on ${connector}`,
        bursts: () => raw.pushes('onBurst').map((push) => Number(push.body['seq'])),
        said: () => raw.pushes('onSay').length > 0,
      });
    }
    expect(await sender!.request(BURST, { count })).toEqual({ pushed: count, failed: 0 });
    // Pushes to one frontend keep their order: once a push made after the burst arrived, the
    // burst has arrived in full.
    expect(await sender!.request(SAY, { text: 'end of burst' })).toEqual({ delivered: members.length });
    await cluster.waitFor('every member to hear the end of the burst', () => members.every((m) => m.said()));
    for (const member of members) expect(member.bursts(), member.name).toEqual(range(count));
  });

  it('shows session settings pushed from a backend on the next request, on the connector and on backends', async () => {
    const check = async (call: (route: string, body: JsonObject) => Promise<JsonObject>, who: string) => {
      expect(await call(SETTINGS, {})).toEqual({ uid: who, settings: { room: 'room-2' } });
      expect(await call(SET_SCORE, { score: 42 })).toEqual({ score: 42 });
      expect(await call(SETTINGS, {})).toEqual({ uid: who, settings: { room: 'room-2', score: 42 } });
      expect(await call(ECHO, {})).toMatchObject({ session: { uid: who, room: 'room-2', score: 42 } });
      expect(await call(SET_SCORE, { score: 43 })).toEqual({ score: 43 });
      expect(await call(SETTINGS, {})).toEqual({ uid: who, settings: { room: 'room-2', score: 43 } });
    };
    const client = await cluster.connect('connector-1', transport);
    await enter(client, uid('settings-client'), 'room-2');
    await check((route, body) => client.request(route, body), uid('settings-client'));
    const raw = await enterRaw(cluster, 'connector-2', transport, uid('settings-raw'), 'room-2');
    await check((route, body) => raw.call(route, body), uid('settings-raw'));
  });
});

describe('connection protections on a real cluster', () => {
  it('closes a client silent past the heartbeat timeout (and one stuck before its handshake), and only them', async () => {
    const fields = { heartbeat: 1, timeout: 3, handshakeTimeout: 2 };
    await withFrontendCluster({ connectors: { 'connector-1': fields } }, async (cluster) => {
      const silent: PinusClient[] = [];
      const stuck: PinusClient[] = [];
      const beating: PinusClient[] = [];
      const clients: Client[] = [];
      for (const transport of transports) {
        silent.push(await enterRaw(cluster, 'connector-1', transport, `${transport}-silent`, 'room-1'));
        const raw = await enterRaw(cluster, 'connector-1', transport, `${transport}-beating`, 'room-1');
        raw.startHeartbeats(500);
        beating.push(raw);
        const client = await cluster.connect('connector-1', transport);
        await enter(client, `${transport}-client`, 'room-1');
        clients.push(client);
        // One that never sends a byte, one that never ACKs its handshake.
        stuck.push(await cluster.pinus('connector-1', transport));
        const halfway = await cluster.pinus('connector-1', transport);
        expect(await halfway.handshake()).toMatchObject({ code: 200, sys: { heartbeat: 1 } });
        stuck.push(halfway);
      }
      await Promise.all([...silent, ...stuck].map((raw) => raw.closed));
      for (const transport of transports) {
        expect(await cluster.closeReason('connector-1', `${transport}-silent`)).toBe('heartbeat timeout');
      }
      // The clients that heartbeat are still there, answered each heartbeat, and work.
      for (const raw of beating) {
        expect(raw.isClosed).toBe(false);
        expect(raw.packages.filter((pkg) => pkg.type === Package.TYPE_HEARTBEAT).length).toBeGreaterThan(1);
        expect(await raw.call(ECHO, { still: 'here' })).toMatchObject({ still: 'here' });
      }
      for (const client of clients) {
        expect(client.state).toBe('connected');
        expect(await client.request(ECHO, { still: 'here' })).toMatchObject({ still: 'here' });
      }
    });
  });

  it("singleSession: 'reject' refuses a uid's second session, 'replace' kicks the first with 'replaced'", async () => {
    const connectorFields = {
      'connector-1': { singleSession: 'reject' },
      'connector-2': { singleSession: 'replace' },
    };
    await withFrontendCluster({ connectors: connectorFields }, async (cluster) => {
      for (const transport of transports) {
        // 'reject' on connector-1.
        const alice = `${transport}-alice`;
        const first = await cluster.connect('connector-1', transport);
        await enter(first, alice, 'room-1');
        const second = await cluster.pinus('connector-1', transport);
        await second.open();
        expect(await second.call(ENTER, { uid: alice, room: 'room-1' })).toEqual({
          code: 500,
          message: `uid ${alice} already has a session on connector-1`,
        });
        // Both connections go on: the first bound, the refused one free to bind another uid.
        expect(await first.request(SETTINGS, {})).toEqual({ uid: alice, settings: { room: 'room-1' } });
        expect(await second.call(ENTER, { uid: `${alice}-2`, room: 'room-1' })).toMatchObject({
          uid: `${alice}-2`,
        });
        // The rule holds per frontend: alice may also be on connector-2.
        const elsewhere = await cluster.connect('connector-2', transport);
        await enter(elsewhere, alice, 'room-2');

        // 'replace' on connector-2, the older session a raw client, then a @shaddock/client.
        const bob = `${transport}-bob`;
        const older = await enterRaw(cluster, 'connector-2', transport, bob, 'room-2');
        const newer = await cluster.connect('connector-2', transport);
        await enter(newer, bob, 'room-2');
        expect(await older.kicked()).toBe('replaced');
        await older.closed;
        expect(await cluster.closeReason('connector-2', bob)).toBe('replaced');
        const kicks: string[] = [];
        newer.events.on('kick', ({ reason }) => kicks.push(reason));
        const newest = await cluster.connect('connector-2', transport);
        await enter(newest, bob, 'room-2');
        await cluster.waitFor('the replaced client to hear its kick', () => kicks.length > 0);
        expect(kicks).toEqual(['replaced']);
        expect(await newest.request(SETTINGS, {})).toEqual({ uid: bob, settings: { room: 'room-2' } });
      }
    });
  });

  it("max-connections: a socket over the server's limit is closed at accept, unread; a freed slot takes a new one", async () => {
    await withFrontendCluster(
      { connectors: { 'connector-1': { 'max-connections': 2 } } },
      async (cluster) => {
        const inside = await cluster.connect('connector-1', 'ws');
        const leaving = await cluster.pinus('connector-1', 'tcp');
        await leaving.open();
        const port = cluster.port('connector-1');
        for (const transport of transports) {
          // Every socket counts from its accept: one over the limit is closed before a byte of it is read (a WebSocket never opens).
          await expect(connect({ host: '127.0.0.1', port, transport })).rejects.toBeInstanceOf(ClientError);
        }
        expect(await inside.request(ECHO, { inside: true })).toMatchObject({ inside: true });
        // connector-2 has no limit.
        for (const transport of transports) await cluster.connect('connector-2', transport);
        leaving.destroy();
        await leaving.closed;
        const next = await cluster.waitFor('a free slot on connector-1', () =>
          cluster.connect('connector-1', 'tcp').catch((error: unknown) => {
            if (error instanceof ClientError) return undefined;
            throw error;
          }),
        );
        expect(await next.request(ECHO, { next: true })).toMatchObject({ next: true });
      },
    );
  });

  it('drops a client too slow to read what a backend pushes it (maxBufferedBytes), and only it, with a kick and its reason', async () => {
    const connectorFields = { 'connector-2': { maxBufferedBytes: 64 * 1024 } };
    await withFrontendCluster({ connectors: connectorFields }, async (cluster) => {
      for (const transport of transports) {
        const slowUid = `${transport}-slow`;
        const slow = await enterRaw(cluster, 'connector-2', transport, slowUid, 'room-1');
        const healthy = await cluster.connect('connector-2', transport);
        await enter(healthy, `${transport}-healthy`, 'room-1');
        // It never reads again, while the room pushes it 64 KiB at a time.
        slow.pauseReading();
        const flood = await healthy.request(FLOOD, {
          uid: slowUid,
          frontendId: 'connector-2',
          size: 64 * 1024,
          max: 1000,
        });
        expect(flood).toMatchObject({ dropped: true });
        expect(await cluster.closeReason('connector-2', slowUid)).toBe('slow client');
        // The slow one, reading again, gets what its socket held, then the kick with the reason, then the close.
        slow.resumeReading();
        expect(await slow.kicked()).toBe('slow client');
        await slow.closed;
        expect(slow.packages.at(-1)?.type).toBe(Package.TYPE_KICK);
        // The others on the connector go on.
        expect(await healthy.request(ECHO, { after: 'the flood' })).toMatchObject({ after: 'the flood' });
      }
    });
  });

  it('answers 502 to requests forwarded to a backend killed with kill -9, without waiting, and the connectors stay up', async () => {
    // An RPC deadline far past the test's timeout: an answer can only come from the lost connection.
    const env = { FRONTEND_APP_RPC_TIMEOUT: '600000' };
    await withFrontendCluster({ env }, async (cluster) => {
      const clients: Client[] = [];
      const raws: PinusClient[] = [];
      for (const [index, connector] of connectors.entries()) {
        const transport = transports[index] ?? 'ws';
        const client = await cluster.connect(connector, transport);
        await enter(client, `doomed-client-${connector}`, 'room-1');
        clients.push(client);
        const other = transports[1 - index] ?? 'tcp';
        raws.push(await enterRaw(cluster, connector, other, `doomed-raw-${connector}`, 'room-1'));
      }
      const survivor = await cluster.connect('connector-1', 'tcp');
      await enter(survivor, 'survivor', 'room-2');

      // Requests held in room-1 by every client, three each; one held in room-2.
      const held = clients.flatMap((client, index) =>
        range(3).map((k) => client.request(HOLD, { key: `client-${index}-${k}` })),
      );
      const rawHeld = raws.flatMap((raw, index) =>
        range(3).map((k) => ({ raw, id: raw.request(HOLD, { key: `raw-${index}-${k}` }) })),
      );
      const survivorHeld = survivor.request(HOLD, { key: 'survivor' });
      await cluster.waitFor('every request to be held', () =>
        cluster.seen('room-1', 'hold:start').length === 12 &&
        cluster.seen('room-2', 'hold:start').length === 1
          ? true
          : undefined,
      );

      const room1 = cluster.pid('room-1');
      process.kill(room1, 'SIGKILL');
      for (const reply of await Promise.all(held)) expect(reply).toMatchObject({ code: 502 });
      for (const { raw, id } of rawHeld) expect((await raw.response(id)).body).toMatchObject({ code: 502 });

      // Later requests for room-1 are refused at once too; room-2 answers; every connection stayed.
      for (const client of clients)
        expect(await client.request(ECHO, { late: true })).toMatchObject({ code: 502 });
      for (const raw of raws) expect(await raw.call(ECHO, { late: true })).toMatchObject({ code: 502 });
      expect(await survivor.request(RELEASE, { key: 'survivor' })).toEqual({ released: 1 });
      expect(await survivorHeld).toEqual({ key: 'survivor', released: true });
      for (const client of clients)
        expect(await client.request(SETTINGS, {})).toMatchObject({ settings: { room: 'room-1' } });
      const fresh = await cluster.connect('connector-2', 'ws');
      await enter(fresh, 'fresh', 'room-2');
      expect(alive(room1)).toBe(false);
      for (const id of [...connectors, 'room-2']) expect(alive(cluster.pid(id)), id).toBe(true);
    });
  });
});
