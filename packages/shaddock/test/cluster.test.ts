// End-to-end tests of a real Shaddock application cluster: the cluster-app fixture
// (fixtures/cluster-app/, public API only) run as real processes on 127.0.0.1 with free ports, a
// master and its servers, driven through the admin connection, the `shaddock` bin and RPC. Every
// test ends by checking that every process it saw is gone, without killing any; its `finally`
// kills whatever a failure left behind.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConsistentHashRouter, ErrorCode, LocalMembership, RemoteError } from 'shaddock';
import { describe, expect, it } from 'vitest';
import type { LoadCall } from './fixtures/cluster-app/remotes.js';
import { freePort } from './support/app-folder.js';
import { makeClusterFolder, runEntry, TestCluster } from './support/cluster-app.js';
import type { ClusterEvent } from './support/cluster-events.js';
import { waitGone } from './support/processes.js';

const SERVER_IDS = ['chat-1', 'chat-2', 'area-1'];
const STARTUP = [
  'hook:beforeStartup',
  'component:start',
  'component:afterStart',
  'hook:afterStartup',
  'component:afterStartAll',
  'hook:afterStartAll',
];
const SHUTDOWN = ['hook:beforeShutdown', 'component:stop'];

/** The lifecycle events (hooks and the logging component's stages) of one process, in order. */
function lifecycleOf(events: readonly ClusterEvent[], serverId: string): string[] {
  return events
    .filter((event) => event.serverId === serverId && /^(hook|component):/.test(event.name))
    .map((event) => event.name);
}

/** Where the default route (a consistent hash of the uid) sends each uid among these chat servers. */
function consistentHashRoutes(chatIds: readonly string[], uids: readonly string[]): Record<string, string> {
  const membership = new LocalMembership(
    chatIds.map((id) => ({ id, serverType: 'chat', host: '127.0.0.1', port: 1, frontend: false })),
  );
  const router = new ConsistentHashRouter(membership);
  return Object.fromEntries(uids.map((uid) => [uid, router.route('chat', { uid })]));
}

/** A `shaddock list` table as rows by id. */
function parseTable(out: string): Map<string, { pid: number | null; state: string; restarts: number }> {
  const rows = new Map<string, { pid: number | null; state: string; restarts: number }>();
  for (const line of out.trimEnd().split('\n').slice(1)) {
    // id serverType pid host port clientPort state uptime rss cpu restarts
    const cells = line.trim().split(/\s+/);
    rows.set(cells[0] ?? '', {
      pid: cells[2] === '-' ? null : Number(cells[2]),
      state: cells[6] ?? '',
      restarts: Number(cells[10]),
    });
  }
  return rows;
}

