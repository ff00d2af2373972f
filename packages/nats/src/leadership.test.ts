// Leader election on a JetStream KV lease, against a real NATS (127.0.0.1:4222, or
// SHADDOCK_TEST_NATS_URL), in what the ControlPlane contract suite (run through NatsControlPlane in
// nats-control-plane.test.ts: one leader among many, handover on resignation, takeover after a
// crash) leaves to the lease itself: a stale lease left by a dead process is honoured for a whole
// lease, a NATS restart that loses the bucket, a candidate coming back under the same id.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { jetstream } from '@nats-io/jetstream';
import { type KV, Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { freePort, isListening, natsUnavailable, TEST_NATS_URL } from '@shaddock/test-support';
import type { LeaderCandidate } from 'shaddock';
import { recordingLogger, waitUntil } from 'shaddock/testing';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_LEASE_TIMING, KvLeadership } from './leadership.js';

const NATS_URL = TEST_NATS_URL;
const reachable = (await natsUnavailable('the KvLeadership tests')) === undefined;
const measured: string[] = [];
const log = recordingLogger('info');

const NATS_SERVER = process.env['SHADDOCK_TEST_NATS_SERVER'] ?? '/usr/sbin/nats-server';

/** One candidate with a connection of its own, so that cutting it off cuts off this candidate only. */
interface Candidate {
  readonly id: string;
  readonly connection: NatsConnection;
  readonly leadership: KvLeadership;
  /** Every (leader, self) it was told of. */
  readonly changes: { leader: string | undefined; self: boolean }[];
}

/** Candidates of one election (a bucket of their own); `close()` resigns them and removes the bucket. */
class Election {
  readonly bucket =
    `shaddock_t${Date.now().toString(36)}${Math.floor(Math.random() * 1e9).toString(36)}_leader`;
  readonly candidates: Candidate[] = [];
  readonly #url: string;

  constructor(url = NATS_URL) {
    this.#url = url;
  }

  async join(id: string): Promise<Candidate> {
    const connection = await connect({
      servers: this.#url,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 100,
      pingInterval: 1_000,
    });
    const changes: Candidate['changes'] = [];
    const open = (): Promise<KV> =>
      new Kvm(jetstream(connection)).create(this.bucket, { storage: 'memory', history: 1 });
    const candidate: LeaderCandidate = { id, host: '127.0.0.1', port: 3005 };
    const leadership = await KvLeadership.campaign({
      open,
      key: 'leader',
      candidate,
      onChange: (leader, self) => changes.push({ leader: leader?.id, self }),
      logger: log.logger,
    });
    const joined = { id, connection, leadership, changes };
    this.candidates.push(joined);
    return joined;
  }

  leaders(): string[] {
    return this.candidates.filter((candidate) => candidate.leadership.isLeader()).map(({ id }) => id);
  }

