// Multi-host tests: a Shaddock cluster spread over three hosts, each a Linux network namespace with
// its own address on one bridge, NATS and Redis on a fourth, players on a fifth (the test process
// stays in the root namespace and reaches the hosts only through the processes it starts there).
//
//   h1 10.77.0.1   gate-1, connector-1
//   h2 10.77.0.2   gate-2, connector-2, chat-2
//   h3 10.77.0.3   chat-3 (hosts room chat-3, whose ticker pushes sequence-numbered messages)
//   svc 10.77.0.10 nats-server (JetStream), redis-server
//   cl 10.77.0.20  the players
//
// Three parts: the test bed itself; the cluster with a fixed membership (no NATS: each server
// trusts servers.json), which proves the fixture, the players and TCP RPC across hosts without any
// driver; and the scale-out cluster (NATS membership, rooms as Redis global channels, no master):
// kill -9, SIGSTOP and a cut link, eviction (target 1 s) asserted against 3 s and printed. The
// scale-out part is skipped, with the reason printed, while @shaddock/nats or @shaddock/redis
// exports no `createDrivers` (built: `npm run build`). Needs root (CI runs as root): without
// CAP_NET_ADMIN the whole file is skipped, with the reason printed. The two-master part is a todo.
import { networkInterfaces } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/processes.js';
import { ip, netnsUnavailable, removeStaleNamespaces, TestNetwork } from './netns.js';
import { type PlayerSpec, Players, type Segment, tickProblems } from './players.js';
import { ScaleCluster, type ScaleServerSpec, serverLauncher } from './scale-cluster.js';
import { GREETINGS, NatsService, RedisService, reachable, servicesUnavailable } from './services.js';

const HOSTS = {
  h1: '10.77.0.1',
  h2: '10.77.0.2',
  h3: '10.77.0.3',
  svc: '10.77.0.10',
  cl: '10.77.0.20',
} as const;

/** Every namespace is a host of its own: the same ports on every host. */
const SERVERS: readonly ScaleServerSpec[] = [
  { id: 'gate-1', serverType: 'gate', host: 'h1', port: 4010, clientPort: 3010 },
  { id: 'connector-1', serverType: 'connector', host: 'h1', port: 4020, clientPort: 3020 },
  { id: 'gate-2', serverType: 'gate', host: 'h2', port: 4010, clientPort: 3010 },
  { id: 'connector-2', serverType: 'connector', host: 'h2', port: 4020, clientPort: 3020 },
  { id: 'chat-2', serverType: 'chat', host: 'h2', port: 4030 },
  { id: 'chat-3', serverType: 'chat', host: 'h3', port: 4030 },
];
const ALL_IDS = SERVERS.map((server) => server.id);
const GATE_1 = { host: HOSTS.h1, port: 3010 };
const GATE_2 = { host: HOSTS.h2, port: 3010 };
/** The room whose ticker the push checks follow; it lives on chat-3 (h3). */
const ROOM = 'chat-3';
const TICK_MS = 50;

/** The bound asserted on eviction (the target is 1 s: the exact figure goes to the benchmark). */
const EVICTION_BOUND_MS = 3_000;
/** A call to a lost server must fail this much faster than the RPC deadline (10 s): not by timeout. */
const FAIL_FAST_MS = 1_000;

const CI = process.env['CI'] === 'true';
/** Without namespaces nothing here can run; missing services fail under CI (DESIGN.md §7) and skip elsewhere. */
const bedMissing = netnsUnavailable() ?? (CI ? undefined : servicesUnavailable());
if (bedMissing !== undefined) console.warn(`[multi-host] skipped: ${bedMissing}`);

/** Why the scale-out drivers cannot run yet (the packages export no `createDrivers`), or `undefined`. */
async function driversMissing(): Promise<string | undefined> {
  const missing: string[] = [];
  const check = async (name: string, load: () => Promise<unknown>): Promise<void> => {
    try {
      const module = (await load()) as Record<string, unknown>;
      if (typeof module['createDrivers'] !== 'function') missing.push(`${name} exports no createDrivers yet`);
    } catch (error) {
      missing.push(`${name} cannot be loaded (${String(error)})`);
    }
  };
  await check('@shaddock/nats', () => import('@shaddock/nats'));
  await check('@shaddock/redis', () => import('@shaddock/redis'));
  return missing.length === 0 ? undefined : missing.join('; ');
}
const scaleOutMissing = bedMissing ?? (await driversMissing());
if (bedMissing === undefined && scaleOutMissing !== undefined)
  console.warn(`[multi-host] scale-out tests skipped: ${scaleOutMissing}`);

