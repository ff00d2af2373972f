// Masters of a scale-out cluster (membership over NATS), as real processes on 127.0.0.1 against the
// real NATS at 127.0.0.1:4222 (or SHADDOCK_TEST_NATS_URL), each test with a cluster name of its
// own: servers run by `shaddock server` (no master), two masters run by `shaddock master`. The
// leading master is killed with SIGKILL: the standby leads within 3 s (measured and printed), every
// server keeps serving (a client's requests keep working, a server that master spawned too),
// `shaddock list` through the standby shows everyone, and admin commands through one master reach
// servers of the other.
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Kvm } from '@nats-io/kv';
import { connect as connectNats } from '@nats-io/transport-node';
import { type Client, connect } from '@shaddock/client';
import { isListening, skipUnlessCi, TEST_NATS_URL } from '@shaddock/test-support';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { AdminClient } from '../src/admin/index.js';
import { runCli } from '../src/cli/index.js';
import type { ClusterServerRow } from '../src/master/index.js';
import { ADMIN, freePort, makeAppFolder } from './support/app-folder.js';
import { alive, PidTracker, SHADDOCK_BIN, waitFor, waitGone } from './support/processes.js';

const NATS_URL = TEST_NATS_URL;
const SHADDOCK_DIST = pathToFileURL(join(import.meta.dirname, '..', 'dist', 'index.js')).href;

const skipReason = skipUnlessCi(
  'the NATS masters tests',
  (await isListening(NATS_URL))
    ? await driversMissing()
    : `no NATS with JetStream at ${NATS_URL} (start nats-server -js)`,
);

/** Why `@shaddock/nats` cannot run these masters (its `createDrivers` lacks a driver), or `undefined`. */
async function driversMissing(): Promise<string | undefined> {
  const nats = (await import('@shaddock/nats')) as unknown as {
    createDrivers?: (config: unknown) => Record<string, unknown>;
  };
  if (typeof nats.createDrivers !== 'function') return '@shaddock/nats exports no createDrivers yet';
  const drivers = nats.createDrivers({
    name: 'probe',
    nats: { servers: [NATS_URL] },
    rpc: { transport: 'tcp' },
  });
  const missing = ['membership', 'controlPlane'].filter((name) => drivers[name] === undefined);
  return missing.length === 0
    ? undefined
    : `@shaddock/nats createDrivers provides no ${missing.join(', ')} yet`;
}

/** The app every process runs: a connector whose handler calls a chat server's remote. */
const APP_SOURCE = `import { createApp } from '${SHADDOCK_DIST}';
const app = await createApp();
app.configure('all', 'connector', (app) => {
  app.registerHandler('entry', {
    async ping({ n, chat }) {
      const answer = await app.rpc.chat.chatRemote.echo.toServer(chat)(n);
      return { n, connector: app.serverId, answer };
    },
  });
});
app.configure('all', 'chat', (app) => {
  app.registerRemote('chatRemote', { async echo(n) { return { n, chat: app.serverId, pid: process.pid }; } });
});
await app.start();
`;

const pids = new PidTracker();
const children: ChildProcess[] = [];
const output: string[] = [];
const cleanups: (() => Promise<void> | void)[] = [];
const measured: string[] = [];

afterEach(async () => {
  await pids.killAll();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  children.splice(0);
  output.splice(0);
});

afterAll(() => {
  if (measured.length > 0) console.log(`[nats-masters.test] measured: ${measured.join('; ')}`);
});

/** Runs the built `shaddock` bin; its output goes to `output` (shown when a wait times out). */
function shaddock(name: string, args: readonly string[], dir: string): ChildProcess {
  const child = spawn(process.execPath, [SHADDOCK_BIN, ...args], {
    cwd: dir,
    env: { ...process.env, SHADDOCK_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  pids.add(child.pid);
  children.push(child);
  for (const stream of [child.stdout, child.stderr]) {
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      for (const line of chunk.split('\n')) if (line !== '') output.push(`[${name}] ${line}`);
    });
  }
  return child;
}

function recentOutput(): string {
  return output.slice(-60).join('\n');
}

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(args, { out: (text) => (out += text), err: (text) => (err += text) });
  return { code, out, err };
}

async function admin(port: number): Promise<AdminClient> {
  const client = await AdminClient.connect({ host: '127.0.0.1', port, ...ADMIN });
  cleanups.push(() => client.close().catch(() => {}));
  return client;
}

