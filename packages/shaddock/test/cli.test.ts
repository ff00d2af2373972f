// The `shaddock` command against real masters: `runCli` in this process for the admin commands and
// `start --daemon`, the built bin in a child process for a foreground `start` and its Ctrl-C.
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { AdminClient, type ServerRow } from '../src/admin/index.js';
import { runCli } from '../src/cli/index.js';
import { FIXTURE_APP } from './fixtures/monitor-harness.js';
import { ADMIN, freePort, makeAppFolder } from './support/app-folder.js';
import { alive, PidTracker, SHADDOCK_BIN, waitFor, waitGone } from './support/processes.js';

const pids = new PidTracker();
const cleanups: (() => void)[] = [];

afterEach(async () => {
  await pids.killAll();
  for (const cleanup of cleanups.splice(0)) cleanup();
});

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(args, { out: (text) => (out += text), err: (text) => (err += text) });
  return { code, out, err };
}

async function app(
  adminUsers?: Record<string, unknown>[],
): Promise<{ dir: string; port: number; args: string[] }> {
  const port = await freePort();
  const folder = makeAppFolder({
    masterPort: port,
    servers: {
      chat: [
        { id: 'chat-1', host: '127.0.0.1' },
        { id: 'chat-2', host: '127.0.0.1' },
      ],
      gate: [{ id: 'gate-1', host: '127.0.0.1', frontend: true, clientPort: 0 }],
    },
    ...(adminUsers ? { adminUsers } : {}),
  });
  cleanups.push(folder.remove);
  return { dir: folder.dir, port, args: ['--dir', folder.dir, '--env', 'test'] };
}

/** The master's list once it answers and every configured server runs; tracks every pid. */
async function runningCluster(port: number, servers = 3): Promise<ServerRow[]> {
  return waitFor('the cluster to be up', async () => {
    const client = await AdminClient.connect({ host: '127.0.0.1', port, ...ADMIN }).catch(() => undefined);
    if (!client) return undefined;
    try {
      const rows = await client.list();
      pids.add(...rows.map((row) => row.pid));
      return rows.filter((row) => row.state === 'running').length === servers + 1 && rows;
    } finally {
      await client.close();
    }
  });
}

function pidsOf(rows: readonly ServerRow[]): number[] {
  return rows.flatMap((row) => (row.pid === null ? [] : [row.pid]));
}

