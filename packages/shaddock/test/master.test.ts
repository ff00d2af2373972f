// The master, its monitors and the admin connection, with real processes on 127.0.0.1: a master in
// this process runs fixture servers (fixtures/monitor-app.mjs, which imports the built dist/) that
// report what they see as JSON lines. kill -9 of a master process is in cli.test.ts.
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../src/errors.js';
import { findPortHolders } from '../src/master/index.js';
import { server, TestClusters } from './fixtures/monitor-cluster.js';
import { CLUSTER_SECRET, rawConnection, sendMonitorProof } from './fixtures/raw-port.js';
import { ADMIN, freePort } from './support/app-folder.js';
import { alive, waitFor, waitGone } from './support/processes.js';

const clusters = new TestClusters();

afterEach(() => clusters.cleanup());

const cluster = clusters.create.bind(clusters);

describe('Master', () => {
  it('starts a cluster: every server gets the whole membership, then afterStartAll; stop() ends it', async () => {
    const { master, seen, status, livePids } = cluster([
      server('chat-1'),
      server('chat-2'),
      server('gate-1'),
    ]);
    await master.start();
    const ids = ['chat-1', 'chat-2', 'gate-1'];
    for (const id of ids) expect(status(id).state).toBe('running');
    const running = livePids();
    expect(new Set(running).size).toBe(3);
    await waitFor('afterStartAll everywhere', () =>
      ids.every((id) => seen(id, 'after-start-all').length === 1),
    );
    for (const id of ids) expect(seen(id, 'after-start-all')[0]?.members).toEqual(ids);

    await master.stop(5_000);
    for (const id of ids) expect(seen(id, 'stop')[0]?.deadlineMs).toBe(5_000);
    await waitGone(running);
    for (const id of ids) expect(status(id).state).toBe('stopped');
    await master.stopped;
  });

  it('announces a SIGKILLed server to the others, and restarts it with auto-restart', async () => {
    const { master, events, seen, status } = cluster([
      server('area-1', { 'auto-restart': true }),
      server('chat-1'),
      server('chat-2'),
    ]);
    await master.start();
    await waitFor('afterStartAll', () => seen('area-1', 'after-start-all').length === 1);
    const first = status('area-1').pid!;
    process.kill(first, 'SIGKILL');

    const removedAt = (id: string) =>
      events.findIndex((e) => e.id === id && e.event === 'remove' && e.member === 'area-1');
    await waitFor('the others hear area-1 left', () => removedAt('chat-1') >= 0 && removedAt('chat-2') >= 0);
    const back = await waitFor('area-1 back', () => {
      const area = status('area-1');
      return area.state === 'running' && area.pid !== first && area;
    });
    expect(back.restarts).toBe(1);
    await waitFor('the others hear area-1 is back', () =>
      ['chat-1', 'chat-2'].every((id) =>
        events.some(
          (e, index) => index > removedAt(id) && e.id === id && e.event === 'add' && e.member === 'area-1',
        ),
      ),
    );
    // A restarted server gets afterStartAll on its own ready.
    await waitFor('afterStartAll for the new area-1', () => seen('area-1', 'after-start-all').length === 2);
    expect(seen('area-1', 'after-start-all')[1]?.members).toEqual(['area-1', 'chat-1', 'chat-2']);
    expect(seen('chat-1', 'after-start-all')).toHaveLength(1);
  });

  it('lists a server without auto-restart that died as crashed', async () => {
    const { master, events, status } = cluster([server('chat-1'), server('chat-2')]);
    await master.start();
    process.kill(status('chat-2').pid!, 'SIGKILL');
    await waitFor('chat-1 hears chat-2 left', () =>
      events.some((e) => e.event === 'remove' && e.member === 'chat-2'),
    );
    await waitFor('chat-2 crashed', () => status('chat-2').state === 'crashed');
    const row = (await master.list()).find((entry) => entry.id === 'chat-2');
    expect(row).toMatchObject({ state: 'crashed', pid: null, restarts: 0 });
  });

  it('fails start() with StartupTimeout naming the servers not ready, and stops everything', async () => {
    const { master, events } = cluster([server('chat-1'), server('lazy-1', { neverReady: true })], {
      startupTimeout: 1_500,
    });
    const failure = await master.start().catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: ErrorCode.StartupTimeout });
    expect((failure as Error).message).toMatch(/: lazy-1$/);
    const started = events.filter((e) => e.event === 'registered').map((e) => e.pid);
    expect(started).toHaveLength(2);
    await waitGone(started);
    await master.stopped;
  });

  it('fails start() at once when a server without auto-restart exits during startup', async () => {
    const { master, livePids } = cluster([server('chat-1'), server('broken-1', { crashOnStart: true })]);
    const failure = await master.start().catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: ErrorCode.StartupFailed });
    expect((failure as Error).message).toContain('broken-1');
    expect((failure as Error).message).toContain('code 3');
    expect(livePids()).toEqual([]);
  });

  it('stops gracefully, and SIGKILLs a server that ignores its stop order after the deadline', async () => {
    const { master, seen, livePids } = cluster([server('chat-1'), server('stuck-1', { stopHang: true })]);
    await master.start();
    const running = livePids();
    await master.stop(200);
    expect(seen('chat-1', 'stop')).toHaveLength(1);
    expect(seen('stuck-1', 'stop')).toHaveLength(1);
    await waitGone(running);
    expect(master.servers().map((entry) => entry.state)).toEqual(['stopped', 'stopped']);
  });

  it('restart-force: kills what still holds the port before restarting', async () => {
    const port = await freePort();
    const { master, seen, status } = cluster([
      server('area-1', { port, portHolder: true, 'auto-restart': true, 'restart-force': true }),
    ]);
    await master.start();
    const holder = seen('area-1', 'port-holder')[0]?.holder;
    expect(await findPortHolders(port)).toEqual([holder]);
    process.kill(status('area-1').pid!, 'SIGKILL');
    await waitFor(
      'area-1 restarted',
      () => status('area-1').restarts === 1 && status('area-1').state === 'running',
    );
    await waitGone([holder!]);
    expect(seen('area-1', 'port-holder')).toHaveLength(2);
  });
});

