// The chat example end to end: the built app (dist/) as real processes (a gate, two connectors,
// two chat servers) and @shaddock/client clients logging in through the gate, as the page does.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual, promisify } from 'node:util';
import { type Client, connect, type TransportKind } from '@shaddock/client';
import { ConsistentHashRouter, LocalMembership } from 'shaddock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ChatPushes } from '../src/app/chat-protocol.js';
import type { ChatApi } from '../src/web/chat-api.js';
import { ChatRoom, type ChatRoomListener, type ConnectionStatus } from '../src/web/chat-room.js';
import { alive, type ChatCluster, startChatCluster, waitFor } from './chat-cluster.js';
import { enterAs, type Push } from './chat-user.js';

/** A logged-in client and every push it received, in order. */
interface User {
  readonly name: string;
  readonly client: Client<ChatApi>;
  /** The connector's client port. */
  readonly port: number;
  readonly users: string[];
  readonly pushes: Push[];
}

let cluster: ChatCluster;
const clients: Client<ChatApi>[] = [];

beforeAll(async () => {
  cluster = await startChatCluster();
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
});

afterAll(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await cluster?.stop();
});

async function open(port: number, transport: TransportKind = 'ws'): Promise<Client<ChatApi>> {
  const client = await connect<ChatApi>({ host: '127.0.0.1', port, transport });
  clients.push(client);
  return client;
}

/** The connector the gate gives `username`: `gate.gateHandler.queryEntry`, as the page does it. */
async function queryEntry(username: string, transport: TransportKind = 'ws'): Promise<number> {
  const gate = await open(cluster.gate.port, transport);
  const reply = await gate.request('gate.gateHandler.queryEntry', { username });
  await gate.close();
  if (reply.code !== 200) throw new Error(`the gate refused ${username}: ${reply.message}`);
  expect(reply.host).toBe('127.0.0.1');
  return reply.port;
}

/** Logs in through the gate and enters `rid`; fails the test when refused. */
async function login(name: string, rid: string, transport: TransportKind = 'ws'): Promise<User> {
  const port = await queryEntry(name, transport);
  const client = await open(port, transport);
  const { users, pushes } = await enterAs(client, name, rid);
  return { name, client, port, users, pushes };
}

/** Waits until `user` has received this push (route and body equal). */
function received(user: User, push: Push): Promise<Push> {
  return waitFor(`${user.name} to receive ${JSON.stringify(push)}`, () =>
    user.pushes.find((seen) => isDeepStrictEqual(seen, push)),
  );
}

function chats(user: User): ChatPushes['onChat'][] {
  return user.pushes.flatMap((push) => (push.route === 'onChat' ? [push.body] : []));
}

/** A name from `prefix-0`, `prefix-1`, … that the gate sends to a connector `accept`s. */
async function nameOn(prefix: string, accept: (port: number) => boolean): Promise<string> {
  for (let index = 0; index < 64; index++) {
    const name = `${prefix}-${index}`;
    if (accept(await queryEntry(name))) return name;
  }
  throw new Error(`no name ${prefix}-… lands where wanted`);
}

/** A room name held by chat server `serverId` (the example's route: a consistent hash of the room over the chat servers). */
function roomOn(serverId: string, prefix: string): string {
  const membership = new LocalMembership();
  membership.replace(
    cluster.servers
      .filter((server) => server.serverType === 'chat')
      .map((server) => ({ id: server.id, serverType: 'chat', host: '127.0.0.1', frontend: false })),
  );
  const ring = new ConsistentHashRouter(membership);
  for (let index = 0; ; index++) {
    if (ring.routeKey('chat', `${prefix}-${index}`) === serverId) return `${prefix}-${index}`;
  }
}