/** `list` through the master on `port`, once it answers and `ready(rows)` holds. */
function listWhen(
  port: number,
  what: string,
  ready: (rows: ClusterServerRow[]) => boolean,
  timeoutMs = 30_000,
): Promise<ClusterServerRow[]> {
  return waitFor(
    what,
    async () => {
      const client = await AdminClient.connect({ host: '127.0.0.1', port, ...ADMIN }).catch(() => undefined);
      if (!client) return undefined;
      try {
        const rows = (await client.list()) as ClusterServerRow[];
        pids.add(...rows.map((row) => row.pid));
        return ready(rows) && rows;
      } catch {
        return undefined;
      } finally {
        await client.close().catch(() => {});
      }
    },
    timeoutMs,
    recentOutput,
  );
}

function row(rows: readonly ClusterServerRow[], id: string): ClusterServerRow | undefined {
  return rows.find((candidate) => candidate.id === id);
}

describe('shaddock master', () => {
  it("refuses an app whose cluster names no NATS, and a master id that is a server's", async () => {
    const folder = makeAppFolder({
      masterPort: await freePort(),
      prefix: 'shaddock-nats-masters-',
      servers: { chat: [{ id: 'chat-1', host: '127.0.0.1', port: await freePort() }] },
    });
    cleanups.push(folder.remove);
    writeFileSync(join(folder.dir, 'app.mjs'), 'throw new Error("never imported");\n');
    const common = ['master', '--dir', folder.dir, '--env', 'test', '--entry', 'app.mjs'];
    const local = await cli(common);
    expect(local.code).toBe(1);
    expect(local.err).toMatch(/needs NATS.*shaddock start/);
    writeFileSync(join(folder.dir, 'config', 'cluster.json'), JSON.stringify({ nats: NATS_URL }));
    const clash = await cli([...common, '--id', 'chat-1']);
    expect(clash.code).toBe(1);
    expect(clash.err).toMatch(/master id "chat-1" is a server's id/);
  });
});

describe.skipIf(skipReason !== undefined)('masters in NATS mode', () => {
  it('two masters: the standby leads within 3 s of the leader’s SIGKILL, servers keep serving, commands cross masters', async () => {
    const cluster = `t${Date.now().toString(36)}${Math.floor(Math.random() * 1e9).toString(36)}`;
    const [masterPort1, masterPort2, connectorPort, clientPort, chat1, chat2, chat3, chat4, chat5] =
      await Promise.all(Array.from({ length: 9 }, () => freePort()));
    const folder = makeAppFolder({
      masterPort: masterPort1 as number,
      prefix: 'shaddock-nats-masters-',
      servers: {
        connector: [
          { id: 'connector-1', host: '127.0.0.1', port: connectorPort, clientPort, frontend: true },
        ],
        chat: [
          { id: 'chat-1', host: '127.0.0.1', port: chat1 },
          { id: 'chat-2', host: '127.0.0.1', port: chat2 },
        ],
      },
    });
    cleanups.push(folder.remove);
    cleanups.push(() => destroyBuckets(cluster));
    const { dir } = folder;
    writeFileSync(join(dir, 'config', 'cluster.json'), JSON.stringify({ name: cluster, nats: NATS_URL }));
    writeFileSync(join(dir, 'app.mjs'), APP_SOURCE);
    const common = ['--dir', dir, '--env', 'test', '--entry', 'app.mjs'];
    const connection = ['--dir', dir, '--env', 'test'];

    // servers under no master (as systemd would run them), then two masters
    for (const id of ['connector-1', 'chat-1', 'chat-2'])
      shaddock(id, ['server', ...common, '--id', id], dir);
    const master1 = shaddock(
      'master-1',
      ['master', ...common, '--id', 'master-1', '--port', String(masterPort1)],
      dir,
    );
    await listWhen(
      masterPort1 as number,
      'master-1 leads',
      (rows) => row(rows, 'master-1')?.role === 'leader',
    );
    shaddock('master-2', ['master', ...common, '--id', 'master-2', '--port', String(masterPort2)], dir);
    const everyone = ['master-1', 'master-2', 'connector-1', 'chat-1', 'chat-2'];
    const rows = await listWhen(
      masterPort2 as number,
      'every server and both masters in the list',
      (listed) => everyone.every((id) => row(listed, id) !== undefined),
    );
    expect(row(rows, 'master-1')).toMatchObject({ serverType: 'master', role: 'leader', pid: master1.pid });
    expect(row(rows, 'master-2')).toMatchObject({ serverType: 'master', role: 'standby' });
    expect(row(rows, 'chat-1')).toMatchObject({ serverType: 'chat', state: 'running', port: chat1 });
    expect(row(rows, 'chat-1')?.pid).toEqual(expect.any(Number));

    // a client, through the connector, to a chat server
    const client: Client = await connect({ host: '127.0.0.1', port: clientPort as number });
    cleanups.push(() => client.close());
    await expect(client.request('connector.entry.ping', { n: 1, chat: 'chat-1' })).resolves.toMatchObject({
      n: 1,
      connector: 'connector-1',
      answer: { n: 1, chat: 'chat-1' },
    });

    // add through the leader: master-1 spawns chat-3, detached
    const added = await cli([
      'add',
      ...connection,
      '--port',
      String(masterPort1),
      'id=chat-3',
      'serverType=chat',
      'host=127.0.0.1',
      `port=${chat3}`,
    ]);
    expect(added, recentOutput()).toMatchObject({ code: 0, err: '' });
    const withChat3 = await listWhen(
      masterPort2 as number,
      'chat-3 in the list',
      (listed) => row(listed, 'chat-3')?.pid != null,
    );
    const chat3Pid = row(withChat3, 'chat-3')?.pid as number;
    await expect(client.request('connector.entry.ping', { n: 2, chat: 'chat-3' })).resolves.toMatchObject({
      answer: { chat: 'chat-3', pid: chat3Pid },
    });

    // SIGKILL the leader: the standby leads within 3 s
    const standby = await admin(masterPort2 as number);
    const killedAt = performance.now();
    master1.kill('SIGKILL');
    const takeover = waitFor(
      'master-2 leads',
      async () => row((await standby.list()) as ClusterServerRow[], 'master-2')?.role === 'leader',
      10_000,
      recentOutput,
    ).then(() => performance.now() - killedAt);
    // an add sent once the dead leader left membership, before its lease aged: master-2 waits for the
    // next leader (itself) instead of failing
    const evicted = (line: string): boolean =>
      line.startsWith('[master-2]') && line.includes('"member":"master-1"') && line.includes('removed');
    await waitFor('master-2 drops master-1', () => output.some(evicted), 5_000, recentOutput);
    const addedMeanwhile = cli([
      'add',
      ...connection,
      '--port',
      String(masterPort2),
      'id=chat-4',
      'serverType=chat',
      'host=127.0.0.1',
      `port=${chat4}`,
    ]);
    const takeoverMs = await takeover;
    measured.push(`takeover after SIGKILL of the leader: ${Math.round(takeoverMs)} ms`);
    expect(takeoverMs).toBeLessThanOrEqual(3_500);

    expect(await addedMeanwhile, recentOutput()).toMatchObject({ code: 0, err: '' });
    expect(output.some((line) => line.startsWith('[master-2]') && line.includes('started chat-4'))).toBe(
      true,
    );

    // every server keeps serving, chat-3 (spawned by the dead master) too
    expect(alive(chat3Pid)).toBe(true);
    for (const [n, chat] of [
      [3, 'chat-1'],
      [4, 'chat-2'],
      [5, 'chat-3'],
    ] as const) {
      await expect(client.request('connector.entry.ping', { n, chat })).resolves.toMatchObject({
        n,
        answer: { chat },
      });
    }

    // `shaddock list` through the standby: everyone still up, master-1 gone, master-2 leads
    await listWhen(
      masterPort2 as number,
      'master-1 out of the list',
      (listed) => row(listed, 'master-1') === undefined,
    );
    const listed = await cli(['list', ...connection, '--port', String(masterPort2)]);
    expect(listed.code).toBe(0);
    for (const id of ['master-2', 'connector-1', 'chat-1', 'chat-2', 'chat-3', 'chat-4'])
      expect(listed.out).toContain(id);
    expect(listed.out).not.toContain('master-1');
    expect(listed.out).toMatch(/^leader: master-2$/m);

    // master-1 again, a standby now: add through it is run by the leader, spawned on master-1's host by master-1
    shaddock('master-1b', ['master', ...common, '--id', 'master-1', '--port', String(masterPort1)], dir);
    await listWhen(
      masterPort2 as number,
      'master-1 back as a standby',
      (current) => row(current, 'master-1')?.role === 'standby',
    );
    const viaStandby = await cli([
      'add',
      ...connection,
      '--port',
      String(masterPort1),
      'id=chat-5',
      'serverType=chat',
      'host=127.0.0.1',
      `port=${chat5}`,
    ]);
    expect(viaStandby, recentOutput()).toMatchObject({ code: 0, err: '' });
    expect(output.some((line) => line.startsWith('[master-1b]') && line.includes('started chat-5'))).toBe(
      true,
    );
    const spawned = await listWhen(masterPort2 as number, 'chat-4 and chat-5 up', (current) =>
      ['chat-4', 'chat-5'].every((id) => row(current, id)?.pid != null),
    );
    const [chat4Pid, chat5Pid] = ['chat-4', 'chat-5'].map((id) => row(spawned, id)?.pid as number);

    // stop through master-1 reaches chat-4 (master-2 spawned it), chat-5 (master-1 did), chat-2 (no master did)
    const stopped = await cli([
      'stop',
      ...connection,
      '--port',
      String(masterPort1),
      'chat-4',
      'chat-5',
      'chat-2',
    ]);
    expect(stopped, recentOutput()).toMatchObject({ code: 0, out: 'stopped chat-4, chat-5, chat-2\n' });
    await waitGone([chat4Pid as number, chat5Pid as number], 10_000);
    const afterStop = await listWhen(
      masterPort2 as number,
      'chat-2 out of the list',
      (current) => row(current, 'chat-2') === undefined,
    );
    // a stopped spawned server stays listed by its master, as stopped (no restart)
    expect(row(afterStop, 'chat-4')).toMatchObject({ state: 'stopped', pid: null });
    expect(row(afterStop, 'chat-5')).toMatchObject({ state: 'stopped', pid: null });

    // restart of a server no master spawned is refused with the reason; of chat-3's: its master is dead
    const orphan = await cli(['restart', ...connection, '--port', String(masterPort2), 'chat-1']);
    expect(orphan.code).toBe(1);
    expect(orphan.err).toMatch(/no master spawned chat-1/);

    // stop the whole cluster through the standby: every server, then every master
    const processes = children.filter((child) => child.exitCode === null && child.signalCode === null);
    const all = await cli(['stop', ...connection, '--port', String(masterPort1), '--deadline', '2000']);
    expect(all, recentOutput()).toMatchObject({ code: 0 });
    expect(all.out).toMatch(/stopped the cluster/);
    await waitGone([...processes.map((child) => child.pid as number), chat3Pid], 20_000);
  }, 120_000);

  it("shaddock start spawns this host's servers once; they restart on a crash, survive their master, and die by kill", async () => {
    const cluster = `t${Date.now().toString(36)}${Math.floor(Math.random() * 1e9).toString(36)}`;
    const [masterPort1, masterPort2, connectorPort, clientPort, chat1, chat2] = await Promise.all(
      Array.from({ length: 6 }, () => freePort()),
    );
    const folder = makeAppFolder({
      masterPort: masterPort1 as number,
      prefix: 'shaddock-nats-masters-',
      servers: {
        connector: [
          { id: 'connector-1', host: '127.0.0.1', port: connectorPort, clientPort, frontend: true },
        ],
        chat: [
          { id: 'chat-1', host: '127.0.0.1', port: chat1, 'auto-restart': true },
          { id: 'chat-2', host: '127.0.0.1', port: chat2 },
        ],
      },
    });
    cleanups.push(folder.remove);
    cleanups.push(() => destroyBuckets(cluster));
    const { dir } = folder;
    writeFileSync(join(dir, 'config', 'cluster.json'), JSON.stringify({ name: cluster, nats: NATS_URL }));
    writeFileSync(join(dir, 'app.mjs'), APP_SOURCE);
    const common = ['--dir', dir, '--env', 'test', '--entry', 'app.mjs'];
    const connection = ['--dir', dir, '--env', 'test'];
    const servers = ['connector-1', 'chat-1', 'chat-2'];
    const spawnedBy = (rows: readonly ClusterServerRow[]): Record<string, number | null> =>
      Object.fromEntries(servers.map((id) => [id, row(rows, id)?.pid ?? null]));

    // `shaddock start` with a NATS cluster: a master that spawns the servers listed for this host
    const start = shaddock('start', ['start', ...common], dir);
    const first = await listWhen(masterPort1 as number, 'the listed servers spawned', (rows) =>
      servers.every((id) => row(rows, id)?.state === 'running' && row(rows, id)?.pid != null),
    );
    expect(row(first, 'master-1')).toMatchObject({ role: 'leader' });
    const pidsBefore = spawnedBy(first);

    // a second master that also spawns its host's servers: they run already, nothing is spawned twice
    shaddock(
      'master-2',
      ['master', ...common, '--id', 'master-2', '--port', String(masterPort2), '--spawn'],
      dir,
    );
    await waitFor('master-2 finds every server running', () =>
      output.some((line) => line.startsWith('[master-2]') && line.includes('every server of this host runs')),
    );
    const both = await listWhen(
      masterPort2 as number,
      'both masters listed',
      (rows) => row(rows, 'master-2') !== undefined,
    );
    expect(spawnedBy(both)).toEqual(pidsBefore);
    expect(both.filter((listed) => listed.serverType !== 'master')).toHaveLength(3);

    // a crash of an auto-restart server: its master starts it again
    process.kill(pidsBefore['chat-1'] as number, 'SIGKILL');
    const restarted = await listWhen(masterPort2 as number, 'chat-1 restarted', (rows) => {
      const chat = row(rows, 'chat-1');
      return chat?.state === 'running' && chat.pid !== null && chat.pid !== pidsBefore['chat-1'];
    });
    expect(row(restarted, 'chat-1')?.restarts).toBe(1);

    // restart through the standby: the leader has the spawning master do it
    const again = await cli(['restart', ...connection, '--port', String(masterPort2), 'chat-2']);
    expect(again, recentOutput()).toMatchObject({ code: 0, out: 'restarted chat-2\n' });
    const afterRestart = await listWhen(
      masterPort2 as number,
      'chat-2 back',
      (rows) => row(rows, 'chat-2')?.state === 'running',
    );
    expect(row(afterRestart, 'chat-2')?.pid).not.toBe(pidsBefore['chat-2']);
    const running = spawnedBy(afterRestart);
    pids.add(...Object.values(running));

    // Ctrl-C of `shaddock start`: the master leaves (the standby leads at once), its servers keep running
    const client: Client = await connect({ host: '127.0.0.1', port: clientPort as number });
    cleanups.push(() => client.close());
    const stoppedAt = performance.now();
    const leading = (line: string): boolean =>
      line.startsWith('[master-2]') && line.includes('"leading the cluster"');
    start.kill('SIGINT');
    await waitFor('master-2 says it leads', () => output.some(leading), 10_000, recentOutput);
    const handoverMs = performance.now() - stoppedAt;
    measured.push(`handover after the leader left on SIGINT: ${Math.round(handoverMs)} ms`);
    // a resignation hands over at once, without waiting for the lease to age
    expect(handoverMs).toBeLessThan(1_000);
    const standby = await admin(masterPort2 as number);
    await waitFor(
      'master-2 leads',
      async () => row((await standby.list()) as ClusterServerRow[], 'master-2')?.role === 'leader',
    );
    await waitFor('shaddock start exits', () => start.exitCode !== null, 15_000, recentOutput);
    expect(start.exitCode).toBe(0);
    for (const pid of Object.values(running)) expect(alive(pid as number)).toBe(true);
    await expect(client.request('connector.entry.ping', { n: 1, chat: 'chat-2' })).resolves.toMatchObject({
      answer: { chat: 'chat-2' },
    });

    // kill through the remaining master: every server (now under no master), then the master
    const killed = await cli(['kill', ...connection, '--port', String(masterPort2)]);
    expect(killed, recentOutput()).toMatchObject({ code: 0 });
    expect(killed.out).toMatch(/^killed .*chat-1/);
    await waitGone(Object.values(running) as number[], 15_000);
    await waitFor(
      'master-2 exits',
      () => children.every((child) => child.exitCode !== null || child.signalCode !== null),
      15_000,
    );
  }, 120_000);
});

/** Removes the cluster's buckets from NATS. */
async function destroyBuckets(cluster: string): Promise<void> {
  const nc = await connectNats({ servers: NATS_URL, timeout: 2_000 }).catch(() => undefined);
  if (nc === undefined) return;
  try {
    for (const bucket of [`shaddock_${cluster}_members`, `shaddock_${cluster}_leader`]) {
      await (await new Kvm(nc).open(bucket)).destroy().catch(() => {});
    }
  } catch {
    // never made
  } finally {
    await nc.close();
  }
}
