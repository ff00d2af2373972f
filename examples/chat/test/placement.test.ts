// Rooms stay where they are (issue 12, item 4): the built chat example as real processes under its
// master, rooms filled through both connectors, then the real `shaddock add … serverType=chat`
// CLI, which must split no room; then a `kill -9` of a room's chat server, after which its members
// hear `onRoomMoved` and the room works again on another chat server.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type Client, connect } from '@shaddock/client';
import { ConsistentHashRouter, LocalMembership } from 'shaddock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatPushes } from '../src/app/chat-protocol.js';
import type { ChatApi } from '../src/web/chat-api.js';
import { alive, freePort, waitFor } from './chat-cluster.js';

const EXAMPLE = fileURLToPath(new URL('..', import.meta.url));
const SHADDOCK_BIN = join(
  dirname(createRequire(join(EXAMPLE, 'package.json')).resolve('shaddock')),
  '..',
  'bin',
  'shaddock.js',
);
const HOST = '127.0.0.1';
const ADMIN = { username: 'ops', password: 'placement-test-password' };

/** The master of a chat cluster of 2 connectors and 2 chat servers, with an admin user the CLI logs in as. */
interface Cluster {
  readonly dir: string;
  readonly connectorPorts: readonly number[];
  output(): string;
  pidOf(id: string): number | undefined;
  stop(): Promise<void>;
}

async function startCluster(): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), 'shaddock-placement-'));
  mkdirSync(join(dir, 'config'));
  const connectorPorts = [await freePort(), await freePort()];
  const connector = async (id: string, clientPort: number) => ({
    id,
    host: HOST,
    port: await freePort(),
    clientPort,
    frontend: true,
  });
  const servers = {
    gate: [
      { id: 'gate-1', host: HOST, clientPort: await freePort(), frontend: true, webPort: await freePort() },
    ],
    connector: [
      await connector('connector-1', connectorPorts[0] as number),
      await connector('connector-2', connectorPorts[1] as number),
    ],
    chat: [
      { id: 'chat-1', host: HOST, port: await freePort() },
      { id: 'chat-2', host: HOST, port: await freePort() },
    ],
  };
  const write = (name: string, content: unknown): void =>
    writeFileSync(join(dir, 'config', name), JSON.stringify(content, null, 2));
  write('servers.json', { test: servers });
  write('master.json', { test: { id: 'master-1', host: HOST, port: await freePort() } });
  write('adminUser.json', [{ ...ADMIN, level: 1 }]);
  write('dictionary.json', ['onChat', 'onAdd', 'onLeave', 'onRoomMoved']);
  symlinkSync(join(EXAMPLE, 'dist'), join(dir, 'dist'), 'dir');

  const environment: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'test' };
  delete environment['SHADDOCK_ADMIN_USER'];
  const master: ChildProcess = spawn(process.execPath, [join(dir, 'dist', 'app.js'), 'env=test'], {
    cwd: dir,
    env: environment,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  master.stdout?.setEncoding('utf8').on('data', (text: string) => (output += text));
  master.stderr?.setEncoding('utf8').on('data', (text: string) => (output += text));
  const exited = new Promise<void>((resolve) => master.once('exit', () => resolve()));
  const pids = new Set<number>();
  const pidOf = (id: string): number | undefined => {
    for (const pid of childPids(master.pid)) {
      pids.add(pid);
      try {
        if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(`id=${id}`)) return pid;
      } catch {
        // gone meanwhile
      }
    }
    return undefined;
  };
  const stop = async (): Promise<void> => {
    for (const pid of childPids(master.pid)) pids.add(pid);
    master.kill('SIGTERM');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 15_000))]);
    await waitFor('the cluster to exit', () =>
      [...pids].every((pid) => !alive(pid)) ? true : undefined,
    ).catch(() => {
      for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
    });
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(
      'the chat cluster to start',
      () => (output.includes('Shaddock chat is running') ? true : undefined),
      45_000,
    );
  } catch (error) {
    await stop();
    throw new Error(`${String(error)}\n${output}`);
  }
  return { dir, connectorPorts, output: () => output, pidOf, stop };
}

/** The pids whose parent is `parent`, read from /proc. */
function childPids(parent: number | undefined): number[] {
  if (parent === undefined) return [];
  try {
    return readFileSync(`/proc/${parent}/task/${parent}/children`, 'utf8')
      .split(' ')
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

type Push = { [Route in keyof ChatPushes]: { route: Route; body: ChatPushes[Route] } }[keyof ChatPushes];

/** A client in a room and every push it got. */
interface Member {
  readonly name: string;
  readonly rid: string;
  readonly client: Client<ChatApi>;
  readonly pushes: Push[];
  readonly users: readonly string[];
}

let cluster: Cluster;
const clients: Client<ChatApi>[] = [];

beforeAll(async () => {
  cluster = await startCluster();
}, 60_000);

afterAll(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close().catch(() => {})));
  await cluster?.stop();
}, 60_000);

async function enter(name: string, rid: string, connector: 0 | 1): Promise<Member> {
  const client = await connect<ChatApi>({ host: HOST, port: cluster.connectorPorts[connector] as number });
  clients.push(client);
  const pushes: Push[] = [];
  client.on('onAdd', (body) => pushes.push({ route: 'onAdd', body }));
  client.on('onChat', (body) => pushes.push({ route: 'onChat', body }));
  client.on('onRoomMoved', (body) => pushes.push({ route: 'onRoomMoved', body }));
  const reply = await client.request('connector.entryHandler.enter', { username: name, rid });
  if (reply.code !== 200) throw new Error(`${name} could not enter ${rid}: ${reply.message}`);
  return { name, rid, client, pushes, users: reply.users };
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
      { env: { ...process.env, SHADDOCK_ADMIN_USER: `${ADMIN.username}:${ADMIN.password}` } },
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
