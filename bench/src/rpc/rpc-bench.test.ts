// Smoke test of the RPC benchmark kit: both targets run as real child processes (the built ones
// in bench/dist/rpc) for a few hundred ms at 16 in flight, every reply checks out, CPU is read, and
// no child outlives the run. It never asserts a time or a ratio.
import { describe, expect, it } from 'vitest';
import { cpuUsed, parseProcStat, readProcessCpu } from '../process-cpu.js';
import { runRpcBenchmark } from './bench.js';
import { LatencyHistogram } from './latency-histogram.js';
import { ARGUMENT_BYTES, ARGUMENTS, readChildMessage } from './messages.js';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('rpc benchmark', () => {
  it('runs Shaddock and pinus-rpc between two processes with no errors, then stops them', async () => {
    const pids: number[] = [];
    const result = await runRpcBenchmark({
      levels: [16],
      targets: ['shaddock', 'pinus'],
      timing: { durationMs: 300, warmupMs: 100, rounds: 1 },
    });
    expect(result.problems).toEqual([]);
    expect(result.measurements).toHaveLength(2);
    for (const m of [...result.measurements, ...result.warmups]) {
      expect(m.calls).toBeGreaterThan(0);
      expect(m.errors).toBe(0);
      expect(m.mismatches).toBe(0);
      expect(m.served).toBe(m.calls);
      expect(m.callsPerSecond).toBeGreaterThan(0);
      expect(m.latency.count).toBe(m.calls);
      expect(m.latency.p99Ns).toBeGreaterThanOrEqual(m.latency.p50Ns);
      expect(m.cpu.server.totalMicros).toBeGreaterThanOrEqual(0);
      expect(m.cpu.client.totalMicros).toBeGreaterThanOrEqual(0);
      expect(m.cpu.server.pid).not.toBe(m.cpu.client.pid);
      pids.push(m.cpu.server.pid, m.cpu.client.pid);
    }
    expect(new Set(result.measurements.map((m) => m.target))).toEqual(new Set(['shaddock', 'pinus']));
    expect(result.rows.map((row) => row.target)).toEqual(['shaddock', 'pinus']);
    const [comparison] = result.comparisons;
    expect(comparison?.throughputRatio).toBeGreaterThan(0);
    expect(comparison?.cpuRatio).toBeGreaterThan(0);
    // every child is gone once the run has returned
    expect(new Set(pids).size).toBe(4);
    for (const pid of new Set(pids)) expect(isAlive(pid)).toBe(false);
  });

  it('reads CPU time from /proc/<pid>/stat, command names with spaces and parentheses included', () => {
    const line = '1234 (node (x) y) S 1 2 3 4 5 6 7 8 9 10 250 40 0 0 20 0 7 0 100';
    expect(parseProcStat(line)).toEqual({ userTicks: 250, systemTicks: 40 });
    const before = readProcessCpu(process.pid);
    let spin = 0;
    for (let index = 0; index < 1e6; index++) spin += index;
    const used = cpuUsed(before, readProcessCpu(process.pid));
    expect(spin).toBeGreaterThan(0);
    expect(used.totalMicros).toBeGreaterThanOrEqual(0);
    expect(used.wallMicros).toBeGreaterThan(0);
  });

  it('keeps percentiles within the histogram precision', () => {
    const histogram = new LatencyHistogram();
    for (let value = 1; value <= 100_000; value++) histogram.record(value * 100);
    const summary = histogram.summary();
    expect(summary.count).toBe(100_000);
    expect(summary.minNs).toBe(100);
    expect(summary.maxNs).toBe(10_000_000);
    expect(Math.abs(summary.p50Ns - 5_000_000) / 5_000_000).toBeLessThan(0.02);
    expect(Math.abs(summary.p99Ns - 9_900_000) / 9_900_000).toBeLessThan(0.02);
    expect(new LatencyHistogram().percentile(0.5)).toBeNaN();
  });

  it('sends 1024 different 100-byte arguments and reads only well-formed child messages', () => {
    expect(new Set(ARGUMENTS).size).toBe(1024);
    for (const argument of ARGUMENTS) expect(Buffer.byteLength(argument)).toBe(ARGUMENT_BYTES);
    expect(readChildMessage({ kind: 'ready', pid: 12 })).toEqual({ kind: 'ready', pid: 12 });
    expect(readChildMessage({ kind: 'stats', served: -1 })).toBeUndefined();
    expect(readChildMessage({ kind: 'result', result: { calls: 1 } })).toBeUndefined();
  });
});
