// The chat example scaled out: its `scale` environment (config/cluster.json: membership on NATS,
// rooms and online status in Redis, no master) on free ports, every server its own
// `shaddock server --env scale --id <id> --dir <folder>` as on any host, against the NATS
// (with JetStream) and the Redis that config names (127.0.0.1:4222 and :6379), under a cluster name
// of its own. Rooms live in Redis: users on different connectors share one; a connector that dies
// leaves each of its rooms once; a chat server that dies hands its rooms to the next one, which
// finds their members in Redis, and the users talk on without entering again. Without NATS or
// Redis the test is skipped, saying why; under CI (CI=true) it fails instead.
import { randomBytes } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { type Client, connect } from '@shaddock/client';
import { skipUnlessCi } from '@shaddock/test-support';
import { ConsistentHashRouter, LocalMembership } from 'shaddock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ChatApi } from '../src/web/chat-api.js';
import {
  alive,
  type ScaleChatCluster,
  scaleServices,
  startScaleChatCluster,
  waitFor,
} from './chat-cluster.js';
import { enterAs, type Push } from './chat-user.js';
import {
  clusterKeys,
  deleteClusterBuckets,
  deleteClusterKeys,
  redisCommands,
  servicesProblem,
} from './scale-services.js';

/** A logged-in client and every push it received, in order. */
interface User {
  readonly name: string;
  readonly client: Client<ChatApi>;
  /** The connector's client port. */
  readonly port: number;
  readonly users: string[];
  readonly pushes: Push[];
}

const services = scaleServices(`chat-test-${randomBytes(4).toString('hex')}`);
const problem = skipUnlessCi(
  'scale.test.ts (run nats-server -js and redis-server there)',
  await servicesProblem(services.nats, services.redis),
);

