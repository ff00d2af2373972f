// The master's port under attack, with real processes on 127.0.0.1: a recorded admin login replayed,
// passwords guessed, a monitor without the cluster secret, `add` carrying Node options, a read-only
// user reaching for `stop`, and a development cluster without any admin user.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recordingProxy } from '@shaddock/test-support';
import { afterEach, describe, expect, it } from 'vitest';
import { AdminClient, formatPasswordKey } from '../../src/admin/index.js';
import { runCli } from '../../src/cli/index.js';
import { readAdminUsers } from '../../src/config/admin-users.js';
import { ErrorCode } from '../../src/errors.js';
import { MonitorClient } from '../../src/master/index.js';
import { LocalMembership } from '../../src/membership/index.js';
import { FrameReader } from '../../src/transport/index.js';
import { server, TestClusters } from '../fixtures/monitor-cluster.js';
import { FIXTURE_APP } from '../fixtures/monitor-harness.js';
import { rawConnection, sendMonitorProof } from '../fixtures/raw-port.js';
import { ADMIN, freePort } from '../support/app-folder.js';
import { PidTracker, waitFor, waitGone } from '../support/processes.js';

const clusters = new TestClusters();
const pids = new PidTracker();
const cleanups: (() => void | Promise<void>)[] = [];

afterEach(async () => {
  await clusters.cleanup();
  await pids.killAll();
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** A cluster whose master's own lines are kept. */
function logged(options: Parameters<TestClusters['create']>[1] = {}) {
  const lines: string[] = [];
  const cluster = clusters.create([server('chat-1')], { log: (line) => lines.push(line), ...options });
  return { ...cluster, lines, count: (pattern: RegExp) => lines.filter((line) => pattern.test(line)).length };
}

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(args, { out: (text) => (out += text), err: (text) => (err += text) });
  return { code, out, err };
}

/** Writes `bytes` on a new socket to `port`; resolves with every frame the master sent back, once it closed. */
function replay(port: number, bytes: Buffer): Promise<Record<string, unknown>[]> {
  return new Promise((resolve, reject) => {
    const frames: Record<string, unknown>[] = [];
    const reader = new FrameReader();
    const socket = connect({ host: '127.0.0.1', port }, () => socket.write(bytes));
    socket.on('data', (chunk: Buffer) =>
      reader.push(chunk, (message) => {
        frames.push(message as Record<string, unknown>);
        return true;
      }),
    );
    socket.on('error', reject);
    socket.on('close', () => resolve(frames));
  });
}

/** One login attempt: how long the master took, and how it ended. */
async function attempt(
  port: number,
  password: string,
  refusals: readonly string[] = [ErrorCode.AdminUnauthorized],
): Promise<{ ms: number; ok: boolean; message: string }> {
  const started = performance.now();
  try {
    const client = await AdminClient.connect({ host: '127.0.0.1', port, username: 'admin', password });
    await client.close();
    return { ms: performance.now() - started, ok: true, message: '' };
  } catch (error) {
    expect(refusals).toContain((error as { code?: unknown }).code);
    return { ms: performance.now() - started, ok: false, message: (error as Error).message };
  }
}

describe('admin login', () => {
  it('puts no password on the wire, and a recorded login does not replay', async () => {
    const { master, status } = logged();
    await master.start();
    const proxy = await recordingProxy(master.port);
    cleanups.push(() => proxy.close());
    const client = await AdminClient.connect({ host: '127.0.0.1', port: proxy.port, ...ADMIN });
    expect((await client.list()).map((row) => row.id)).toEqual(['master-1', 'chat-1']);
    await client.stop(['chat-1'], 5_000).catch(() => {});
    await client.close();
    await waitFor('chat-1 stopped', () => status('chat-1').state === 'stopped');
    await master.startServer('chat-1');
    const recorded = proxy.recorded();
    expect(recorded.length).toBeGreaterThan(0);
    expect(recorded.includes(Buffer.from(ADMIN.password))).toBe(false);

    // The same bytes on a new connection: the proof covered the first connection's nonce.
    const frames = await replay(master.port, recorded);
    expect(frames.map((frame) => frame['type'])).toEqual(['hello', 'challenge', 'error']);
    expect(frames[2]).toMatchObject({
      code: ErrorCode.AdminUnauthorized,
      message: 'wrong username or password',
    });
    expect(status('chat-1').state).toBe('running');
  });

  it('slows down wrong passwords, then locks the source out (even the right password), logged rate-limited', async () => {
    const { master, count } = logged();
    await master.start();
    const attempts = [];
    for (let index = 0; index < 7; index++) attempts.push(await attempt(master.port, `guess ${index}`));
    const right = await attempt(master.port, ADMIN.password);

    expect(attempts.slice(0, 5).map((entry) => entry.message)).toEqual(
      Array(5).fill('wrong username or password'),
    );
    for (const locked of [...attempts.slice(5), right]) {
      expect(locked.ok).toBe(false);
      expect(locked.message).toMatch(/locked out for \d+ s more/);
    }
    // 250 + 500 + 1000 + 2000 ms of waits before the 2nd…5th guesses: generous bounds
    const guessing = attempts.slice(0, 5).reduce((sum, entry) => sum + entry.ms, 0);
    expect(guessing).toBeGreaterThan(3_000);
    expect(attempts[4]!.ms).toBeGreaterThan(attempts[1]!.ms);
    // once locked out, refused at once: no wait, no check
    expect(right.ms).toBeLessThan(1_500);
    // one line per reason per window, the lockout once
    expect(count(/failed login/)).toBeLessThanOrEqual(2);
    expect(count(/locked out 127\.0\.0\.1/)).toBe(1);
    expect(count(/failed login|locked out|refused a login/)).toBeLessThan(8);
  });

  it('checks parallel guesses one at a time: a burst gets no more tries than a sequence', async () => {
    const { master } = logged();
    await master.start();
    const results = await Promise.all(
      // a guess still waiting its turn at the port's 5 s handshake deadline (a loaded machine) is
      // cut there: refused all the same
      Array.from({ length: 24 }, (_, index) =>
        attempt(master.port, `burst ${index}`, [ErrorCode.AdminUnauthorized, ErrorCode.MasterUnreachable]),
      ),
    );
    const checked = results.filter((entry) => entry.message === 'wrong username or password');
    expect(checked.length).toBeLessThanOrEqual(5);
    expect(results.every((entry) => !entry.ok)).toBe(true);
    // the ones still waiting their turn when the lockout came are refused then, unchecked
    const slowest = Math.max(...results.map((entry) => entry.ms));
    expect(slowest).toBeLessThan(checked.reduce((sum, entry) => Math.max(sum, entry.ms), 0) + 1_500);
    expect((await attempt(master.port, ADMIN.password)).message).toMatch(/locked out/);
  });

  it('forgets the failures after a success', async () => {
    const { master } = logged({ adminLogin: { baseDelayMs: 50 } });
    await master.start();
    for (const guess of ['a', 'b', 'c', 'd']) expect((await attempt(master.port, guess)).ok).toBe(false);
    expect((await attempt(master.port, ADMIN.password)).ok).toBe(true);
    // four more wrong ones would have made nine: no lockout, the count started again
    for (const guess of ['e', 'f', 'g', 'h']) {
      expect((await attempt(master.port, guess)).message).toBe('wrong username or password');
    }
    expect((await attempt(master.port, ADMIN.password)).ok).toBe(true);
  });

  it('logs in with a stored passwordKey, from the password or from the key itself', async () => {
    const passwordKey = await formatPasswordKey('key only');
    const [ops] = readAdminUsers('adminUser.json', [{ username: 'ops', passwordKey }], '');
    const { master } = logged({ adminUsers: [ops!] });
    await master.start();
    const withPassword = await AdminClient.connect({
      host: '127.0.0.1',
      port: master.port,
      username: 'ops',
      password: 'key only',
    });
    expect(await withPassword.list()).toHaveLength(2);
    await withPassword.close();
    const withKey = await AdminClient.connect({
      host: '127.0.0.1',
      port: master.port,
      username: 'ops',
      passwordKey: ops!.passwordKey!,
    });
    expect(await withKey.list()).toHaveLength(2);
    await withKey.close();
    await expect(
      AdminClient.connect({ host: '127.0.0.1', port: master.port, username: 'ops', password: 'wrong' }),
    ).rejects.toMatchObject({ code: ErrorCode.AdminUnauthorized });
  });
});

describe('monitor connections', () => {
  it('closes a monitor with the wrong secret after its first frame, with nothing registered', async () => {
    const { master, status, events, count } = logged();
    await master.start();
    const before = status('chat-1');

    const intruder = await rawConnection(master.port);
    await sendMonitorProof(intruder, 'not the cluster secret, but long enough', 'chat-1');
    // pipelined behind the wrong proof: never read
    intruder.socket.send({ type: 'register', id: 'chat-1', pid: 1, token: 'x', info: server('chat-1') });
    await intruder.socket.closed;
    expect(intruder.replies.map((reply) => reply.type)).toEqual(['hello', 'refused']);
    expect(intruder.replies[1]).toMatchObject({
      code: ErrorCode.RegisterRefused,
      message: 'wrong cluster secret',
    });

    // the old protocol (register first, no proof): refused as an admin without a login
    const old = await rawConnection(master.port);
    old.socket.send({ type: 'register', id: 'ghost-1', pid: 1, token: 'x', info: server('ghost-1') });
    await old.socket.closed;
    expect(old.replies.map((reply) => reply.type)).toEqual(['hello', 'error']);

    // a real monitor with the wrong secret
    const monitor = new MonitorClient({
      master: { host: '127.0.0.1', port: master.port },
      server: server('ghost-2'),
      membership: new LocalMembership(),
      secret: 'a wrong secret of thirty-two characters at least',
      token: 'x',
      onStop: async () => {},
      onMasterLost: () => {},
    });
    await expect(monitor.connect()).rejects.toMatchObject({
      code: ErrorCode.RegisterRefused,
      message: 'wrong cluster secret',
    });

    for (let index = 0; index < 10; index++) {
      const again = await rawConnection(master.port);
      await sendMonitorProof(again, 'still not the cluster secret', 'chat-1');
      await again.socket.closed;
    }
    expect(master.servers().map((entry) => entry.id)).toEqual(['chat-1']);
    expect(status('chat-1')).toMatchObject({ state: 'running', pid: before.pid });
    // chat-1 heard of no one joining or leaving
    expect(events.filter((event) => event.member !== undefined && event.member !== 'chat-1')).toEqual([]);
    // twelve refusals, one line (the repeats are counted, and written with the next window)
    expect(count(/wrong cluster secret/)).toBe(1);
  });

  it('drops a silent peer, a peer past the handshake deadline, and an oversize frame', async () => {
    const idling = logged({ portLimits: { idleMs: 200, handshakeMs: 5_000 } });
    const slow = logged({ portLimits: { idleMs: 5_000, handshakeMs: 300 } });
    await Promise.all([idling.master.start(), slow.master.start()]);

    const silent = await rawConnection(idling.master.port);
    await silent.socket.closed;
    expect(silent.replies.map((reply) => reply.type)).toEqual(['hello']);
    expect(idling.count(/dropped a connection from 127\.0\.0\.1: idle/)).toBe(1);

    // a login, then no proof: the deadline ends it long before the idle timeout would
    const started = performance.now();
    const stalled = await rawConnection(slow.master.port);
    stalled.socket.send({ type: 'login', username: 'admin' });
    await stalled.socket.closed;
    expect(performance.now() - started).toBeLessThan(4_000);
    expect(stalled.replies.map((reply) => reply.type)).toEqual(['hello', 'challenge']);
    expect(slow.count(/handshake deadline/)).toBe(1);

    // control frames are small: 1 MiB at most
    const big = await rawConnection(idling.master.port);
    big.socket.send({ type: 'login', username: 'x'.repeat(2 * 1024 * 1024) });
    await big.socket.closed;
    expect(big.replies.map((reply) => reply.type)).toEqual(['hello']);
  });
});

describe('admin commands', () => {
  it('refuses an add that carries Node options, and no process runs them', async () => {
    const { master } = logged();
    await master.start();
    const marker = join(tmpdir(), `shaddock-pwned-${process.pid}-${Date.now()}`);
    cleanups.push(() => rmSync(marker, { force: true }));
    const code = `require('node:fs').writeFileSync(${JSON.stringify(marker)}, 'ran')`;
    const admin = await AdminClient.connect({ host: '127.0.0.1', port: master.port, ...ADMIN });
    try {
      const refused = await admin
        .add({ ...server('evil-1'), args: ['-e', code] })
        .catch((error: unknown) => error);
      expect(refused).toMatchObject({ code: ErrorCode.AdminCommandFailed });
      expect((refused as Error).message).toMatch(
        /"args" cannot come from an admin connection.*servers\.json/,
      );
      await expect(admin.add({ ...server('evil-2'), 'restart-force': true })).rejects.toMatchObject({
        code: ErrorCode.AdminCommandFailed,
        message: expect.stringMatching(/restart-force/),
      });
      await expect(admin.add({ ...server('evil-3'), serverType: '../../tmp/x' })).rejects.toMatchObject({
        code: ErrorCode.AdminCommandFailed,
      });
    } finally {
      await admin.close();
    }
    // the CLI's -u/-p, and its key=value fields, reach the same refusal
    const cliAdd = await cli([
      'add',
      'id=evil-4',
      'serverType=evil',
      'host=127.0.0.1',
      `args=-e ${code.replaceAll(' ', '')}`,
      '--host',
      '127.0.0.1',
      '--port',
      String(master.port),
      '-u',
      ADMIN.username,
      '-p',
      ADMIN.password,
    ]);
    expect(cliAdd.code).toBe(1);
    expect(cliAdd.err).toContain('cannot come from an admin connection');

    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(existsSync(marker)).toBe(false);
    expect(master.servers().map((entry) => entry.id)).toEqual(['chat-1']);
  });

  it('lets a user of level 2 list, and refuses it stop, kill, add and restart', async () => {
    const viewer = { id: 'viewer', username: 'viewer', password: 'look only', level: 2 };
    const { master, status } = logged({ adminUsers: [ADMIN, viewer] });
    await master.start();
    const pid = status('chat-1').pid;
    const client = await AdminClient.connect({ host: '127.0.0.1', port: master.port, ...viewer });
    try {
      expect(await client.list()).toHaveLength(2);
      for (const denied of [
        () => client.stop(['chat-1']),
        () => client.stop(),
        () => client.kill(true),
        () => client.add(server('chat-2')),
        () => client.restart(['chat-1']),
        () => client.blacklist({ add: ['10.0.0.1'] }),
      ]) {
        await expect(denied()).rejects.toMatchObject({
          code: ErrorCode.AdminUnauthorized,
          message: expect.stringMatching(/needs an admin user of level 1/),
        });
      }
    } finally {
      await client.close();
    }
    expect(status('chat-1')).toMatchObject({ state: 'running', pid });
  });
});

describe('development without an admin user', () => {
  it('generates one on first start (0600, git-ignored, its path printed), and the CLI uses it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shaddock-dev-admin-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const port = await freePort();
    mkdirSync(join(dir, 'config'));
    const write = (name: string, content: unknown): void =>
      writeFileSync(join(dir, 'config', name), JSON.stringify(content));
    write('servers.json', { development: { chat: [{ id: 'chat-1', host: '127.0.0.1' }] } });
    write('master.json', { development: { id: 'master-1', host: '127.0.0.1', port } });
    const args = ['--dir', dir, '--env', 'development'];
    const saved = process.env['SHADDOCK_ADMIN_USER'];
    delete process.env['SHADDOCK_ADMIN_USER'];
    cleanups.push(() => {
      if (saved !== undefined) process.env['SHADDOCK_ADMIN_USER'] = saved;
    });

    const started = await cli(['start', '--daemon', '--entry', FIXTURE_APP, ...args]);
    expect(started.code).toBe(0);
    pids.add(Number(/pid (\d+)/.exec(started.out)?.[1]));
    const file = join(dir, '.shaddock', 'admin-user.json');
    await waitFor('the generated admin user', () => existsSync(file));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, '.shaddock', '.gitignore'), 'utf8')).toBe('*\n');
    const [user] = JSON.parse(readFileSync(file, 'utf8')) as { username: string; password: string }[];
    expect(user?.password).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const masterLog = (): string => readFileSync(join(dir, 'logs', 'master.log'), 'utf8');
    await waitFor('the master says where it is', () => masterLog().includes(file));

    const list = await waitFor('the cluster to be up', async () => {
      const result = await cli(['list', ...args]);
      pids.add(...[...result.out.matchAll(/^\S+ +\S+ +(\d+) /gm)].map((match) => Number(match[1])));
      return result.code === 0 && /^chat-1 .* running /m.test(result.out) && result;
    });
    expect(list.out).toMatch(/^master-1 /m);
    // the -u/-p flags still work, and a wrong password is still refused
    expect((await cli(['list', '-u', 'admin', '-p', user!.password, ...args])).code).toBe(0);
    expect((await cli(['list', '-u', 'admin', '-p', 'admin', ...args])).err).toContain(
      'SHADDOCK_ERR_ADMIN_UNAUTHORIZED',
    );
    const killed = await cli(['kill', '--force', ...args]);
    expect(killed.code).toBe(0);
    await waitGone(pids.all());
  });
});