describe('admin connection', () => {
  it('refuses every command when no admin user is configured, and says how to add one', async () => {
    const { master, admin } = cluster([server('chat-1')], { adminUsers: [] });
    await master.start();
    const failure = await admin().catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: ErrorCode.AdminUnauthorized });
    expect((failure as Error).message).toContain('adminUser.json');
    expect((failure as Error).message).toContain('SHADDOCK_ADMIN_USER');
  });

  it('refuses wrong credentials, and anything sent before auth', async () => {
    const { master, admin, status } = cluster([server('chat-1')]);
    await master.start();
    await expect(admin({ username: 'admin', password: 'wrong' })).rejects.toMatchObject({
      code: ErrorCode.AdminUnauthorized,
    });
    await expect(admin({ username: 'nobody', password: ADMIN.password })).rejects.toMatchObject({
      code: ErrorCode.AdminUnauthorized,
    });

    // Anything but a login first: refused, nothing run.
    const raw = await rawConnection(master.port);
    raw.socket.send({ type: 'command', requestId: 1, command: 'list', args: {} });
    await raw.socket.closed;
    expect(raw.replies).toEqual([
      expect.objectContaining({ type: 'hello' }),
      expect.objectContaining({ type: 'error', code: ErrorCode.AdminUnauthorized }),
    ]);

    // One attempt per connection: what is pipelined behind a wrong proof is never acted on.
    const guesses = await rawConnection(master.port);
    guesses.socket.send({ type: 'login', username: 'admin' });
    await guesses.next('challenge');
    guesses.socket.send({ type: 'auth', nonce: randomBytes(32), proof: randomBytes(32) });
    guesses.socket.send({ type: 'auth', nonce: randomBytes(32), proof: randomBytes(32) });
    guesses.socket.send({ type: 'command', requestId: 1, command: 'stop', args: { ids: ['chat-1'] } });
    await guesses.socket.closed;
    expect(guesses.replies.map((reply) => reply.type)).toEqual(['hello', 'challenge', 'error']);
    expect(guesses.replies[2]).toMatchObject({ message: 'wrong username or password' });
    expect(status('chat-1').state).toBe('running');

    // The old login (a password on the wire) is refused, saying why.
    const old = await rawConnection(master.port);
    old.socket.send({ type: 'auth', username: 'admin', password: ADMIN.password });
    await old.socket.closed;
    expect(old.replies[1]).toMatchObject({
      type: 'error',
      message: expect.stringMatching(/no password on the wire/),
    });
  });

  it('refuses a registration the master did not start', async () => {
    const { master, status } = cluster([server('chat-1')]);
    await master.start();
    const raw = await rawConnection(master.port);
    await sendMonitorProof(raw, CLUSTER_SECRET, 'chat-1');
    await raw.next('monitor-ok');
    raw.socket.send({ type: 'register', id: 'chat-1', pid: 1, token: 'guess', info: server('chat-1') });
    await raw.socket.closed;
    expect(raw.replies.map((reply) => reply.type)).toEqual(['hello', 'monitor-ok', 'refused']);
    expect(raw.replies[2]).toMatchObject({ code: ErrorCode.RegisterRefused });
    expect(status('chat-1').state).toBe('running');
  });

  it('lets a user of level 2 list, and nothing else', async () => {
    const viewer = { id: 'viewer', username: 'viewer', password: 'look only', level: 2 };
    const { master, admin } = cluster([server('chat-1')], { adminUsers: [ADMIN, viewer] });
    await master.start();
    const client = await admin(viewer);
    try {
      expect(await client.list()).toHaveLength(2);
      await expect(client.stop(['chat-1'])).rejects.toMatchObject({ code: ErrorCode.AdminUnauthorized });
    } finally {
      await client.close();
    }
  });

  it('runs list, stop <id>, start, add, restart and kill', async () => {
    const { master, events, status, livePids, admin } = cluster([server('chat-1'), server('chat-2')]);
    await master.start();
    const client = await admin();
    const heard = (id: string, event: string, member: string) =>
      events.filter((e) => e.id === id && e.event === event && e.member === member).length;

    const rows = await client.list();
    expect(rows.map((row) => row.id)).toEqual(['master-1', 'chat-1', 'chat-2']);
    expect(rows[0]).toMatchObject({
      serverType: 'master',
      pid: process.pid,
      port: master.port,
      state: 'running',
    });
    expect(rows[1]).toMatchObject({
      serverType: 'chat',
      pid: status('chat-1').pid,
      state: 'running',
      restarts: 0,
    });
    expect(rows[1]?.rss).toBeGreaterThan(0);
    expect(rows[1]?.cpu?.user).toBeGreaterThan(0);

    const chat2 = status('chat-2').pid!;
    expect(await client.stop(['chat-2'])).toEqual({ stopped: ['chat-2'] });
    expect(status('chat-2').state).toBe('stopped');
    await waitGone([chat2]);
    await waitFor('chat-1 hears chat-2 left', () => heard('chat-1', 'remove', 'chat-2') === 1);

    expect(await client.start('chat-2')).toMatchObject({ id: 'chat-2', state: 'running', restarts: 1 });
    await waitFor('chat-1 hears chat-2 is back', () => heard('chat-1', 'add', 'chat-2') === 2);

    expect(await client.add(server('chat-3'))).toMatchObject({ id: 'chat-3', state: 'running' });
    await waitFor(
      'the others hear of chat-3',
      () => heard('chat-1', 'add', 'chat-3') + heard('chat-2', 'add', 'chat-3') === 2,
    );
    await expect(client.add(server('chat-3'))).rejects.toMatchObject({ code: ErrorCode.AdminCommandFailed });
    await expect(client.stop(['nope'])).rejects.toMatchObject({ code: ErrorCode.AdminCommandFailed });

    const chat1 = status('chat-1').pid!;
    expect(await client.restart(['chat-1'])).toEqual({ restarted: ['chat-1'] });
    expect(status('chat-1')).toMatchObject({ state: 'running', restarts: 1 });
    expect(alive(chat1)).toBe(false);

    const running = livePids();
    expect(await client.kill(true)).toEqual({ killed: ['chat-1', 'chat-2', 'chat-3'] });
    await master.stopped;
    await waitGone(running);
    await client.close();
  });
});