describe.skipIf(problem !== undefined)('the chat example, scaled out with NATS and Redis', () => {
  let cluster: ScaleChatCluster | undefined;
  const clients: Client<ChatApi>[] = [];

  beforeAll(async () => {
    cluster = await startScaleChatCluster(services);
  }, 90_000);

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
  });

  afterAll(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
    await cluster?.stop();
    await deleteClusterKeys(services.redis, services.cluster);
    await deleteClusterBuckets(services.nats, services.cluster);
  }, 30_000);

  const started = (): ScaleChatCluster => {
    if (cluster === undefined) throw new Error('the cluster did not start');
    return cluster;
  };

  async function open(port: number): Promise<Client<ChatApi>> {
    const client = await connect<ChatApi>({ host: '127.0.0.1', port });
    clients.push(client);
    return client;
  }

  /** The connector's client port the gate gives `username`. */
  async function queryEntry(username: string): Promise<number> {
    const gate = await open(started().gate.port);
    const reply = await gate.request('gate.gateHandler.queryEntry', { username });
    await gate.close();
    if (reply.code !== 200) throw new Error(`the gate refused ${username}: ${reply.message}`);
    return reply.port;
  }

  /** Logs in through the gate and enters `rid`; fails the test when refused. */
  async function login(name: string, rid: string): Promise<User> {
    const port = await queryEntry(name);
    const client = await open(port);
    const { users, pushes } = await enterAs(client, name, rid);
    return { name, client, port, users, pushes };
  }

  /** Waits until `user` has received this push (route and body equal). */
  function received(user: User, push: Push): Promise<Push> {
    return waitFor(`${user.name} to receive ${JSON.stringify(push)}`, () =>
      user.pushes.find((seen) => isDeepStrictEqual(seen, push)),
    );
  }

  function count(user: User, push: Push): number {
    return user.pushes.filter((seen) => isDeepStrictEqual(seen, push)).length;
  }

  /** A name from `prefix-0`, `prefix-1`, … that the gate sends to a connector `accept`s. */
  async function nameOn(prefix: string, accept: (port: number) => boolean): Promise<string> {
    for (let index = 0; index < 64; index++) {
      const name = `${prefix}-${index}`;
      if (accept(await queryEntry(name))) return name;
    }
    throw new Error(`no name ${prefix}-… lands where wanted`);
  }

  /** A room that routes to chat server `serverId` (a consistent hash of the room over the chat servers). */
  function roomOn(serverId: string, prefix: string): string {
    const membership = new LocalMembership();
    membership.replace(
      started()
        .servers.filter((server) => server.serverType === 'chat')
        .map((server) => ({ id: server.id, serverType: 'chat', host: '127.0.0.1', frontend: false })),
    );
    const ring = new ConsistentHashRouter(membership);
    for (let index = 0; ; index++) {
      if (ring.routeKey('chat', `${prefix}-${index}`) === serverId) return `${prefix}-${index}`;
    }
  }

  /** The room's members as Redis holds them: uid → connector id. */
  async function roomInRedis(rid: string): Promise<Record<string, string>> {
    const [flat] = await redisCommands(services.redis, [
      ['HGETALL', `shaddock:${services.cluster}:channel:${rid}`],
    ]);
    const members: Record<string, string> = {};
    if (!Array.isArray(flat)) return members;
    for (let index = 0; index + 1 < flat.length; index += 2)
      members[String(flat[index])] = String(flat[index + 1]);
    return members;
  }

  /**
   * Sends `prefix-0`, `prefix-1`, … from `user` to `target` until one is answered 200 (while the
   * user's connector still routes the room to a dead chat server, the answer is a failure);
   * resolves to the message that went through.
   */
  async function talk(user: User, target: string, prefix: string): Promise<string> {
    let attempt = 0;
    return waitFor(
      `${user.name}'s room to answer again`,
      async () => {
        const msg = `${prefix}-${attempt++}`;
        const reply = await user.client.request('chat.chatHandler.send', { content: msg, target });
        return reply.code === 200 ? msg : undefined;
      },
      10_000,
    );
  }

  const connectorPort = (id: string): number =>
    started().servers.find((server) => server.id === id)?.clientPort ?? 0;

  it('puts users of different connectors in one room, kept in Redis, and refuses a name taken there', async () => {
    const rid = roomOn('chat-1', 'lobby');
    const annName = await nameOn('ann', () => true);
    const ann = await login(annName, rid);
    const bob = await login(await nameOn('bob', (port) => port !== ann.port), rid);
    expect(bob.users.sort()).toEqual([ann.name, bob.name].sort());
    await received(ann, { route: 'onAdd', body: { user: bob.name } });

    const members = await roomInRedis(rid);
    expect(Object.keys(members).sort()).toEqual([`${ann.name}*${rid}`, `${bob.name}*${rid}`].sort());
    expect(members[`${ann.name}*${rid}`]).not.toBe(members[`${bob.name}*${rid}`]);

    await ann.client.request('chat.chatHandler.send', { content: 'hello', target: '*' });
    await received(bob, { route: 'onChat', body: { from: ann.name, target: '*', msg: 'hello' } });
    await bob.client.request('chat.chatHandler.send', { content: 'psst', target: ann.name });
    await received(ann, { route: 'onChat', body: { from: bob.name, target: ann.name, msg: 'psst' } });

    // ann's name, through the connector that does not hold her: the room refuses it.
    const elsewhere = await open(bob.port);
    expect(await elsewhere.request('connector.entryHandler.enter', { username: ann.name, rid })).toEqual({
      code: 409,
      message: `the name "${ann.name}" is taken in room "${rid}"`,
    });
  });

  it("takes a dead connector's users out of their rooms, each room hearing it once, and a restarted connector starts clean", async () => {
    // A room on each chat server; in each, one user on connector-2 and one on connector-1.
    const rooms = [roomOn('chat-1', 'crash'), roomOn('chat-2', 'crash')];
    const stays = await nameOn('stays', (port) => port === connectorPort('connector-1'));
    const goes = await nameOn('goes', (port) => port === connectorPort('connector-2'));
    const pairs: { stayer: User; goer: User }[] = [];
    for (const rid of rooms) pairs.push({ stayer: await login(stays, rid), goer: await login(goes, rid) });

    await started().kill('connector-2');
    for (const { stayer } of pairs) await received(stayer, { route: 'onLeave', body: { user: goes } });
    for (const rid of rooms)
      await waitFor(`${rid} to lose ${goes}`, async () =>
        Object.keys(await roomInRedis(rid)).length === 1 ? true : undefined,
      );
    // Every chat server heard that connector-2 left; each room was told once.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    for (const { stayer } of pairs) expect(count(stayer, { route: 'onLeave', body: { user: goes } })).toBe(1);

    // Records left by a connector that no server cleaned (all of them down at the time): the
    // connector drops them as it starts again, before it takes clients.
    const ghost = `ghost*${rooms[0]}`;
    await redisCommands(services.redis, [
      ['HSET', `shaddock:${services.cluster}:channel:${rooms[0]}`, ghost, 'connector-2'],
      ['SADD', `shaddock:${services.cluster}:channels`, rooms[0] ?? ''],
    ]);
    await started().restart('connector-2');
    expect(Object.keys(await roomInRedis(rooms[0] ?? ''))).toEqual([`${stays}*${rooms[0]}`]);
    const back = await login(goes, rooms[0] ?? '');
    expect(back.users.sort()).toEqual([goes, stays].sort());
  });

  it('keeps a room whose chat server dies: the next chat server reads its members from Redis', async () => {
    const rid = roomOn('chat-1', 'hall');
    const ann = await login(await nameOn('ann-hall', () => true), rid);
    const bob = await login(await nameOn('bob-hall', (port) => port !== ann.port), rid);
    await ann.client.request('chat.chatHandler.send', { content: 'before', target: '*' });
    await received(bob, { route: 'onChat', body: { from: ann.name, target: '*', msg: 'before' } });

    await started().kill('chat-1');
    // Within a few seconds (each connector drops chat-1 within a second) the room answers again,
    // from chat-2, with the same members: nobody enters again.
    const toRoom = await talk(ann, '*', 'again');
    await received(bob, { route: 'onChat', body: { from: ann.name, target: '*', msg: toRoom } });
    const toAnn = await talk(bob, ann.name, 'still here');
    await received(ann, { route: 'onChat', body: { from: bob.name, target: ann.name, msg: toAnn } });
    // Nobody left the room, and a newcomer finds both in it.
    expect([...ann.pushes, ...bob.pushes].filter((push) => push.route === 'onLeave')).toEqual([]);
    const carol = await login('carol', rid);
    expect(carol.users.sort()).toEqual([ann.name, bob.name, 'carol'].sort());
    await received(ann, { route: 'onAdd', body: { user: 'carol' } });
  });

  it('empties the rooms as users leave, and stops every server; the cluster leaves nothing in Redis', async () => {
    await waitFor('every room to be empty in Redis', async () => {
      const keys = await clusterKeys(services.redis, services.cluster);
      return keys.some((key) => key.includes(':channel')) ? undefined : true;
    });
    const current = started();
    expect(await current.stop()).toEqual([]);
    expect(current.pids.filter(alive)).toEqual([]);
    await deleteClusterKeys(services.redis, services.cluster);
    expect(await clusterKeys(services.redis, services.cluster)).toEqual([]);
  });
});
