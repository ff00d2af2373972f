// The Pomelo-style chat (plain CommonJS, callbacks) end to end: copied to a temporary folder with
// its config's ports made free, run with the real `shaddock start` (a gate, two connectors, two
// chat servers), and @shaddock/client clients doing what a Pomelo client does: ask the gate,
// enter on the connector it names, talk to the room and to one member, be kicked, leave. The cron
// of config/crons.json writes into the chat servers' log files through log4js.json.
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Client, connect, type JsonObject } from '@shaddock/client';
import { alive, freePort, type StartedApp, startApp, waitFor } from '@shaddock/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const EXAMPLE = fileURLToPath(new URL('..', import.meta.url));
const requireHere = createRequire(join(EXAMPLE, 'package.json'));
/** The folder of the installed package `name` (the first folder above its entry with its package.json). */
function packageDir(name: string): string {
  for (let dir = dirname(requireHere.resolve(name)); dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (
      existsSync(manifest) &&
      (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === name
    ) {
      return realpathSync(dir);
    }
  }
  throw new Error(`no package.json of ${name} above its entry`);
}
/** What the app requires, linked into its node_modules as `npm install` would put them. */
const DEPENDENCIES = ['shaddock', 'pomelo-logger'];
const SHADDOCK = packageDir('shaddock');
const SHADDOCK_BIN = join(SHADDOCK, 'bin', 'shaddock.js');
const ENV = 'development';
const HOST = '127.0.0.1';
/** A guard on each wait, never an assertion on time. */
const PATIENCE = { timeout: 15_000, interval: 50 };

type ServerEntry = Record<string, unknown> & { id: string };

/** The example in a temporary folder, every port of its config a free one; `shaddock` linked into its node_modules. */
async function copyExample(): Promise<{ dir: string; gatePort: number; ids: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'shaddock-pomelo-chat-'));
  for (const entry of ['app.js', 'app', 'config', 'package.json']) {
    cpSync(join(EXAMPLE, entry), join(dir, entry), { recursive: true });
  }
  mkdirSync(join(dir, 'node_modules'));
  for (const name of DEPENDENCIES) symlinkSync(packageDir(name), join(dir, 'node_modules', name), 'dir');
  const file = (name: string): string => join(dir, 'config', name);
  const servers = JSON.parse(readFileSync(file('servers.json'), 'utf8')) as Record<
    string,
    Record<string, ServerEntry[]>
  >;
  const master = JSON.parse(readFileSync(file('master.json'), 'utf8')) as Record<string, ServerEntry>;
  for (const entries of Object.values(servers[ENV] ?? {})) {
    for (const server of entries) {
      if (server['port'] !== undefined) server['port'] = await freePort();
      if (server['clientPort'] !== undefined) server['clientPort'] = await freePort();
    }
  }
  (master[ENV] as ServerEntry)['port'] = await freePort();
  writeFileSync(file('servers.json'), JSON.stringify(servers, null, 2));
  writeFileSync(file('master.json'), JSON.stringify(master, null, 2));
  const gate = servers[ENV]?.['gate']?.[0];
  const ids = Object.values(servers[ENV] ?? {}).flatMap((entries) => entries.map((server) => server.id));
  return { dir, gatePort: Number(gate?.['clientPort']), ids };
}

/** A user in a room, with every push it received. */
interface User {
  readonly name: string;
  readonly client: Client;
  readonly port: number;
  readonly pushes: { route: string; body: JsonObject }[];
  kicked: string | undefined;
}

const PUSH_ROUTES = ['onAdd', 'onLeave', 'onChat'] as const;

let app: StartedApp;
let dir: string;
let gatePort: number;
const clients: Client[] = [];

async function open(port: number): Promise<Client> {
  const client = await connect({ host: HOST, port });
  clients.push(client);
  return client;
}

/** Asks the gate which connector serves `uid`, as a Pomelo client does first. */
async function queryEntry(uid: string): Promise<number> {
  const gate = await open(gatePort);
  try {
    const answer = (await gate.request('gate.gateHandler.queryEntry', { uid })) as JsonObject;
    expect(answer).toMatchObject({ code: 200, host: HOST });
    return Number(answer['port']);
  } finally {
    await gate.close();
  }
}

