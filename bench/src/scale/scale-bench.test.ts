// Smoke test of the scale-out benchmarks: each runs tiny, for real (the built children and app, the
// machine's nats-server and redis-server), every fault is noticed and every push checks out, and
// nothing it started outlives it. It never asserts a time or a ratio. Without NATS or Redis it is
// skipped (failed under CI).
import { describe, expect, it } from 'vitest';
import { alive } from '../frontend/target-processes.js';
import { runEvictionBenchmark } from './eviction.js';
import { readMembershipNews } from './membership-messages.js';
import { PUSH_MODES, runPushBenchmark } from './push.js';
import { serviceUnavailable } from './services.js';

const nats = await serviceUnavailable('nats-server', '127.0.0.1', 4222);
const redis = await serviceUnavailable('redis-server', '127.0.0.1', 6379);

describe('scale benchmarks', () => {
  it.skipIf(nats !== undefined)(
    'evicts a frozen and a killed member, sees both come back, and stops every process',
    async () => {
      const result = await runEvictionBenchmark({ repetitions: 1, settleMs: 100 });
      expect(result.problems).toEqual([]);
      expect(result.samples.map((sample) => sample.fault)).toEqual(['freeze', 'kill']);
      for (const sample of result.samples) {
        expect(sample.evictedMs).toBeGreaterThan(0);
        expect(sample.rejoinedMs).toBeGreaterThan(0);
      }
      expect(result.rows.map((row) => row.samples)).toEqual([1, 1]);
      // observer, first member, the member started after the kill
      expect(result.pids).toHaveLength(3);
      for (const pid of result.pids) expect(alive(pid)).toBe(false);
    },
    60_000,
  );

  it.skipIf(nats !== undefined || redis !== undefined)(
    'pushes to a room over two connectors through the local and the global channel, every push checked',
    async () => {
      const lines: string[] = [];
      const result = await runPushBenchmark({
        clients: 20,
        connectors: 2,
        rate: 20,
        warmupMs: 200,
        durationMs: 300,
        drainMs: 5_000,
        rounds: 1,
        log: (line) => lines.push(line),
      });
      expect(result.problems).toEqual([]);
      expect(result.measurements.map((m) => m.mode).sort()).toEqual([...PUSH_MODES].sort());
      for (const m of [...result.warmups, ...result.measurements]) {
        expect(m.clients).toBe(20);
        expect(m.expected).toBeGreaterThan(0);
        expect(m.delivered).toBe(m.expected);
        expect(m.serverMicros).toBeGreaterThanOrEqual(0);
        expect(Object.keys(m.percent)).toEqual(
          expect.arrayContaining(['connector-1', 'connector-2', 'chat-1']),
        );
      }
      expect(result.rows.map((row) => row.mode)).toEqual([...PUSH_MODES]);
      // master, 2 connectors, chat, load generator: all gone once the run has returned
      expect(result.pids).toHaveLength(5);
      for (const pid of result.pids) expect(alive(pid)).toBe(false);
    },
    90_000,
  );

  it('reads only well-formed membership news', () => {
    const news = { kind: 'scale-membership', event: 'remove', id: 'member-1', at: '123456789' };
    expect(readMembershipNews(news)).toEqual(news);
    expect(readMembershipNews({ ...news, at: 12 })).toBeUndefined();
    expect(readMembershipNews({ ...news, event: 'gone' })).toBeUndefined();
    expect(readMembershipNews({ kind: 'ready', pid: 1 })).toBeUndefined();
  });
});
