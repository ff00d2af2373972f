// Smoke test of the RPC benchmark kit: the targets run as real child processes (the built ones
// in bench/dist/rpc) for a few hundred ms at 16 in flight, every reply checks out, CPU is read, and
// no child outlives the run. It never asserts a time or a ratio. The NATS target needs the
// machine's nats-server: without it, that test is skipped (failed under CI).
import { describe, expect, it } from 'vitest';
import { cpuUsed, parseProcStat, readProcessCpu } from '../process-cpu.js';
import { serviceUnavailable } from '../scale/services.js';
import { comparisonPair, runRpcBenchmark } from './bench.js';
import { LatencyHistogram } from './latency-histogram.js';
import { listeningInodes } from './listening-process.js';
import { ARGUMENT_BYTES, ARGUMENTS, readChildMessage } from './messages.js';

const nats = await serviceUnavailable('nats-server', '127.0.0.1', 4222);

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

  it.skipIf(nats !== undefined)(
    'runs Shaddock over the NATS link beside Shaddock over TCP, with the nats-server in the CPU',
    async () => {
      const result = await runRpcBenchmark({
        levels: [16],
        targets: ['shaddock', 'nats'],
        timing: { durationMs: 300, warmupMs: 100, rounds: 1 },
      });
      expect(result.problems).toEqual([]);
      const pids: number[] = [];
      for (const m of [...result.measurements, ...result.warmups]) {
        expect(m.calls).toBeGreaterThan(0);
        expect(m.served).toBe(m.calls);
        // the broker is read for the NATS target only (when its process can be found)
        if (m.target === 'shaddock') expect(m.cpu.broker).toBeNull();
        else if (m.cpu.broker !== null) expect(m.cpu.brokerMicrosPerCall).toBeGreaterThanOrEqual(0);
        pids.push(m.cpu.server.pid, m.cpu.client.pid);
      }
      expect(result.comparisons.map(comparisonPair)).toEqual([['nats', 'shaddock']]);
      for (const pid of new Set(pids)) expect(isAlive(pid)).toBe(false);
    },
  );

  it('finds the listening socket of a port in /proc/net/tcp', () => {
    const table = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 0100007F:107E 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 31337 1 0 100 0 0 10 0',
      '   1: 0100007F:107E 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 31338 1 0 20 4 30 10 -1',
      '   2: 0100007F:18EB 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0 100 0 0 10 0',
    ].join('\n');
    expect(listeningInodes([table], 4222)).toEqual(new Set(['31337']));
    expect(listeningInodes([table, ''], 6379)).toEqual(new Set(['4242']));
    expect(listeningInodes([table], 80).size).toBe(0);
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