describe('a cluster-app cluster', () => {
  it('runs the lifecycle in order on every server, afterStartAll once everywhere after all are ready, and stops in order', async () => {
    const cluster = await TestCluster.start();
    try {
      const events = cluster.events();
      // The events file holds every process's events in the order they really happened.
      const at = (id: string, name: string): number =>
        events.findIndex((event) => event.serverId === id && event.name === name);
      for (const id of SERVER_IDS) expect(lifecycleOf(events, id), id).toEqual(STARTUP);
      const lastStartup = Math.max(...SERVER_IDS.map((id) => at(id, 'hook:afterStartup')));
      for (const id of SERVER_IDS) expect(at(id, 'component:afterStartAll'), id).toBeGreaterThan(lastStartup);
      // The master runs its own hooks; its afterStartup comes once every server is ready.
      expect(lifecycleOf(events, 'master-1')).toEqual(['hook:beforeStartup', 'hook:afterStartup']);
      expect(at('master-1', 'hook:afterStartup')).toBeGreaterThan(lastStartup);

      // Logs: each server writes its own file; the master prints its servers' lines readably.
      for (const id of SERVER_IDS) {
        const file = join(cluster.folder.dir, 'logs', `${id}.log`);
        await cluster.waitFor(
          `${id}'s log file`,
          () => existsSync(file) && readFileSync(file, 'utf8').includes('every server is up'),
        );
        // Other lines may follow (the area's afterStartAll calls a remote that throws): find this one.
        const text = readFileSync(file, 'utf8')
          .trim()
          .split('\n')
          .find((entry) => entry.includes('every server is up'));
        const line = JSON.parse(text ?? '{}') as Record<string, unknown>;
        expect(line).toMatchObject({ serverId: id, msg: 'every server is up', level: 30 });
        expect(cluster.output(1_000)).toMatch(new RegExp(`\\[${id}\\] [\\d:.]+ INFO .*every server is up`));
      }

      // Ctrl-C on the master: a graceful stop of every server, then the master exits 0.
      process.kill(cluster.masterPid, 'SIGINT');
      expect(await cluster.exited).toEqual({ code: 0, signal: null });
      const all = cluster.events();
      for (const id of SERVER_IDS) {
        expect(lifecycleOf(all, id), id).toEqual([...STARTUP, ...SHUTDOWN]);
        expect(all.find((event) => event.serverId === id && event.name === 'component:stop')?.data).toEqual({
          force: false,
        });
      }
      await cluster.expectAllGone();
    } finally {
      await cluster.dispose();
    }
  });

  describe('refuses to start on a bad config, with one error naming the file and the field', () => {
    const servers = (content: unknown) => JSON.stringify({ test: content });
    const cases: {
      name: string;
      env?: string;
      servers: string | undefined;
      field: string | undefined;
      code: ErrorCode;
      message: string;
    }[] = [
      {
        name: 'servers.json is missing',
        servers: undefined,
        field: undefined,
        code: ErrorCode.ConfigMissing,
        message: 'no servers config',
      },
      {
        name: 'servers.json is not JSON',
        servers: '{ "test": { "chat": [',
        field: undefined,
        code: ErrorCode.ConfigInvalid,
        message: 'malformed JSON',
      },
      {
        name: 'two servers have one id',
        servers: servers({
          chat: [
            { id: 'chat-1', host: '127.0.0.1', port: 40001 },
            { id: 'chat-1', host: '127.0.0.1', port: 40002 },
          ],
        }),
        field: 'test.chat[1].id',
        code: ErrorCode.ConfigInvalid,
        message: 'duplicate server id "chat-1"',
      },
      {
        name: 'two servers have one port',
        servers: servers({
          chat: [
            { id: 'chat-1', host: '127.0.0.1', port: 40001 },
            { id: 'chat-2', host: '127.0.0.1', port: 40001 },
          ],
        }),
        field: 'test.chat[1].port',
        code: ErrorCode.ConfigInvalid,
        message: 'port 40001 of host "127.0.0.1" is taken twice',
      },
      {
        name: 'a frontend has no clientPort',
        servers: servers({
          connector: [{ id: 'connector-1', host: '127.0.0.1', port: 40001, frontend: true }],
        }),
        field: 'test.connector[0].clientPort',
        code: ErrorCode.ConfigInvalid,
        message: 'frontend server "connector-1" has no "clientPort"',
      },
      {
        name: 'the environment is unknown',
        env: 'staging',
        servers: servers({ chat: [{ id: 'chat-1', host: '127.0.0.1', port: 40001 }] }),
        field: 'staging',
        code: ErrorCode.ConfigUnknownEnv,
        message: 'unknown environment "staging" (the file has: test)',
      },
    ];

    it.each(cases)('$name', async ({ env = 'test', servers, field, code, message }) => {
      const folder = await makeClusterFolder();
      const pids: number[] = [];
      try {
        const file = join(folder.dir, 'config', 'servers.json');
        if (servers === undefined) rmSync(file);
        else writeFileSync(file, servers);
        const result = await runEntry(folder.dir, [`env=${env}`], (pid) => pids.push(pid));
        expect(result.code).toBe(1);
        expect(result.err).toContain(
          `ConfigError: ${file}${field === undefined ? '' : ` (${field})`}: ${message}`,
        );
        expect(result.err).toContain(code);
        expect(result.err.match(/ConfigError: /g)).toHaveLength(1);
        // Nothing started: not the master's listener, not a server.
        expect(result.out).toBe('');
        await waitGone(pids, 10_000);
      } finally {
        await waitGone(pids, 10_000).catch(() => {
          for (const pid of pids) process.kill(pid, 'SIGKILL');
        });
        folder.remove();
      }
    });
  });

  it('calls chat remotes from the area server: routed (custom route), toServer, broadcast, RemoteError, UnknownRemote', async () => {
    const cluster = await TestCluster.start({ env: { CLUSTER_APP_ROUTE: 'modulo' } });
    try {
      await cluster.waitFor(
        'the area server to finish its calls',
        () => cluster.seen('area-1', 'rpc:done').length > 0,
      );
      const outcomes = new Map(
        cluster.seen('area-1', 'rpc').map((event) => {
          const { call, ...outcome } = event.data as { call: string; ok: boolean };
          return [call, outcome];
        }),
      );
      // app.route('chat', …): the uid modulo the chat servers, sorted by id.
      expect(outcomes.get('routed:0')).toEqual({ ok: true, value: 'chat-1' });
      expect(outcomes.get('routed:1')).toEqual({ ok: true, value: 'chat-2' });
      expect(outcomes.get('routed:2')).toEqual({ ok: true, value: 'chat-1' });
      expect(outcomes.get('routed:3')).toEqual({ ok: true, value: 'chat-2' });
      expect(outcomes.get('toServer:chat-2')).toEqual({
        ok: true,
        value: { from: 'chat-2', value: 'hello' },
      });
      expect(outcomes.get('broadcast')).toEqual({
        ok: true,
        value: { 'chat-1': 'chat-1', 'chat-2': 'chat-2' },
      });
      expect(outcomes.get('fail')).toEqual({
        ok: false,
        error: {
          name: 'RemoteError',
          code: ErrorCode.RemoteError,
          remoteCode: 'E_CHAT_REFUSED',
          serverId: 'chat-1',
          message: 'remote on chat-1 failed: chat-1 refuses on purpose',
        },
      });
      expect(outcomes.get('constructor')).toMatchObject({
        ok: false,
        error: { name: 'ShaddockError', code: ErrorCode.UnknownRemote },
      });

      // The same remotes from outside the cluster, through the typed proxy.
      const chat = cluster.rpc(['chat-1', 'chat-2']).chat.chatRemote;
      expect(await chat.echo.toServer('chat-1')('x')).toEqual({ from: 'chat-1', value: 'x' });
      expect(await chat.whoami.broadcast()).toEqual({ 'chat-1': 'chat-1', 'chat-2': 'chat-2' });
      const failure = await chat.fail
        .toServer('chat-2')()
        .catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(RemoteError);
      expect(failure).toMatchObject({ remoteCode: 'E_CHAT_REFUSED', serverId: 'chat-2' });

      await cluster.admin((admin) => admin.stop());
      expect(await cluster.exited).toEqual({ code: 0, signal: null });
      await cluster.expectAllGone();
    } finally {
      await cluster.dispose();
    }
  });

  it('moves only part of the keys, all to the new server, when a chat server is added at run time', async () => {
    const cluster = await TestCluster.start();
    try {
      // Routed inside the cluster, by the area server's own client on its live membership; then
      // checked against ConsistentHashRouter on the membership the area should have.
      const routeAll = cluster.rpc(['area-1']).area.areaRemote.routeAll.toServer('area-1');
      const uids = Array.from({ length: 200 }, (_, index) => `uid-${index}`);
      const before = await routeAll(uids);
      expect(before).toEqual(consistentHashRoutes(['chat-1', 'chat-2'], uids));
      expect(new Set(Object.values(before))).toEqual(new Set(['chat-1', 'chat-2']));

      const port = await freePort();
      const added = await cluster.admin((admin) =>
        admin.add({ id: 'chat-3', serverType: 'chat', host: '127.0.0.1', port, frontend: false }),
      );
      cluster.track(added.pid);
      expect(added).toMatchObject({ id: 'chat-3', state: 'running' });

      const after = await routeAll(uids);
      expect(after).toEqual(consistentHashRoutes(['chat-1', 'chat-2', 'chat-3'], uids));
      const moved = uids.filter((uid) => before[uid] !== after[uid]);
      for (const uid of moved) expect(after[uid], uid).toBe('chat-3');
      // About a third; a modulo route (Pomelo's crc32(uid) % n) would move about two thirds.
      expect(moved.length).toBeGreaterThan(0);
      expect(moved.length).toBeLessThan(uids.length / 2);

      await cluster.admin((admin) => admin.stop());
      expect(await cluster.exited).toEqual({ code: 0, signal: null });
      await cluster.expectAllGone();
    } finally {
      await cluster.dispose();
    }
  });

  // FRAMEWORK BUG, reported to the lead: a server is announced to the others (the master's `add`)
  // when its monitor registers, which application/run.ts does BEFORE the RPC component loads the
  // remotes and listens. Until then, routed calls for the keys the new server now owns fail with
  // ServerUnavailable ("cannot connect: ECONNREFUSED"), though membership lists it. Proposed fix:
  // in run.ts, add `rpcComponent(app)` ahead of the monitor, so a server listens before it
  // registers (Pomelo loads its monitor last for this reason). With that change this test passes:
  // then drop `.fails`.
  it('keeps routed calls working while a chat server is added under load', async () => {
    const cluster = await TestCluster.start({ env: { CLUSTER_APP_RPC_TIMEOUT: '5000' } });
    try {
      const area = cluster.rpc(['area-1']).area.areaRemote;
      const loadCalls = area.loadCalls.toServer('area-1');
      // Four callers on the area server, each call routed by the next of 200 uids.
      await area.startLoad.toServer('area-1')(null, 4, 10);
      await cluster.waitFor(
        'a steady load',
        async () => (await loadCalls()).filter((call) => call.ok).length >= 20,
      );
      // chat-3's remote takes a second to build, as one that loads its data at start-up would.
      const port = await freePort();
      const added = await cluster.admin((admin) =>
        admin.add({
          id: 'chat-3',
          serverType: 'chat',
          host: '127.0.0.1',
          port,
          frontend: false,
          remoteDelayMs: 1000,
        }),
      );
      cluster.track(added.pid);
      const addedAt = Date.now();
      await cluster.waitFor(
        'routed calls after the add to succeed',
        async () => (await loadCalls()).filter((call) => call.ok && call.startedAt > addedAt).length >= 20,
      );
      const calls = await area.stopLoad.toServer('area-1')(5_000);
      expect(calls.filter((call) => call.settledAt === 0)).toEqual([]);

      await cluster.admin((admin) => admin.stop());
      expect(await cluster.exited).toEqual({ code: 0, signal: null });
      await cluster.expectAllGone();
      // Last, so that the cluster's orderly end is checked either way: no routed call failed.
      expect(calls.filter((call) => !call.ok).map((call) => call.error)).toEqual([]);
    } finally {
      await cluster.dispose();
    }
  });

  it('fails the calls to a kill -9ed chat server with ServerUnavailable within 1 s, restarts it, and calls succeed again', async () => {
    const cluster = await TestCluster.start({ env: { CLUSTER_APP_RPC_TIMEOUT: '5000' } });
    try {
      const area = cluster.rpc(['area-1']).area.areaRemote;
      const loadCalls = area.loadCalls.toServer('area-1');
      // Four callers on the area server, each calling chat-1's slow(100) again and again.
      await area.startLoad.toServer('area-1')('chat-1', 4, 100);
      await cluster.waitFor(
        'a steady load',
        async () => (await loadCalls()).filter((call) => call.ok).length >= 12,
      );

      const victim = (await cluster.row('chat-1'))?.pid;
      if (victim == null) throw new Error('chat-1 has no pid');
      const killedAt = Date.now();
      process.kill(victim, 'SIGKILL');

      const back = await cluster.waitFor('the master to restart chat-1', async () => {
        const row = await cluster.row('chat-1');
        return row?.state === 'running' && row.pid !== victim && row;
      });
      expect(back.restarts).toBe(1);
      const restartedAt = Date.now();
      await cluster.waitFor('calls to the new chat-1 to succeed', async () =>
        (await loadCalls()).some((call) => call.ok && call.startedAt > restartedAt),
      );
      const calls: LoadCall[] = await area.stopLoad.toServer('area-1')(5_000);

      // No caller hung: every call settled.
      expect(calls.filter((call) => call.settledAt === 0)).toEqual([]);
      const failed = calls.filter((call) => !call.ok);
      expect(new Set(failed.map((call) => call.error?.code))).toEqual(new Set([ErrorCode.ServerUnavailable]));
      // The calls in flight when chat-1 died, and those made while it was down, failed within 1 s.
      const inFlight = failed.filter((call) => call.startedAt <= killedAt);
      expect(inFlight.length).toBeGreaterThan(0);
      const slowest = Math.max(...failed.map((call) => call.settledAt - Math.max(call.startedAt, killedAt)));
      expect(slowest).toBeLessThan(1000);
      expect(calls.some((call) => call.ok && call.startedAt < killedAt)).toBe(true);

      await cluster.admin((admin) => admin.stop());
      expect(await cluster.exited).toEqual({ code: 0, signal: null });
      await cluster.expectAllGone();
    } finally {
      await cluster.dispose();
    }
  });

  it('finishes the calls in flight when `shaddock stop` stops the cluster, then every process exits', async () => {
    const cluster = await TestCluster.start();
    try {
      // Long enough that the stop order surely lands while both calls run (the bin takes a moment to start).
      const ms = 3_000;
      const rpc = cluster.rpc(['area-1', 'chat-1']);
      const direct = rpc.chat.chatRemote.slow.toServer('chat-1')(ms);
      const relayed = rpc.area.areaRemote.relaySlow.toServer('area-1')('chat-1', ms);
      await cluster.waitFor(
        'both slow calls to run on chat-1',
        () => cluster.seen('chat-1', 'slow:start').length === 2,
      );

      const stopped = await cluster.cli('stop', '--deadline', '8000');
      expect(stopped).toEqual({
        code: 0,
        out: 'stopped the cluster (chat-1, chat-2, area-1) and the master\n',
        err: '',
      });
      await expect(direct).resolves.toEqual({ from: 'chat-1', ms });
      await expect(relayed).resolves.toEqual({ from: 'chat-1', ms });
      expect(await cluster.exited).toEqual({ code: 0, signal: null });

      // chat-1 was told to stop while both calls ran, answered them, then stopped its components.
      const chat1 = cluster.seen('chat-1').map((event) => event.name);
      expect(chat1.indexOf('hook:beforeShutdown')).toBeLessThan(chat1.indexOf('slow:end'));
      expect(chat1.lastIndexOf('slow:end')).toBeLessThan(chat1.indexOf('component:stop'));
      await cluster.expectAllGone();
    } finally {
      await cluster.dispose();
    }
  });

  it('is run by the shaddock bin: list, stop <id>, restart <id>, add, kill', async () => {
    const cluster = await TestCluster.start();
    try {
      const list = async () => {
        const result = await cluster.cli('list');
        expect(result, result.err).toMatchObject({ code: 0, err: '' });
        const rows = parseTable(result.out);
        cluster.track(...[...rows.values()].map((row) => row.pid));
        return rows;
      };
      const firstPid = (id: string): number | undefined => cluster.seen(id, 'hook:beforeStartup')[0]?.pid;

      const rows = await list();
      expect([...rows.keys()]).toEqual(['master-1', ...SERVER_IDS]);
      expect(rows.get('master-1')).toEqual({ pid: cluster.masterPid, state: 'running', restarts: 0 });
      for (const id of SERVER_IDS)
        expect(rows.get(id), id).toEqual({ pid: firstPid(id), state: 'running', restarts: 0 });

      expect(await cluster.cli('stop', 'chat-2')).toEqual({ code: 0, out: 'stopped chat-2\n', err: '' });
      await waitGone([firstPid('chat-2') ?? 0]);
      expect(lifecycleOf(cluster.events(), 'chat-2').slice(-2)).toEqual(SHUTDOWN);
      expect((await list()).get('chat-2')).toEqual({ pid: null, state: 'stopped', restarts: 0 });

      expect(await cluster.cli('restart', 'chat-1')).toEqual({ code: 0, out: 'restarted chat-1\n', err: '' });
      await waitGone([firstPid('chat-1') ?? 0]);
      const chat1 = (await list()).get('chat-1');
      expect(chat1).toMatchObject({ state: 'running', restarts: 1 });
      expect(chat1?.pid).not.toBe(firstPid('chat-1'));

      const port = await freePort();
      const added = await cluster.cli(
        'add',
        'id=chat-3',
        'serverType=chat',
        'host=127.0.0.1',
        `port=${port}`,
      );
      expect(added.code, added.err).toBe(0);
      const chat3 = parseTable(added.out).get('chat-3');
      cluster.track(chat3?.pid);
      expect(chat3).toMatchObject({ state: 'running', restarts: 0 });
      expect((await list()).get('chat-3')).toEqual(chat3);
      // The added server serves RPC on the port it was given.
      const chat3Info = { id: 'chat-3', serverType: 'chat', host: '127.0.0.1', port, frontend: false };
      const whoami = cluster.rpc([], [chat3Info]).chat.chatRemote.whoami;
      expect(await whoami.toServer('chat-3')()).toBe('chat-3');

      expect(await cluster.cli('kill')).toEqual({
        code: 0,
        out: 'killed chat-1, area-1, chat-3 and the master\n',
        err: '',
      });
      expect(await cluster.exited).toEqual({ code: 0, signal: null });
      await cluster.expectAllGone();
    } finally {
      await cluster.dispose();
    }
  });
});