/** Prints a measured figure (the benchmark records the exact ones; the tests only bound them). */
function figure(text: string): void {
  console.info(`[multi-host] ${text}`);
}

/** The largest of the measured times, and each, for printing. */
function summary(times: Map<string, number>): { max: number; text: string } {
  const max = Math.max(...times.values());
  return { max, text: `max ${max} ms (${[...times].map(([pair, ms]) => `${pair} ${ms}`).join(', ')})` };
}

/** A player in room `room` that asks for `prefer`, trying the gate on its own host first. */
function player(uid: string, prefer: 'connector-1' | 'connector-2', room = ROOM): PlayerSpec {
  return { uid, room, prefer, gates: prefer === 'connector-1' ? [GATE_1, GATE_2] : [GATE_2, GATE_1] };
}

/** Waits until every one of `uids` has received `seq` (or a later tick) on its current connection. */
async function waitForTick(
  players: Players,
  uids: readonly string[],
  seq: number,
  timeoutMs = 15_000,
): Promise<void> {
  await waitFor(
    `players ${uids.join(', ')} to receive tick ${seq}`,
    async () => {
      const report = await players.report();
      return uids.every((uid) => {
        const last = report[uid]?.segments.at(-1);
        return last !== undefined && (last.seqs.at(-1) ?? last.joinSeq) >= seq;
      });
    },
    timeoutMs,
    () => players.output(),
  );
}

/** The last tick chat-3 pushed so far, as the players see it (the highest seq any received). */
async function lastTickSeen(players: Players): Promise<number> {
  const report = await players.report();
  return Math.max(
    0,
    ...Object.values(report).flatMap(({ segments }) => segments.flatMap((segment) => segment.seqs)),
  );
}