/** Gate, then connector: enters room `rid` as `name`; resolves with the user and the enter answer. */
async function enter(name: string, rid: string): Promise<{ user: User; answer: JsonObject }> {
  const port = await queryEntry(name);
  const client = await open(port);
  const user: User = { name, client, port, pushes: [], kicked: undefined };
  for (const route of PUSH_ROUTES) {
    client.on(route, (body) => user.pushes.push({ route, body: body as JsonObject }));
  }
  client.events.on('kick', ({ reason }) => {
    user.kicked = reason;
  });
  const answer = (await client.request('connector.entryHandler.enter', {
    username: name,
    rid,
  })) as JsonObject;
  return { user, answer };
}

/** A name with this prefix whose connector (by the gate's own answer) passes `accept`. */
async function nameOn(prefix: string, accept: (port: number) => boolean): Promise<string> {
  for (let index = 0; index < 64; index++) {
    const name = `${prefix}${index}`;
    if (accept(await queryEntry(name))) return name;
  }
  throw new Error(`no name ${prefix}… lands on the wanted connector`);
}

beforeAll(async () => {
  const copied = await copyExample();
  ({ dir, gatePort } = copied);
  app = startApp({
    bin: SHADDOCK_BIN,
    dir,
    env: ENV,
    environment: { NODE_ENV: undefined, SHADDOCK_ADMIN_USER: undefined },
  });
  // Up when the master has said each server is ready, and someone can enter a room through the gate.
  await waitFor(
    'the chat to let a user in',
    async () => {
      if (app.exited()) throw new Error(`shaddock start exited:\n${app.output()}`);
      if (!copied.ids.every((id) => app.output().includes(`${id} is ready`))) return undefined;
      try {
        const { user, answer } = await enter('probe', 'probe-room');
        await user.client.close();
        return answer['code'] === 200 ? true : undefined;
      } catch {
        return undefined;
      }
    },
    60_000,
  ).catch((error: unknown) => {
    throw new Error(`${String(error)}\n${app.output()}`);
  });
}, 90_000);

afterAll(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  const killed = (await app?.stop()) ?? [];
  const pids = app?.pids() ?? [];
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  expect(killed, 'every process stopped on its own').toEqual([]);
  expect(pids.filter(alive)).toEqual([]);
}, 60_000);

/** The cron's lines in chat server `id`'s `logs/chat-cron-<id>.log` (JSON lines), once there are two. */
function cronReports(id: string): Promise<Record<string, unknown>[]> {
  const file = join(dir, 'logs', `chat-cron-${id}.log`);
  return waitFor(
    `${id}'s cron lines in ${file}`,
    () => {
      if (!existsSync(file)) return undefined;
      const lines = readFileSync(file, 'utf8')
        .split('\n')
        .filter((line) => line.includes('room report'))
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      return lines.length >= 2 ? lines : undefined;
    },
    30_000,
  ).catch((error: unknown) => {
    throw new Error(`${String(error)}\n${app.output().slice(-4000)}`);
  });
}

