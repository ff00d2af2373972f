// Smoke test of the frontend benchmark kit: each target (Shaddock 1+1, Pinus 1+1, raw ws) runs as
// real processes with the built load generator (bench/dist/frontend) for a few hundred ms per
// scenario, with a handful of clients; every response and push checks out, CPU and RSS are read,
// the report renders, and no process outlives the run. It never asserts a time or a ratio.
import { describe, expect, it } from 'vitest';
import { type RunRecord, runFrontendBenchmark, type ScenarioPlan, type Setup } from './bench.js';
import { checkTargets, frontendReport } from './frontend-report.js';
import { summarize } from './summary.js';
import { alive } from './targets.js';
import { ECHO_BODIES, ECHO_BODY_BYTES, readChatBody, sameBytes } from './wire.js';

const SETUPS: readonly Setup[] = [
  { target: 'shaddock', topology: { connectors: 1, chats: 1 } },
  { target: 'pinus', topology: { connectors: 1, chats: 1 } },
  { target: 'raw', topology: { connectors: 1, chats: 0 } },
];

const KEEP_UP = { maxP99Ms: 5000 };

const PLAN: ScenarioPlan = {
  connectConcurrency: 10,
  conn: { clients: 20, holdMs: 200, sourceAddresses: 2 },
  rr: { levels: [4, 12], rooms: 4, warmupMs: 100, durationMs: 300 },
  bcast: { clients: 10, rate: 50, warmupMs: 100, durationMs: 300, drainMs: 3000, keepUp: KEEP_UP },
  saturation: {
    startRate: 20,
    growth: 2,
    maxRate: 40,
    stepMs: 200,
    drainMs: 2000,
    refine: 0,
    keepUp: KEEP_UP,
  },
};

function checkRun(record: RunRecord): void {
  expect(record.problems).toEqual([]);
  expect(record.leftovers).toEqual([]);
  expect(record.processes.length).toBeGreaterThan(0);
  const conn = record.conn;
  expect(conn?.connected).toBe(20);
  expect(conn?.connectsPerSecond).toBeGreaterThan(0);
  expect(conn?.rssAfterBytes).toBeGreaterThan(0);
  expect(record.rr.map((rr) => rr.clients)).toEqual([4, 12]);
  for (const rr of record.rr) {
    expect(rr.requests).toBeGreaterThan(0);
    expect(rr.requestsPerSecond).toBeGreaterThan(0);
    expect(rr.latency.count).toBe(rr.requests);
    expect(rr.latency.p99Ns).toBeGreaterThanOrEqual(rr.latency.p50Ns);
    expect(rr.cpu.serverMicros).toBeGreaterThanOrEqual(0);
    // every request was read and answered by some server process: system calls were counted
    expect(rr.cpu.serverReads).toBeGreaterThan(0);
    expect(rr.cpu.serverWrites).toBeGreaterThan(0);
    expect(rr.cpu.processes.map((entry) => entry.pid)).toEqual(record.processes.map((entry) => entry.pid));
  }
  const bcast = record.bcast;
  expect(bcast?.delivered).toBeGreaterThan(0);
  expect(bcast?.delivered).toBe(bcast?.expected);
  expect(bcast?.deliveryRatio).toBe(1);
  expect(bcast?.latency.count).toBe(bcast?.delivered);
  expect(record.saturation?.steps.length).toBeGreaterThan(0);
  expect(record.saturation?.problems).toEqual([]);
}

describe('frontend benchmark', () => {
  it('runs Shaddock, Pinus and raw ws with every message checked, then stops every process', async () => {
    const result = await runFrontendBenchmark({ setups: SETUPS, runs: 1, plan: PLAN });
    expect(result.problems).toEqual([]);
    expect(result.runs.map((record) => record.setup).sort()).toEqual(['pinus-1x1', 'raw', 'shaddock-1x1']);
    for (const record of result.runs) checkRun(record);
    // every server process and load generator is gone once the run has returned
    const pids = result.runs.flatMap((record) => record.processes.map((entry) => entry.pid));
    expect(pids.length).toBeGreaterThanOrEqual(7);
    for (const pid of pids) expect(alive(pid)).toBe(false);
    const summary = summarize(SETUPS, result.runs);
    expect(summary.rr).toHaveLength(6);
    expect(summary.comparisons.map((comparison) => comparison.baseline)).toEqual(['pinus-1x1', 'raw']);
    const checks = checkTargets(summary);
    expect(checks.length).toBeGreaterThan(0);
    const markdown = frontendReport(
      {
        node: '',
        v8: '',
        platform: '',
        cpu: '',
        cpuCount: 2,
        memoryGiB: 1,
        exposeGc: false,
        date: '',
        timing: { durationMs: 1, warmupMs: 0, rounds: 1 },
      },
      PLAN,
      result,
      summary,
      checks,
      null,
    );
    expect(markdown).toContain('| 12 | Shaddock 1+1 |');
  }, 180_000);

  it('sends 1024 different 100-byte echo bodies and reads broadcast bodies back', () => {
    expect(new Set(ECHO_BODIES.map((entry) => entry.bytes.toString())).size).toBe(1024);
    for (const entry of ECHO_BODIES) expect(entry.bytes.length).toBe(ECHO_BODY_BYTES);
    const bytes = Buffer.from(JSON.stringify({ run: 3, seq: 7, t: 1, text: 'x' }));
    expect(readChatBody(bytes)).toEqual({ run: 3, seq: 7 });
    expect(readChatBody(Buffer.from('{"seq":'))).toBeUndefined();
    expect(sameBytes(bytes, Buffer.from(bytes))).toBe(true);
    expect(sameBytes(bytes, bytes.subarray(1))).toBe(false);
  });
});
