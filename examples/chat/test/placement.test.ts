// Rooms stay where they are (issue 12, item 4): the built chat example as real processes under its
// master, rooms filled through both connectors, then the real `shaddock add … serverType=chat`
// CLI, which must split no room; then a `kill -9` of a room's chat server, after which its members
// hear `onRoomMoved` and the room works again on another chat server.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { type Client, connect } from '@shaddock/client';
import { ConsistentHashRouter, LocalMembership } from 'shaddock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatApi } from '../src/web/chat-api.js';
import { type ChatCluster, freePort, SHADDOCK_BIN, startChatCluster, waitFor } from './chat-cluster.js';
import { enterAs, type Push } from './chat-user.js';

const HOST = '127.0.0.1';
/** The admin user the master is started with and the CLI logs in as, `user:password`. */
const ADMIN_USER = 'ops:placement-test-password';

/** A client in a room and every push it got. */
interface Member {
  readonly name: string;
  readonly rid: string;
  readonly client: Client<ChatApi>;
  readonly pushes: Push[];
  readonly users: readonly string[];
}

let cluster: ChatCluster;
let connectorPorts: number[];
const clients: Client<ChatApi>[] = [];

beforeAll(async () => {
  cluster = await startChatCluster({ adminUser: ADMIN_USER });
  connectorPorts = cluster.servers.flatMap((server) =>
    server.serverType === 'connector' && server.clientPort !== undefined ? [server.clientPort] : [],
  );
}, 60_000);

afterAll(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close().catch(() => {})));
  await cluster?.stop();
}, 60_000);

async function enter(name: string, rid: string, connector: 0 | 1): Promise<Member> {
  const client = await connect<ChatApi>({ host: HOST, port: connectorPorts[connector] as number });
  clients.push(client);
  const { users, pushes } = await enterAs(client, name, rid);
  return { name, rid, client, pushes, users };
}

/** `from` says `text` to its room; every one of `to` gets it, and `from`'s send is answered 200. */
async function talk(from: Member, to: readonly Member[], text: string): Promise<void> {
  const reply = await from.client.request('chat.chatHandler.send', { target: '*', content: text });
  expect(reply, `${from.name} in ${from.rid}: ${text}`).toMatchObject({ code: 200 });
  for (const member of to) {
    await waitFor(`${member.name} to get "${text}" from ${from.name}`, () =>
      member.pushes.some(
        (push) => push.route === 'onChat' && push.body.msg === text && push.body.from === from.name,
      )
        ? true
        : undefined,
    );
  }
}

/** The chat server a room's name hashes to over these chat servers: where the bare hash would put it. */
function hashed(room: string, servers: readonly string[]): string {
  const membership = new LocalMembership(
    servers.map((id) => ({ id, serverType: 'chat', host: HOST, port: 1, frontend: false })),
  );
  return new ConsistentHashRouter(membership).routeKey('chat', room);
}

/** Room names: `moving` that the bare hash would hand to chat-3 once it joins, `staying` that it would not. */
function roomNames(moving: number, staying: number): { moving: string[]; staying: string[] } {
  const names = { moving: [] as string[], staying: [] as string[] };
  for (let index = 0; names.moving.length < moving || names.staying.length < staying; index++) {
    const room = `room-${index}`;
    const goes = hashed(room, ['chat-1', 'chat-2', 'chat-3']) === 'chat-3';
    const list = goes ? names.moving : names.staying;
    if (list.length < (goes ? moving : staying)) list.push(room);
  }
  return names;
}

const rooms = roomNames(5, 3);
const filled = new Map<string, Member[]>();

describe('rooms stay where they are', () => {
  it('splits no room when `shaddock add` adds a chat server: old members and new joiners all meet', async () => {
    // 8 rooms, each with a member through each connector
    for (const rid of [...rooms.moving, ...rooms.staying]) {
      const ann = await enter(`ann-${rid}`, rid, 0);
      const bob = await enter(`bob-${rid}`, rid, 1);
      expect(bob.users).toEqual(expect.arrayContaining([ann.name, bob.name]));
      filled.set(rid, [ann, bob]);
    }

    const added = await promisify(execFile)(
      process.execPath,
      [
        SHADDOCK_BIN,
        'add',
        '--dir',
        cluster.dir,
        '--env',
        'test',
        'id=chat-3',
        `host=${HOST}`,
        `port=${await freePort()}`,
        'serverType=chat',
      ],
      { env: { ...process.env, SHADDOCK_ADMIN_USER: ADMIN_USER } },
    );
    expect(added.stdout).toContain('chat-3');
    expect(cluster.pidOf('chat-3')).toBeDefined();

    for (const [rid, [ann, bob]] of filled as Map<string, [Member, Member]>) {
      await talk(ann, [bob], `after add, ann in ${rid}`);
      await talk(bob, [ann], `after add, bob in ${rid}`);
      // a newcomer, through either connector, sees the old members and is seen by them
      const cid = await enter(`cid-${rid}`, rid, rid.length % 2 === 0 ? 0 : 1);
      expect(cid.users).toEqual(expect.arrayContaining([ann.name, bob.name, cid.name]));
      await talk(cid, [ann, bob], `newcomer in ${rid}`);
      await talk(ann, [cid], `welcome in ${rid}`);
      filled.set(rid, [ann, bob, cid]);
    }

    // new rooms do go to the new server: its log says nothing, but its rooms answer as others do
    const fresh = await enter('dan', `fresh-${rooms.moving[0]}`, 0);
    const fresher = await enter('eve', `fresh-${rooms.moving[0]}`, 1);
    await talk(fresh, [fresher], 'a fresh room works');
  }, 120_000);

  it('re-creates the rooms of a chat server killed with SIGKILL on another one, and tells their members', async () => {
    // the rooms placed before chat-3 came, by the hash over chat-1 and chat-2
    const onChat1 = [...filled.keys()].filter((rid) => hashed(rid, ['chat-1', 'chat-2']) === 'chat-1');
    const onChat2 = [...filled.keys()].filter((rid) => hashed(rid, ['chat-1', 'chat-2']) === 'chat-2');
    expect(onChat1.length).toBeGreaterThan(0);
    const pid = cluster.pidOf('chat-1');
    expect(pid).toBeDefined();
    process.kill(pid as number, 'SIGKILL');

    for (const rid of onChat1) {
      const members = filled.get(rid) ?? [];
      for (const member of members) {
        await waitFor(`${member.name} to hear that ${rid} moved`, () =>
          member.pushes.find(
            (push) => push.route === 'onRoomMoved' && push.body.users.length === members.length,
          ),
        );
      }
      const [ann, bob, cid] = members as [Member, Member, Member];
      await talk(bob, [ann, cid], `after the crash, bob in ${rid}`);
      await talk(cid, [ann, bob], `after the crash, cid in ${rid}`);
      const late = await enter(`fay-${rid}`, rid, 0);
      expect(late.users).toEqual(expect.arrayContaining(members.map((member) => member.name)));
      await talk(late, [ann, bob, cid], `a late joiner in ${rid}`);
    }
    // rooms elsewhere heard nothing and work as before
    for (const rid of onChat2) {
      const [ann, bob] = filled.get(rid) as [Member, Member];
      expect(ann.pushes.some((push) => push.route === 'onRoomMoved')).toBe(false);
      await talk(ann, [bob], `after the crash, untouched ${rid}`);
    }
    expect(cluster.output()).toContain('re-created here: its server chat-1 left the cluster');
  }, 120_000);
});