describe('the chat example', () => {
  it('lets two users on different connectors see each other, talk in the room and privately, and leave', async () => {
    const rid = roomOn('chat-1', 'lobby');
    const annName = await nameOn('ann', () => true);
    const annPort = await queryEntry(annName);
    const bobName = await nameOn('bob', (port) => port !== annPort);
    // carol shares ann's connector: she must not see what is written to ann only.
    const carolName = await nameOn('carol', (port) => port === annPort);

    const ann = await login(annName, rid);
    expect(ann.users).toEqual([annName]);
    const bob = await login(bobName, rid);
    expect(bob.port).not.toBe(ann.port);
    expect(bob.users.sort()).toEqual([annName, bobName].sort());
    await received(ann, { route: 'onAdd', body: { user: bobName } });
    const carol = await login(carolName, rid);
    expect(carol.users.sort()).toEqual([annName, bobName, carolName].sort());
    await received(ann, { route: 'onAdd', body: { user: carolName } });
    await received(bob, { route: 'onAdd', body: { user: carolName } });

    expect(
      await ann.client.request('chat.chatHandler.send', { content: 'hello, room', target: '*' }),
    ).toEqual({
      code: 200,
    });
    const hello = { from: annName, target: '*', msg: 'hello, room' };
    for (const user of [ann, bob, carol]) await received(user, { route: 'onChat', body: hello });

    expect(await bob.client.request('chat.chatHandler.send', { content: 'psst', target: annName })).toEqual({
      code: 200,
    });
    const whisper = { from: bobName, target: annName, msg: 'psst' };
    await received(ann, { route: 'onChat', body: whisper });
    await received(bob, { route: 'onChat', body: whisper });

    // Pushes to one connector keep their order: once carol has the next room message, she would
    // have had the private one before it.
    await bob.client.request('chat.chatHandler.send', { content: 'anyone?', target: '*' });
    await received(carol, { route: 'onChat', body: { from: bobName, target: '*', msg: 'anyone?' } });
    expect(chats(carol).map((chat) => chat.msg)).toEqual(['hello, room', 'anyone?']);

    const toNobody = await bob.client.request('chat.chatHandler.send', { content: 'hi', target: 'nobody' });
    expect(toNobody).toEqual({ code: 404, message: `"nobody" is not in room "${rid}"` });

    await bob.client.close();
    await received(ann, { route: 'onLeave', body: { user: bobName } });
    await received(carol, { route: 'onLeave', body: { user: bobName } });
    const dave = await login('dave', rid);
    expect(dave.users.sort()).toEqual([annName, carolName, 'dave'].sort());
  });

  it('refuses a name taken in the room with a clear error, and the first user keeps it', async () => {
    const rid = roomOn('chat-2', 'hall');
    const ann = await login('ann', rid);
    const expected = { code: 409, message: `the name "ann" is taken in room "${rid}"` };

    // Through the gate: the same connector as the first ann (the gate hashes the name).
    const again = await open(await queryEntry('ann'));
    expect(await again.request('connector.entryHandler.enter', { username: 'ann', rid })).toEqual(expected);
    // Straight to the other connector: the room's chat server refuses it.
    const otherPort = cluster.servers.find(
      (server) => server.serverType === 'connector' && server.clientPort !== ann.port,
    )?.clientPort;
    const elsewhere = await open(otherPort ?? 0);
    expect(await elsewhere.request('connector.entryHandler.enter', { username: 'ann', rid })).toEqual(
      expected,
    );

    // The refused connection is free again; the name is free in other rooms.
    const renamed = await elsewhere.request('connector.entryHandler.enter', { username: 'ann-too', rid });
    expect(renamed).toMatchObject({ code: 200 });
    await received(ann, { route: 'onAdd', body: { user: 'ann-too' } });
    expect(
      await again.request('connector.entryHandler.enter', { username: 'ann', rid: `${rid}-2` }),
    ).toMatchObject({
      code: 200,
      users: ['ann'],
    });

    // The first ann is untouched: still in the room, still hearing it.
    await elsewhere.request('chat.chatHandler.send', { content: 'welcome back', target: 'ann' });
    await received(ann, { route: 'onChat', body: { from: 'ann-too', target: 'ann', msg: 'welcome back' } });
  });

  it('answers bad requests with a code and a message', async () => {
    const gate = await open(cluster.gate.port);
    const connectorPort = await queryEntry('eve');
    const eve = await open(connectorPort);
    const untyped = await connect({ host: '127.0.0.1', port: connectorPort });
    try {
      expect(await gate.request('gate.gateHandler.queryEntry', { username: 'e*ve' })).toMatchObject({
        code: 400,
      });
      expect(await eve.request('connector.entryHandler.enter', { username: '', rid: 'lobby' })).toEqual({
        code: 400,
        message: 'username must be a non-empty string',
      });
      expect(await untyped.request('connector.entryHandler.enter', { username: 'eve' })).toEqual({
        code: 400,
        message: 'rid must be a non-empty string',
      });
      expect(await eve.request('chat.chatHandler.send', { content: 'hi', target: '*' })).toEqual({
        code: 403,
        message: 'enter a room first',
      });
      expect(
        await eve.request('connector.entryHandler.enter', { username: 'eve', rid: 'lobby' }),
      ).toMatchObject({
        code: 200,
      });
      expect(await eve.request('chat.chatHandler.send', { content: ' ', target: '*' })).toMatchObject({
        code: 400,
      });
      expect(await eve.request('connector.entryHandler.enter', { username: 'eve2', rid: 'lobby' })).toEqual({
        code: 400,
        message: 'this connection is already in a room',
      });
      expect(await untyped.request('chat.chatHandler.shout', { content: 'hi' })).toMatchObject({ code: 404 });
    } finally {
      await untyped.close();
    }
  });

  it('serves the same chat over TCP', async () => {
    const rid = roomOn('chat-2', 'tcp-room');
    const web = await login('web-user', rid, 'ws');
    const tcp = await login('tcp-user', rid, 'tcp');
    expect(tcp.users.sort()).toEqual(['tcp-user', 'web-user']);
    await received(web, { route: 'onAdd', body: { user: 'tcp-user' } });

    await tcp.client.request('chat.chatHandler.send', { content: 'over tcp', target: '*' });
    await received(web, { route: 'onChat', body: { from: 'tcp-user', target: '*', msg: 'over tcp' } });
    await web.client.request('chat.chatHandler.send', { content: 'just you', target: 'tcp-user' });
    await received(tcp, { route: 'onChat', body: { from: 'web-user', target: 'tcp-user', msg: 'just you' } });

    await tcp.client.close();
    await received(web, { route: 'onLeave', body: { user: 'tcp-user' } });
  });

  it('hands out the next connector on the ring in place of those the client failed to reach, and 503 when none is left', async () => {
    const connectorPorts = cluster.servers.flatMap((server) =>
      server.serverType === 'connector' && server.clientPort !== undefined ? [server.clientPort] : [],
    );
    expect(connectorPorts).toHaveLength(2);
    const [firstPort = 0, secondPort = 0] = connectorPorts;
    const onFirst = await nameOn('skip', (port) => port === firstPort);
    const onSecond = await nameOn('keep', (port) => port === secondPort);
    const gate = await open(cluster.gate.port);
    const ask = (username: string, failed: { host: string; port: number }[]) =>
      gate.request('gate.gateHandler.queryEntry', { username, failed });
    const at = (port: number) => ({ host: '127.0.0.1', port });

    // The first connector failed for this client: the next one on the ring instead.
    expect(await ask(onFirst, [at(firstPort)])).toEqual({ code: 200, ...at(secondPort) });
    // The names the skipped connector does not own keep theirs; addresses that are no connector change nothing.
    expect(await ask(onSecond, [at(firstPort)])).toEqual({ code: 200, ...at(secondPort) });
    expect(
      await ask(onFirst, [at(cluster.gate.port), { host: 'elsewhere.example', port: firstPort }]),
    ).toEqual({
      code: 200,
      ...at(firstPort),
    });
    // Every connector failed: a clear refusal, for the client to ask again later.
    const none = await ask(onFirst, [at(firstPort), at(secondPort)]);
    expect(none).toEqual({ code: 503, message: 'no connector available: the 2 running are all in "failed"' });

    const untyped = await connect({ host: '127.0.0.1', port: cluster.gate.port });
    try {
      for (const failed of [
        '127.0.0.1:3051',
        [`127.0.0.1:${firstPort}`],
        [{ host: '', port: 1 }],
        [{ host: 'h' }],
      ]) {
        expect(
          await untyped.request('gate.gateHandler.queryEntry', { username: onFirst, failed }),
        ).toMatchObject({
          code: 400,
        });
      }
      const many = Array.from({ length: 65 }, (_, index) => at(40_000 + index));
      expect(
        await untyped.request('gate.gateHandler.queryEntry', { username: onFirst, failed: many }),
      ).toEqual({
        code: 400,
        message: 'failed must be a list of at most 64 { host, port }',
      });
    } finally {
      await untyped.close();
    }
  });

  it("takes a dead connector's users out of their rooms, and the page's client enters again through the other connector", async () => {
    const rid = roomOn('chat-1', 'crash');
    const bob = await login('bob', rid);
    const ann = await nameOn('ann-crash', (port) => port !== bob.port);
    const seen = { statuses: [] as ConnectionStatus[], users: [] as string[][], messages: [] as string[] };
    const listener: ChatRoomListener = {
      status: (status) => seen.statuses.push(status),
      users: (users) => seen.users.push([...users].sort()),
      joined: () => {},
      left: () => {},
      message: (message) => seen.messages.push(message.msg),
    };
    const room = await ChatRoom.enter(cluster.gate, { username: ann, rid }, listener);
    try {
      expect(seen.users).toEqual([[ann, 'bob'].sort()]);
      expect(room.connector?.port).not.toBe(bob.port);
      await received(bob, { route: 'onAdd', body: { user: ann } });

      const connector = cluster.servers.find((server) => server.clientPort === room.connector?.port);
      const pid = cluster.pidOf(connector?.id ?? '');
      expect(pid).toBeDefined();
      process.kill(pid ?? 0, 'SIGKILL');
      // The chat server hears that the connector is gone and takes its users out of their rooms.
      await received(bob, { route: 'onLeave', body: { user: ann } });
      // The client reconnects through the gate, which names the live connector (bob's), and the
      // room enters again there: nobody waits for the dead one to come back.
      const onAdds = () => bob.pushes.filter((push) => push.route === 'onAdd' && push.body.user === ann);
      await waitFor('ann to enter again', () => (onAdds().length === 2 ? true : undefined));
      await waitFor('the page to be online again', () =>
        seen.statuses.at(-1) === 'online' ? true : undefined,
      );
      expect(room.connector?.port).toBe(bob.port);
      expect(seen.statuses).toContain('reconnecting');
      expect(seen.statuses).not.toContain('offline');
      expect(seen.users).toEqual([[ann, 'bob'].sort(), [ann, 'bob'].sort()]);
      await room.send('*', 'back again');
      await received(bob, { route: 'onChat', body: { from: ann, target: '*', msg: 'back again' } });
      await bob.client.request('chat.chatHandler.send', { content: 'welcome back', target: ann });
      await waitFor('ann to hear bob', () => (seen.messages.includes('welcome back') ? true : undefined));
    } finally {
      await room.close();
    }
  });

  it('serves the web page on the gate', async () => {
    const root = fileURLToPath(new URL('..', import.meta.url));
    // The page's bundle comes from the example's build script, which `tsc -b` alone does not run.
    await promisify(execFile)(process.execPath, ['scripts/bundle-page.js'], { cwd: root });

    const page = await fetch(cluster.web);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await page.text()).toContain('<script type="module" src="/chat.js"></script>');
    const config = await fetch(new URL('/config.json', cluster.web));
    expect(await config.json()).toEqual({ gate: cluster.gate });
    const script = await fetch(new URL('/chat.js', cluster.web));
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect((await script.text()).length).toBeGreaterThan(1_000);
    expect((await fetch(new URL('/style.css', cluster.web))).status).toBe(200);
    expect((await fetch(new URL('/app.js', cluster.web))).status).toBe(404);
    expect((await fetch(new URL('/%2e%2e/config/servers.json', cluster.web))).status).toBe(404);
    expect((await fetch(cluster.web, { method: 'POST' })).status).toBe(405);
  });

  it('stops every process when the master is told to stop', async () => {
    expect(cluster.pids.length).toBeGreaterThanOrEqual(6);
    expect(await cluster.stop()).toEqual([]);
    expect(cluster.pids.filter(alive)).toEqual([]);
  });
});