describe('shaddock CLI', () => {
  it('start --daemon, then list, stop <id>, start --id, add, restart and kill --force', async () => {
    const { port, args } = await app();
    const started = await cli(['start', '--daemon', '--entry', FIXTURE_APP, ...args]);
    expect(started).toMatchObject({ code: 0, err: '' });
    const masterPid = Number(/pid (\d+)/.exec(started.out)?.[1]);
    pids.add(masterPid);
    const rows = await runningCluster(port);
    expect(rows[0]).toMatchObject({ id: 'master-1', pid: masterPid });

    const list = await cli(['list', ...args]);
    expect(list.code).toBe(0);
    const lines = list.out.trimEnd().split('\n');
    expect(lines).toHaveLength(5);
    const header = lines[0] ?? '';
    expect(header).toMatch(
      /^id +serverType +pid +host +port +clientPort +state +uptime +rss +cpu +restarts$/,
    );
    // Aligned: each row's state sits under the header's.
    for (const line of lines.slice(1))
      expect(line.slice(header.indexOf('state')).startsWith('running')).toBe(true);
    expect(lines[2]).toMatch(/^chat-1 +chat /);

    expect(await cli(['stop', 'chat-1', ...args])).toMatchObject({ code: 0, out: 'stopped chat-1\n' });
    expect((await cli(['list', ...args])).out).toMatch(/^chat-1 +chat +- +127\.0\.0\.1 +- +- +stopped /m);

    const restarted = await cli(['start', '--id', 'chat-1', ...args]);
    expect(restarted.code).toBe(0);
    expect(restarted.out).toMatch(/^chat-1 +chat +\d+ .* running /m);

    const added = await cli(['add', 'id=chat-3', 'serverType=chat', 'host=127.0.0.1', ...args]);
    expect(added.code).toBe(0);
    expect(added.out).toMatch(/^chat-3 +chat +\d+ .* running /m);

    expect(await cli(['restart', 'chat-3', ...args])).toMatchObject({ code: 0, out: 'restarted chat-3\n' });
    const after = await runningCluster(port, 4);
    expect(after.find((row) => row.id === 'chat-3')).toMatchObject({ state: 'running', restarts: 1 });

    const killed = await cli(['kill', '--force', ...args]);
    expect(killed).toMatchObject({ code: 0, out: 'killed chat-1, chat-2, gate-1, chat-3 and the master\n' });
    await waitGone(pidsOf(after));
  });

  it('stop without ids stops the whole cluster, then the master', async () => {
    const { port, args } = await app();
    const started = await cli(['start', '--daemon', '--entry', FIXTURE_APP, ...args]);
    pids.add(Number(/pid (\d+)/.exec(started.out)?.[1]));
    const rows = await runningCluster(port);
    const stopped = await cli(['stop', ...args]);
    expect(stopped).toMatchObject({
      code: 0,
      out: 'stopped the cluster (chat-1, chat-2, gate-1) and the master\n',
    });
    await waitGone(pidsOf(rows));
  });

  it('kill -9 of the master makes every server exit', async () => {
    const { port, args } = await app();
    const started = await cli(['start', '--daemon', '--entry', FIXTURE_APP, ...args]);
    const masterPid = Number(/pid (\d+)/.exec(started.out)?.[1]);
    pids.add(masterPid);
    const rows = await runningCluster(port);
    process.kill(masterPid, 'SIGKILL');
    await waitGone(pidsOf(rows));
  });

  it('start in the foreground: Ctrl-C stops the cluster gracefully, then the command exits 0', async () => {
    const { port, dir } = await app();
    const command = spawn(
      process.execPath,
      [SHADDOCK_BIN, 'start', '--dir', dir, '--env', 'test', '--entry', FIXTURE_APP],
      {
        detached: true,
        stdio: 'ignore',
      },
    );
    pids.add(command.pid);
    const exited = new Promise<number | null>((resolve) => command.once('exit', (code) => resolve(code)));
    const rows = await runningCluster(port);
    // What a terminal does on Ctrl-C: SIGINT to the command's process group.
    process.kill(-command.pid!, 'SIGINT');
    expect(await exited).toBe(0);
    await waitGone(pidsOf(rows));
  });

  it('reports refused credentials, missing credentials and bad arguments with exit code 1', async () => {
    const { port, args } = await app();
    const started = await cli(['start', '--daemon', '--entry', FIXTURE_APP, ...args]);
    pids.add(Number(/pid (\d+)/.exec(started.out)?.[1]));
    await runningCluster(port);
    const refused = await cli(['list', '--username', 'admin', '--password', 'wrong', ...args]);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('SHADDOCK_ERR_ADMIN_UNAUTHORIZED');

    const bad = await cli(['add', 'id=x', ...args]);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('SHADDOCK_ERR_CLI_USAGE');
    expect(await cli(['list', '--port', 'nope', ...args])).toMatchObject({ code: 1 });
    expect(await cli(['kill', '--force', ...args])).toMatchObject({ code: 0 });
  });

  it('says where credentials come from when there are none', async () => {
    const { args } = await app([]);
    const saved = process.env['SHADDOCK_ADMIN_USER'];
    delete process.env['SHADDOCK_ADMIN_USER'];
    try {
      const result = await cli(['list', ...args]);
      expect(result.code).toBe(1);
      expect(result.err).toContain('SHADDOCK_ADMIN_USER');
      expect(result.err).toContain('config/adminUser.json');
    } finally {
      if (saved !== undefined) process.env['SHADDOCK_ADMIN_USER'] = saved;
    }
  });

  it('prints help', async () => {
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    for (const command of ['start', 'list', 'stop', 'kill', 'add', 'restart'])
      expect(help.out).toContain(command);
    expect(alive(process.pid)).toBe(true);
  });
});