describe('the Pomelo-style chat on Shaddock', () => {
  it('lets users on two connectors meet in a room, talk, whisper, be refused twice, be kicked and leave', async () => {
    const rid = 'lobby';
    const ann = 'ann';
    const annPort = await queryEntry(ann);
    const bob = await nameOn('bob', (port) => port !== annPort);
    const carol = await nameOn('carol', (port) => port === annPort);

    const first = await enter(ann, rid);
    expect(first.answer).toEqual({ code: 200, users: [ann] });
    const second = await enter(bob, rid);
    expect(second.answer['code']).toBe(200);
    expect([...(second.answer['users'] as string[])].sort()).toEqual([ann, bob].sort());
    expect(second.user.port).not.toBe(first.user.port);
    const third = await enter(carol, rid);
    expect(third.answer['code']).toBe(200);
    const [annUser, bobUser, carolUser] = [first.user, second.user, third.user];
    // The route travels inside the body too: the remote calls channel.pushMessage(msg) with the route in msg, as Pomelo does.
    await expect
      .poll(() => annUser.pushes, PATIENCE)
      .toContainEqual({ route: 'onAdd', body: { route: 'onAdd', user: bob } });
    await expect
      .poll(() => bobUser.pushes, PATIENCE)
      .toContainEqual({ route: 'onAdd', body: { route: 'onAdd', user: carol } });

    // The same name twice in one room is refused; the first one stays.
    const again = await enter(ann, rid);
    expect(again.answer).toEqual({ code: 500, error: 'duplicate log in' });
    await again.user.client.close();

    // To the room, across connectors.
    expect(
      await annUser.client.request('chat.chatHandler.send', { content: 'hello, room', target: '*' }),
    ).toMatchObject({ code: 200 });
    const toRoom = { route: 'onChat', body: { msg: 'hello, room', from: ann, target: '*' } };
    for (const user of [annUser, bobUser, carolUser]) {
      await expect.poll(() => user.pushes, PATIENCE).toContainEqual(toRoom);
    }

    // To one member (channel.getMember → sid → pushMessageByUids): carol does not hear it.
    await bobUser.client.request('chat.chatHandler.send', { content: 'psst', target: ann });
    const whisper = { route: 'onChat', body: { msg: 'psst', from: bob, target: ann } };
    await expect.poll(() => annUser.pushes, PATIENCE).toContainEqual(whisper);
    await bobUser.client.request('chat.chatHandler.send', { content: 'after the whisper', target: '*' });
    await expect
      .poll(() => carolUser.pushes, PATIENCE)
      .toContainEqual({ route: 'onChat', body: { msg: 'after the whisper', from: bob, target: '*' } });
    expect(carolUser.pushes.filter((push) => push.body['msg'] === 'psst')).toEqual([]);
    expect(bobUser.pushes.filter((push) => push.body['msg'] === 'psst')).toEqual([]);

    // ann kicks carol (the chat server asks carol's connector through backendSessionService.kickByUid):
    // carol is kicked, and leaves the room when her session closes.
    expect(await annUser.client.request('chat.chatHandler.kick', { target: carol })).toMatchObject({
      code: 200,
    });
    await expect.poll(() => carolUser.kicked, PATIENCE).toBeDefined();
    for (const user of [annUser, bobUser]) {
      await expect
        .poll(() => user.pushes, PATIENCE)
        .toContainEqual({ route: 'onLeave', body: { route: 'onLeave', user: carol } });
    }

    // bob closes his client: the session's `closed` listener takes him out of the room.
    await bobUser.client.close();
    await expect
      .poll(() => annUser.pushes, PATIENCE)
      .toContainEqual({ route: 'onLeave', body: { route: 'onLeave', user: bob } });
    expect(await annUser.client.request('chat.chatHandler.send', { content: 'alone', target: bob })).toEqual({
      code: 500,
      error: `${bob} is not in the room`,
    });
  }, 90_000);

  it("runs config/crons.json's cron on both chat servers, into the log file log4js.json names", async () => {
    for (const id of ['chat-server-1', 'chat-server-2']) {
      const reports = await cronReports(id);
      expect(reports.length).toBeGreaterThanOrEqual(2);
      expect(reports[0]).toMatchObject({
        serverId: id,
        category: 'chat-cron',
        msg: expect.stringMatching(/^room report 1 /),
      });
    }
    // Only the chat servers run it.
    for (const id of ['gate-server-1', 'connector-server-1']) {
      expect(existsSync(join(dir, 'logs', `chat-cron-${id}.log`))).toBe(false);
    }
  }, 60_000);

  it("gives a cron handler's factory Pomelo's app, as handlers and remotes get it: app.get('serverId')", async () => {
    for (const id of ['chat-server-1', 'chat-server-2']) {
      const [first] = await cronReports(id);
      expect(first?.['msg']).toBe(`room report 1 from ${id}`);
    }
  }, 60_000);
});