  async close(): Promise<void> {
    for (const candidate of this.candidates) {
      if (!candidate.connection.isClosed()) await candidate.leadership.resign().catch(() => {});
      await candidate.connection.close().catch(() => {});
    }
    const connection = await connect({ servers: this.#url, timeout: 2_000 }).catch(() => undefined);
    if (connection === undefined) return;
    try {
      await (await new Kvm(connection).open(this.bucket)).destroy();
    } catch {
      // never made
    } finally {
      await connection.close();
    }
  }
}

const elections: Election[] = [];
function election(url?: string): Election {
  const made = new Election(url);
  elections.push(made);
  return made;
}

afterEach(async () => {
  await Promise.all(elections.splice(0).map((made) => made.close()));
});

afterAll(() => {
  if (measured.length > 0) console.log(`[leadership.test] measured: ${measured.join('; ')}`);
});

/** Samples `election` every 5 ms until `stop()`, recording whether two candidates ever led at once. */
function watchForTwoLeaders(made: Election): { stop(): string[][] } {
  const overlaps: string[][] = [];
  const timer = setInterval(() => {
    const leaders = made.leaders();
    if (leaders.length > 1) overlaps.push(leaders);
  }, 5);
  return {
    stop() {
      clearInterval(timer);
      return overlaps;
    },
  };
}

describe.skipIf(!reachable)('KvLeadership', () => {
  it('a new candidate takes over a lease left by a process that died', async () => {
    const made = election();
    const dead = await made.join('master-1');
    await dead.connection.close();
    const startedAt = performance.now();
    const next = await made.join('master-2');
    // the old lease is still there, and looks alive until it has not moved for a whole lease
    expect(next.leadership.isLeader()).toBe(false);
    expect(next.leadership.leader()?.id).toBe('master-1');
    await waitUntil(() => next.leadership.isLeader(), 5_000, 'the new candidate leads');
    const tookMs = performance.now() - startedAt;
    expect(tookMs).toBeGreaterThanOrEqual(DEFAULT_LEASE_TIMING.leaseMs - 50);
    expect(tookMs).toBeLessThanOrEqual(DEFAULT_LEASE_TIMING.leaseMs + 1_000);
  });

  it.skipIf(!existsSync(NATS_SERVER))(
    'elects one leader again after its NATS server restarted (the memory bucket lost), never two at once',
    async () => {
      const nats = await ownNatsServer();
      const made = election(nats.url);
      const first = await made.join('master-1');
      await made.join('master-2');
      expect(made.leaders()).toEqual(['master-1']);
      const overlaps = watchForTwoLeaders(made);
      await nats.stop();
      // cut off: the leader stops calling itself leader once it cannot renew
      await waitUntil(() => made.leaders().length === 0, 3_000, 'nobody leads while NATS is down');
      expect(first.leadership.isLeader()).toBe(false);
      const restartedAt = performance.now();
      await nats.start();
      await waitUntil(() => made.leaders().length === 1, 10_000, 'one leader again');
      measured.push(`a leader again ${Math.round(performance.now() - restartedAt)} ms after NATS came back`);
      // and it stays one, both agreeing on it
      await new Promise((resolve) => setTimeout(resolve, DEFAULT_LEASE_TIMING.leaseMs));
      expect(made.leaders()).toHaveLength(1);
      const [leader] = made.leaders();
      for (const candidate of made.candidates) expect(candidate.leadership.leader()?.id).toBe(leader);
      expect(overlaps.stop()).toEqual([]);
    },
    30_000,
  );

  it('a leader that resigned leads no more, and a candidate that comes back later is a standby', async () => {
    const made = election();
    const first = await made.join('master-1');
    const second = await made.join('master-2');
    await first.leadership.resign();
    expect(first.leadership.isLeader()).toBe(false);
    expect(first.leadership.leader()).toBeUndefined();
    await waitUntil(() => second.leadership.isLeader(), 3_000, 'the standby leads');
    const again = await made.join('master-1');
    expect(again.leadership.isLeader()).toBe(false);
    expect(again.leadership.leader()?.id).toBe('master-2');
  });
});

/** A nats-server of the test's own (JetStream, memory only), which it can kill and start again on the same port. */
async function ownNatsServer(): Promise<{ url: string; start(): Promise<void>; stop(): Promise<void> }> {
  const port = await freePort();
  const url = `nats://127.0.0.1:${port}`;
  let running: ChildProcess | undefined;
  const stop = async (): Promise<void> => {
    const process = running;
    running = undefined;
    if (process === undefined || process.exitCode !== null || process.signalCode !== null) return;
    const exited = once(process, 'exit');
    process.kill('SIGKILL');
    await exited;
  };
  const start = async (): Promise<void> => {
    running = spawn(NATS_SERVER, ['-a', '127.0.0.1', '-p', String(port), '-js'], { stdio: 'ignore' });
    const deadline = Date.now() + 10_000;
    while (!(await isListening(url))) {
      if (Date.now() > deadline || running.exitCode !== null)
        throw new Error(`nats-server on ${port} did not start`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  await start();
  ownServers.push(stop);
  return { url, start, stop };
}

const ownServers: (() => Promise<void>)[] = [];
afterAll(async () => {
  await Promise.all(ownServers.map((stop) => stop()));
});
