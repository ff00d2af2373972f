// Smoke test of the frontend benchmark kit: each target (Shaddock 1+1, Pinus 1+1, raw ws) runs as
// real processes with the built load generator (bench/dist/frontend) for a few hundred ms per
// scenario, with a handful of clients; every response and push checks out, CPU and RSS are read,
// the report renders, and no process outlives the run. It never asserts a time or a ratio.
// Then the buffered-push setup's selection and its rows in the report, from made-up runs.
import { describe, expect, it } from 'vitest';
import type { BenchSetup } from '../measure.js';
import type { LatencySummary } from '../rpc/latency-histogram.js';
import {
  planFor,
  type RunRecord,
  runFrontendBenchmark,
  type ScenarioPlan,
  type Setup,
  setupKey,
  setupName,
} from './bench.js';
import { checkTargets, frontendReport } from './frontend-report.js';
import type { BroadcastMeasurement, CpuWindow, RequestResponseMeasurement } from './scenarios.js';
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

const MACHINE: BenchSetup = {
  node: '',
  v8: '',
  platform: '',
  cpu: '',
  cpuCount: 2,
  memoryGiB: 1,
  exposeGc: false,
  date: '',
  timing: { durationMs: 1, warmupMs: 0, rounds: 1 },
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
    const checks = checkTargets(summary, SETUPS);
    expect(checks.length).toBeGreaterThan(0);
    const markdown = frontendReport(MACHINE, PLAN, result, summary, checks, null);
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

const BUFFERED: Setup = {
  target: 'shaddock',
  topology: { connectors: 1, chats: 1 },
  pushFlushMs: 20,
  scenarios: ['bcast', 'saturation'],
};

function latency(p99Ms: number): LatencySummary {
  const ns = p99Ms * 1e6;
  return {
    count: 1000,
    meanNs: ns / 2,
    minNs: 1,
    p50Ns: ns / 2,
    p90Ns: ns,
    p99Ns: ns,
    p999Ns: ns,
    maxNs: ns,
  };
}

function cpu(): CpuWindow {
  const entry = { id: 'connector-1', pid: 1, cpuMicros: 1, percent: 50, reads: 1, writes: 1 };
  return {
    wallMicros: 1e6,
    serverMicros: 1,
    serverReads: 1,
    serverWrites: 1,
    processes: [entry],
    loader: { ...entry, id: 'loader' },
  };
}

/** One made-up run: CPU µs per push and bcast p99, rr C=1000's CPU µs per request (none: no rr). */
function madeUpRun(setup: Setup, pushMicros: number, p99Ms: number, requestMicros?: number): RunRecord {
  const bcast: BroadcastMeasurement = {
    scenario: 'bcast',
    clients: 1000,
    rate: 100,
    offeredPushesPerSecond: 100_000,
    deliveredPushesPerSecond: 100_000,
    deliveryRatio: 1,
    delivered: 1000,
    expected: 1000,
    latency: latency(p99Ms),
    cpu: cpu(),
    serverMicrosPerOp: pushMicros,
    senderLagMs: 0,
    lost: 0,
    closes: [],
    problems: [],
    behind: [],
  };
  const rr: RequestResponseMeasurement[] =
    requestMicros === undefined
      ? []
      : [
          {
            scenario: 'rr',
            clients: 1000,
            requestsPerSecond: 10_000,
            requests: 1000,
            latency: latency(10),
            cpu: cpu(),
            serverMicrosPerOp: requestMicros,
            problems: [],
          },
        ];
  return {
    setup: setupKey(setup),
    run: 1,
    processes: [],
    conn: null,
    rr,
    bcast,
    saturation: {
      scenario: 'saturation',
      clients: 1000,
      steps: [],
      sustainedRate: 400,
      sustainedPushesPerSecond: 400_000,
      failedRate: 600,
      loaderBound: false,
      problems: [],
    },
    problems: [],
    leftovers: [],
  };
}

describe('Shaddock 1+1 with the buffered push scheduler', () => {
  const plain: Setup = { target: 'shaddock', topology: { connectors: 1, chats: 1 } };
  const pinus: Setup = { target: 'pinus', topology: { connectors: 1, chats: 1 } };
  const raw: Setup = { target: 'raw', topology: { connectors: 1, chats: 0 } };

  it('is named apart from Shaddock 1+1 and runs bcast and the saturation search only', () => {
    expect(setupKey(BUFFERED)).toBe('shaddock-1x1-buffer20');
    expect(setupName(BUFFERED)).toBe('Shaddock 1+1 · buffer 20 ms');
    expect(setupKey(plain)).toBe('shaddock-1x1');
    expect(setupName(plain)).toBe('Shaddock 1+1');
    const plan = planFor(BUFFERED, PLAN);
    expect(plan.conn).toBeNull();
    expect(plan.rr).toBeNull();
    expect(plan.bcast).toEqual(PLAN.bcast);
    expect(plan.saturation).toEqual(PLAN.saturation);
    expect(planFor(plain, PLAN)).toBe(PLAN);
    // saturation alone still connects the broadcast's clients
    expect(planFor({ ...BUFFERED, scenarios: ['saturation'] }, PLAN).bcast).toEqual(PLAN.bcast);
  });

  it('has its bcast and saturation rows, ratios and targets in the report', () => {
    const setups = [plain, pinus, raw, BUFFERED];
    const runs = [
      madeUpRun(plain, 3, 2, 12),
      madeUpRun(pinus, 10, 60, 40),
      madeUpRun(raw, 4, 1, 5),
      madeUpRun(BUFFERED, 2, 22),
    ];
    const summary = summarize(setups, runs);
    expect(summary.comparisons.map((entry) => entry.label)).toEqual([
      'Shaddock 1+1 ÷ Pinus 1+1',
      'Shaddock 1+1 ÷ raw ws',
      'Shaddock 1+1 · buffer 20 ms ÷ Pinus 1+1',
      'Shaddock 1+1 · buffer 20 ms ÷ raw ws',
    ]);
    const checks = checkTargets(summary, setups);
    const buffered = checks.filter((entry) => entry.comparison.startsWith('Shaddock 1+1 · buffer 20 ms'));
    expect(buffered.map((entry) => `${entry.comparison} | ${entry.name}`)).toEqual([
      'Shaddock 1+1 · buffer 20 ms ÷ Pinus 1+1 | bcast: server CPU per delivered push',
      'Shaddock 1+1 · buffer 20 ms ÷ Pinus 1+1 | bcast: p99 delivery latency',
      'Shaddock 1+1 · buffer 20 ms ÷ raw ws | bcast: server CPU per delivered push',
      'Shaddock 1+1 · buffer 20 ms (absolute) | bcast: server CPU per delivered push',
    ]);
    const absolute = checks.filter((entry) => entry.comparison.endsWith('(absolute)'));
    expect(absolute).toEqual([
      {
        comparison: 'Shaddock 1+1 (absolute)',
        name: 'bcast: server CPU per delivered push',
        measured: 3,
        unit: 'µs',
        goal: '≤ 4 µs',
        met: true,
        missedBy: null,
      },
      {
        comparison: 'Shaddock 1+1 · buffer 20 ms (absolute)',
        name: 'bcast: server CPU per delivered push',
        measured: 2,
        unit: 'µs',
        goal: '≤ 4 µs',
        met: true,
        missedBy: null,
      },
      {
        comparison: 'Shaddock 1+1 (absolute)',
        name: 'rr C=1000: server CPU per forwarded request',
        measured: 12,
        unit: 'µs',
        goal: '≤ 15 µs',
        met: true,
        missedBy: null,
      },
    ]);
    const markdown = frontendReport(MACHINE, PLAN, { setups, runs, problems: [] }, summary, checks, null);
    expect(markdown).toContain('- **Shaddock 1+1 · buffer 20 ms**: ');
    expect(markdown).toContain('written every 20 ms,\n  adding up to 20 ms of latency');
    expect(markdown).toContain(
      '| Shaddock 1+1 · buffer 20 ms (absolute) | bcast: server CPU per delivered push | 2.00 µs | ≤ 4 µs | **met** |',
    );
    expect(markdown).toContain(
      '| Shaddock 1+1 · buffer 20 ms ÷ Pinus 1+1 | bcast: p99 delivery latency | 0.37× | ≤ 0.33× | **missed** (+10%) |',
    );
    // bcast row: CPU/push ÷ Pinus 0.20×, ÷ raw 0.50×, p99 ÷ Pinus 0.37×; saturation row: 1.00× both
    expect(markdown).toMatch(
      /\| Shaddock 1\+1 · buffer 20 ms \| 1000 \| 100 \|.* \| 0\.20× \| 0\.50× \| 0\.37× \|/,
    );
    expect(markdown).toMatch(
      /\| Shaddock 1\+1 · buffer 20 ms \| 1000 \| 400 \(400\) \| 400,000 \| 1\.00× \| 1\.00× \|/,
    );
    // no rr rows for it
    expect(markdown).not.toMatch(/\| 1000 \| Shaddock 1\+1 · buffer/);
  });
});