describe.skipIf(bedMissing !== undefined)('multi-host: three hosts on a bridge, services, players', () => {
  let network: TestNetwork;
  let nats: NatsService;
  let redis: RedisService;

  beforeAll(async () => {
    const stale = removeStaleNamespaces();
    if (stale.length > 0) figure(`removed the namespaces of dead runs: ${stale.join(', ')}`);
    network = TestNetwork.create(HOSTS);
    nats = new NatsService(network, 'svc');
    redis = new RedisService(network, 'svc');
    await Promise.all([nats.start(), redis.start()]);
  }, 30_000);

  afterAll(async () => {
    await nats?.dispose();
    await redis?.dispose();
    await network?.dispose();
  }, 30_000);

  describe('the test bed', () => {
    it('gives each host its own address, off the root namespace, reaches the services from every host, and cuts and restores a link', async () => {
      for (const [host, address] of Object.entries(HOSTS)) {
        expect(ip('-n', network.namespace(host), '-o', '-4', 'addr', 'show', 'dev', 'eth0'), host).toContain(
          `inet ${address}/24`,
        );
      }
      const rootAddresses = Object.values(networkInterfaces())
        .flat()
        .map((entry) => entry?.address);
      for (const address of Object.values(HOSTS)) expect(rootAddresses).not.toContain(address);

      for (const host of ['h1', 'h2', 'h3', 'cl']) {
        expect(
          await reachable(network, host, nats.address, nats.port, GREETINGS.nats),
          `${host} → nats`,
        ).toBe(true);
        expect(
          await reachable(network, host, redis.address, redis.port, GREETINGS.redis),
          `${host} → redis`,
        ).toBe(true);
      }

      network.cut('h2');
      expect(network.isCut('h2')).toBe(true);
      expect(await reachable(network, 'h2', nats.address, nats.port, GREETINGS.nats, 500)).toBe(false);
      expect(await reachable(network, 'h1', nats.address, nats.port, GREETINGS.nats)).toBe(true);
      network.restore('h2');
      expect(network.isCut('h2')).toBe(false);
      expect(await reachable(network, 'h2', nats.address, nats.port, GREETINGS.nats)).toBe(true);

      // A service stops and starts again on its address and port.
      await redis.stop();
      expect(await reachable(network, 'h1', redis.address, redis.port, GREETINGS.redis, 500)).toBe(false);
      await redis.start();
      expect(await reachable(network, 'h1', redis.address, redis.port, GREETINGS.redis)).toBe(true);
    }, 60_000);
  });

  describe('a cluster over the hosts with a fixed membership (servers.json, no NATS)', () => {
    let cluster: ScaleCluster;
    let players: Players;

    beforeAll(async () => {
      figure(`servers start with \`${serverLauncher()}\``);
      cluster = ScaleCluster.create({ network, servers: SERVERS });
      await cluster.startAll();
      players = new Players(network, 'cl');
    }, 60_000);

    afterAll(async () => {
      await players?.close();
      await cluster?.dispose();
    }, 30_000);

    it('routes players through the gates, calls and pushes across hosts, and takes a cut host back when its link returns', async () => {
      expect((await players.join(player('p1', 'connector-1'))).connector).toBe('connector-1');
      expect((await players.join(player('p2', 'connector-2'))).connector).toBe('connector-2');
      expect((await players.join(player('p3', 'connector-1', 'chat-2'))).connector).toBe('connector-1');

      // RPC between hosts: connector-1 (h1) calls chat-2 (h2); a request of p3 is forwarded there.
      const chat2 = cluster.process('chat-2').pid;
      expect(await players.call('p1', 'chat-2', 'whoami')).toMatchObject({
        ok: true,
        value: { serverId: 'chat-2', pid: chat2 },
      });
      expect((await players.request('p3', 'chat.chatHandler.whoami', {})).body).toEqual({
        serverId: 'chat-2',
        pid: chat2,
      });

      // Pushes from h3 to players on h1's and h2's connectors.
      expect(await players.call('p1', 'chat-3', 'startTicks', [ROOM, TICK_MS])).toMatchObject({
        ok: true,
        value: { channel: 'local' },
      });
      await waitForTick(players, ['p1', 'p2'], 10);

      // h2's cable out: p2's connection goes silent and it drops it; its retries find connector-2
      // (the fixed membership still lists it) unreachable until the cable is back.
      const cutAt = Date.now();
      network.cut('h2');
      await players.waitForEvent(
        'p2 to lose connector-2',
        (event) => event.ev === 'lost' && event.uid === 'p2',
      );
      const lostAfter =
        (players.events().find((event) => event.ev === 'lost' && event.uid === 'p2')?.at ?? 0) - cutAt;
      figure(`fixed membership: p2 noticed the cut after ${lostAfter} ms (2 heartbeats of 1 s)`);
      const seenBeforeRestore = await lastTickSeen(players);
      network.restore('h2');
      const restoredAt = Date.now();
      const back = await players.waitForEvent(
        'p2 to enter again on connector-2',
        (event) => event.ev === 'entered' && event.uid === 'p2' && (event.at ?? 0) > restoredAt,
        30_000,
      );
      expect(back.connector).toBe('connector-2');
      figure(
        `fixed membership: p2 back on connector-2 ${(back.at ?? 0) - restoredAt} ms after the link returned`,
      );

      await waitForTick(players, ['p1', 'p2'], Math.max(seenBeforeRestore, back.joinSeq ?? 0) + 10, 20_000);
      const stopped = await players.call('p1', 'chat-3', 'stopTicks', [ROOM]);
      const lastSeq = (stopped.value as { seq: number }).seq;
      await waitForTick(players, ['p1', 'p2'], lastSeq, 20_000);
      const report = await players.report();
      const p1 = report['p1']?.segments ?? [];
      const p2 = report['p2']?.segments ?? [];
      // p1's path (h3 → h1) never broke: every tick once, in order.
      expect(p1).toHaveLength(1);
      expect(tickProblems(p1, { lastSeq })).toEqual([]);
      // p2: nothing came twice, nothing was lost after its return. What chat-3 pushed to
      // connector-2 during the cut waited in the TCP connection (a fixed membership never drops
      // it) and reached p2's new session on connector-2 late: allowed here, never twice.
      expect(p2.map((segment: Segment) => segment.connector)).toEqual(['connector-2', 'connector-2']);
      expect(tickProblems(p2, { lastSeq, lossyTails: [0], lateInto: [1] })).toEqual([]);
      const late = p2[1]?.seqs.filter((seq) => seq <= (p2[1]?.joinSeq ?? 0)).length ?? 0;
      figure(`fixed membership: ${late} ticks pushed during the cut reached p2 late, after its return`);

      // The same processes throughout: nothing restarted.
      for (const id of ALL_IDS) expect(cluster.seen(id, 'boot'), id).toHaveLength(1);
    }, 90_000);
  });

  describe.skipIf(scaleOutMissing !== undefined)(
    'scale-out: NATS membership, Redis stores, no master',
    () => {
      let cluster: ScaleCluster;
      let players: Players;
      const observersOf = (lost: readonly string[]): string[] => ALL_IDS.filter((id) => !lost.includes(id));

      beforeAll(async () => {
        figure(`servers start with \`${serverLauncher()}\``);
        cluster = ScaleCluster.create({
          network,
          servers: SERVERS,
          cluster: {
            name: `multihost${process.pid}`,
            nats: nats.url,
            redis: redis.url,
            rpc: { transport: 'tcp' },
          },
        });
        await cluster.startAll();
        // Every server sees every server, on every host.
        await cluster.waitForChanges('add', ALL_IDS, ALL_IDS, 0, 30_000);
        players = new Players(network, 'cl');
        for (const uid of ['p1', 'p2'])
          expect((await players.join(player(uid, 'connector-1'))).connector).toBe('connector-1');
        for (const uid of ['p3', 'p4'])
          expect((await players.join(player(uid, 'connector-2'))).connector).toBe('connector-2');
        expect((await players.join(player('p5', 'connector-1', 'chat-2'))).connector).toBe('connector-1');
        // The room is a global channel in Redis: pushed to through every connector in membership.
        expect(await players.call('p1', 'chat-3', 'startTicks', [ROOM, TICK_MS])).toMatchObject({
          ok: true,
          value: { channel: 'global' },
        });
        await waitForTick(players, ['p1', 'p2', 'p3', 'p4'], 5);
      }, 90_000);

      afterAll(async () => {
        await players?.close();
        await cluster?.dispose();
      }, 30_000);

      it('(1) kill -9 a backend: evicted everywhere within the bound, calls fail fast, and it rejoins when restarted', async () => {
        expect(await players.call('p1', 'chat-2', 'whoami')).toMatchObject({ ok: true });
        const killedAt = Date.now();
        cluster.process('chat-2').signal('SIGKILL');
        const evicted = summary(
          await cluster.waitForChanges('remove', ['chat-2'], observersOf(['chat-2']), killedAt),
        );
        figure(`kill -9 chat-2: evicted in ${evicted.text}`);
        expect(evicted.max).toBeLessThan(EVICTION_BOUND_MS);

        // Callers learn at once, from membership, not from a deadline.
        const call = await players.call('p1', 'chat-2', 'whoami');
        expect(call).toMatchObject({ ok: false, error: { code: 'SHADDOCK_ERR_RPC_SERVER_UNAVAILABLE' } });
        expect(call.elapsedMs).toBeLessThan(FAIL_FAST_MS);
        const forwarded = await players.request('p5', 'chat.chatHandler.whoami', {});
        expect(forwarded.body).toMatchObject({ code: 502 });
        expect(forwarded.elapsedMs).toBeLessThan(FAIL_FAST_MS);

        // Started again (same id, a new process): back in every membership, serving.
        const restartedAt = Date.now();
        cluster.start('chat-2');
        await cluster.waitReady('chat-2');
        const joined = summary(
          await cluster.waitForChanges('add', ['chat-2'], observersOf(['chat-2']), restartedAt),
        );
        figure(`chat-2 restarted: seen again in ${joined.text} after its start`);
        expect(await players.call('p1', 'chat-2', 'whoami')).toMatchObject({
          ok: true,
          value: { serverId: 'chat-2', pid: cluster.process('chat-2').pid },
        });
      }, 60_000);

      it('(2) SIGSTOP a backend: evicted within the bound, a call in flight fails at eviction, and SIGCONT brings it back', async () => {
        const chat2 = cluster.process('chat-2');
        const stoppedAt = Date.now();
        chat2.signal('SIGSTOP');
        try {
          // A call in flight to the frozen server: membership ends it, long before the 10 s deadline.
          const inFlight = players.call('p1', 'chat-2', 'whoami');
          const evicted = summary(
            await cluster.waitForChanges('remove', ['chat-2'], observersOf(['chat-2']), stoppedAt),
          );
          figure(`SIGSTOP chat-2: evicted in ${evicted.text}`);
          expect(evicted.max).toBeLessThan(EVICTION_BOUND_MS);
          const call = await inFlight;
          figure(`SIGSTOP chat-2: the call in flight failed after ${call.elapsedMs} ms`);
          expect(call).toMatchObject({ ok: false, error: { code: 'SHADDOCK_ERR_RPC_SERVER_UNAVAILABLE' } });
          expect(call.elapsedMs).toBeLessThan(EVICTION_BOUND_MS + FAIL_FAST_MS);
        } finally {
          chat2.signal('SIGCONT');
        }
        const continuedAt = Date.now();
        const back = summary(
          await cluster.waitForChanges('add', ['chat-2'], observersOf(['chat-2']), continuedAt),
        );
        figure(`SIGCONT chat-2: seen again in ${back.text}`);
        expect(await players.call('p1', 'chat-2', 'whoami')).toMatchObject({
          ok: true,
          value: { serverId: 'chat-2', pid: chat2.pid },
        });
      }, 60_000);

      it("(3) cut h2's link: its servers are evicted, its players reconnect through gate-1, and it rejoins without restarts when the link returns", async () => {
        const onH2 = cluster.idsOn('h2');
        const pids = new Map(ALL_IDS.map((id) => [id, cluster.process(id).pid]));
        const cutAt = Date.now();
        network.cut('h2');
        try {
          const evicted = summary(await cluster.waitForChanges('remove', onH2, observersOf(onH2), cutAt));
          figure(`cut h2: ${onH2.join(', ')} evicted in ${evicted.text}`);
          expect(evicted.max).toBeLessThan(EVICTION_BOUND_MS);

          const call = await players.call('p1', 'chat-2', 'whoami');
          expect(call).toMatchObject({ ok: false, error: { code: 'SHADDOCK_ERR_RPC_SERVER_UNAVAILABLE' } });
          expect(call.elapsedMs).toBeLessThan(FAIL_FAST_MS);

          // h2's players find their connection silent and come back through gate-1 to connector-1.
          for (const uid of ['p3', 'p4']) {
            const moved = await players.waitForEvent(
              `${uid} to enter again on connector-1`,
              (event) => event.ev === 'entered' && event.uid === uid && (event.at ?? 0) > cutAt,
              20_000,
            );
            expect(moved.connector).toBe('connector-1');
            figure(`cut h2: ${uid} back on connector-1 ${(moved.at ?? 0) - cutAt} ms after the cut`);
          }
        } finally {
          network.restore('h2');
        }
        const restoredAt = Date.now();
        const rejoined = summary(
          await cluster.waitForChanges('add', onH2, observersOf(onH2), restoredAt, 30_000),
        );
        figure(`h2's link back: ${onH2.join(', ')} seen again in ${rejoined.text}`);
        // The same processes: they rejoined by themselves.
        for (const [id, pid] of pids) {
          expect(cluster.process(id).pid, id).toBe(pid);
          expect(cluster.process(id).exit, id).toBeUndefined();
        }
        expect(await players.call('p1', 'chat-2', 'whoami')).toMatchObject({
          ok: true,
          value: { pid: pids.get('chat-2') },
        });
        // connector-2 serves again: a new player asking for it gets it and hears the ticks.
        expect((await players.join(player('p6', 'connector-2'))).connector).toBe('connector-2');
        await waitForTick(players, ['p6'], (await lastTickSeen(players)) + 5);
      }, 90_000);

      it('pushes on the surviving paths were neither lost nor duplicated (sequence numbers)', async () => {
        const stopped = await players.call('p1', 'chat-3', 'stopTicks', [ROOM]);
        expect(stopped).toMatchObject({ ok: true });
        const lastSeq = (stopped.value as { seq: number }).seq;
        const uids = ['p1', 'p2', 'p3', 'p4', 'p6'];
        await waitForTick(players, uids, lastSeq, 20_000);
        const report = await players.report();
        const segmentsOf = (uid: string): Segment[] => report[uid]?.segments ?? [];
        figure(`pushes: ${lastSeq} ticks of ${TICK_MS} ms from chat-3`);
        // h1's players: one connection from start to end, every tick once, in order.
        for (const uid of ['p1', 'p2']) {
          expect(
            segmentsOf(uid).map((segment) => segment.connector),
            uid,
          ).toEqual(['connector-1']);
          expect(tickProblems(segmentsOf(uid), { lastSeq }), uid).toEqual([]);
        }
        // h2's players: every tick until the cut, none while cut off, every one after entering
        // connector-1, none twice.
        for (const uid of ['p3', 'p4']) {
          expect(
            segmentsOf(uid).map((segment) => segment.connector),
            uid,
          ).toEqual(['connector-2', 'connector-1']);
          expect(tickProblems(segmentsOf(uid), { lastSeq, lossyTails: [0] }), uid).toEqual([]);
        }
        expect(tickProblems(segmentsOf('p6'), { lastSeq }), 'p6').toEqual([]);
      }, 60_000);
    },
  );

  describe('scale-out with two masters (leader election over NATS)', () => {
    // Waits on the masters' NATS mode with leader election. The intended steps, on the cluster above:
    // start master-a on h1 and master-b on h3 (`shaddock start` with config/cluster.json naming
    // NATS); `shaddock list` through either shows one leader and every server; SIGKILL the leader;
    // within 3 s (measured, printed) the standby leads (`shaddock list` says so) while the players'
    // ticks and calls go on without a gap (the same sequence-number checks); the old leader,
    // started again, comes back as the standby.
    it.todo('with two masters, every server is listed once and one master leads');
    it.todo('kill -9 the leading master: the standby leads within 3 s and every server keeps serving');
  });
});
