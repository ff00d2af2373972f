/**
 * The RPC benchmark: for each target (Shaddock over TCP, Shaddock over NATS, pinus-rpc, raw TCP) a
 * server process and a client process, started once per run and placed alike; for each in-flight
 * level, a warm-up of each target, then rounds; within a round the targets take turns in slices of
 * ~250 ms (the first rotating). The CPU time of both children (and, for the NATS target, of the
 * nats-server process its messages go through) is read from /proc around every slice.
 */
import { availableParallelism } from 'node:os';
import type { TimingOptions } from '../measure.js';
import { median } from '../measure.js';
import { type CpuSample, type CpuUsage, cpuUsed, readProcessCpu, sumCpuUsage } from '../process-cpu.js';
import type { LatencySummary } from './latency-histogram.js';
import { pidListeningOn } from './listening-process.js';
import type { LoadResult } from './messages.js';
import { BenchChild, canPin, childScript, freePort } from './processes.js';

/**
 * The targets: Shaddock over its TCP link, Shaddock over the NATS link (`nats`: the same RpcServer
 * and RpcClient, every message through nats-server) and pinus-rpc, compared; `raw` (plain Node TCP,
 * no RPC layer) is the reference floor of the machine, to tell what the frameworks cost from what
 * the OS costs.
 */
export const TARGETS = ['shaddock', 'nats', 'pinus', 'raw'] as const;
export type TargetName = (typeof TARGETS)[number];

/** Human names, for tables and progress lines. */
export const TARGET_LABELS: Readonly<Record<TargetName, string>> = {
  shaddock: 'Shaddock',
  nats: 'Shaddock over NATS',
  pinus: 'pinus-rpc',
  raw: 'raw TCP (reference)',
};

/** How each target's calls travel. */
export const TRANSPORTS: Readonly<Record<TargetName, string>> = {
  shaddock: 'Shaddock RpcServer/RpcClient: length-prefixed msgpack over TCP, writes coalesced per turn',
  nats: 'the same Shaddock RpcServer/RpcClient over `NatsRpcLink` (@shaddock/nats): the TCP link’s frames as NATS messages, one per connection per turn, through nats-server on 127.0.0.1 (one NATS connection per process)',
  pinus:
    'pinus-rpc 1.7.4 defaults: MQTT mailbox/acceptor (mqtt-connection, JSON payloads), bufferMsg off (no flush timer)',
  raw: 'reference, no RPC layer: plain `net` sockets, a length prefix and the argument bytes echoed back, writes coalesced per turn',
};

/** The default in-flight levels. */
export const DEFAULT_LEVELS: readonly number[] = [1, 16, 256];

/** Where the `nats` target's nats-server listens on 127.0.0.1 by default (the development machines' one). */
export const DEFAULT_NATS_PORT = 4222;

export interface RpcBenchOptions {
  /** Calls kept in flight, one set of measurements per level. */
  readonly levels: readonly number[];
  readonly timing: TimingOptions;
  /** Which targets (default all three). */
  readonly targets?: readonly TargetName[];
  /**
   * Pin each server to CPU 0 and each client to CPU 1 with taskset, when possible (default false:
   * the scheduler places them, alike for every target). On a VM, pinning the two ends to different
   * vCPUs makes every call a cross-CPU wakeup, which can cost more than the call itself.
   */
  readonly pin?: boolean;
  /** The port of the nats-server on 127.0.0.1 the `nats` target uses (default {@link DEFAULT_NATS_PORT}). */
  readonly natsPort?: number;
  /** Runs the children with `--cpu-prof`, writing `<target>-<role>.cpuprofile` here. */
  readonly profileDir?: string;
  /** Hears one line per measurement and the children's output. */
  readonly log?: (line: string) => void;
}

/** The CPU both children (and the broker, for the `nats` target) used in one measurement. */
export interface CpuFigures {
  readonly server: CpuUsage;
  readonly client: CpuUsage;
  /** The nats-server process's CPU over the same slices (`nats` target only; null when it could not be read). */
  readonly broker: CpuUsage | null;
  /** (server + client + broker CPU time) / calls completed, in µs. */
  readonly microsPerCall: number;
  readonly serverMicrosPerCall: number;
  readonly clientMicrosPerCall: number;
  /** The broker's CPU time / calls completed, in µs; null without a broker. */
  readonly brokerMicrosPerCall: number | null;
}

/** One measurement of one target at one level. */
export interface Measurement {
  readonly target: TargetName;
  readonly inFlight: number;
  /** 1‥rounds. */
  readonly round: number;
  readonly callsPerSecond: number;
  /** Correct replies. */
  readonly calls: number;
  readonly errors: number;
  readonly mismatches: number;
  /** Calls the server's echo ran during the measurement. */
  readonly served: number;
  readonly elapsedMs: number;
  readonly latency: LatencySummary;
  readonly cpu: CpuFigures;
  /** What went wrong (errors, wrong replies, calls unaccounted for); empty when all is well. */
  readonly problems: readonly string[];
}

/** The median over the rounds of one target at one level. */
export interface RpcRow {
  readonly inFlight: number;
  readonly target: TargetName;
  readonly callsPerSecond: number;
  readonly p50Us: number;
  readonly p99Us: number;
  readonly cpuMicrosPerCall: number;
  readonly serverMicrosPerCall: number;
  readonly clientMicrosPerCall: number;
  readonly serverCpuPercent: number;
  readonly clientCpuPercent: number;
  /** The nats-server's share (`nats` target); null (or absent, in results older than the target) otherwise. */
  readonly brokerMicrosPerCall?: number | null;
  readonly brokerCpuPercent?: number | null;
  /** Summed over the rounds. */
  readonly errors: number;
}

/**
 * One target against another at one level (Shaddock against pinus-rpc; Shaddock over NATS against
 * pinus-rpc and against Shaddock over TCP): medians of the rounds' paired ratios.
 */
export interface RpcComparison {
  readonly inFlight: number;
  /** The target compared (absent in results older than the `nats` target: `shaddock`). */
  readonly subject?: TargetName;
  /** What it is compared with (absent in results older than the `nats` target: `pinus`). */
  readonly baseline?: TargetName;
  /** subject calls/s ÷ baseline calls/s: above 1, the subject is faster. */
  readonly throughputRatio: number;
  /** subject CPU µs/call ÷ baseline CPU µs/call: below 1, the subject is cheaper. */
  readonly cpuRatio: number;
  /** subject p99 ÷ baseline p99. */
  readonly p99Ratio: number;
}

/** The pairs compared, when both targets ran: subject first. */
export const COMPARED: readonly (readonly [TargetName, TargetName])[] = [
  ['shaddock', 'pinus'],
  ['nats', 'pinus'],
  ['nats', 'shaddock'],
];

/** The subject and baseline of a comparison (older results name neither: Shaddock ÷ pinus-rpc). */
export function comparisonPair(comparison: RpcComparison): readonly [TargetName, TargetName] {
  return [comparison.subject ?? 'shaddock', comparison.baseline ?? 'pinus'];
}

export interface RpcBenchResult {
  readonly levels: readonly number[];
  readonly targets: readonly TargetName[];
  /** Where the children ran. */
  readonly placement: string;
  readonly measurements: readonly Measurement[];
  /** The untimed warm-up runs (round 0), checked like the others. */
  readonly warmups: readonly Measurement[];
  readonly rows: readonly RpcRow[];
  readonly comparisons: readonly RpcComparison[];
  /** Every problem of every measurement, prefixed with where it happened; a run with any failed. */
  readonly problems: readonly string[];
}

const SERVER_CPU = 0;
const CLIENT_CPU = 1;
const START_TIMEOUT_MS = 20_000;
/** A measurement that has not ended this long after its duration has hung. */
const RUN_GRACE_MS = 30_000;
const STOP_GRACE_MS = 5_000;
/** Each measurement is cut into slices of about this long, the targets taking turns. */
export const SLICE_MS = 250;

interface Pair {
  readonly target: TargetName;
  readonly server: BenchChild;
  readonly client: BenchChild;
  /** The nats-server's pid (`nats` target), when it could be found. */
  readonly broker: number | undefined;
}

/** Runs the benchmark; the children are stopped (killed if need be) before it returns or throws. */
export async function runRpcBenchmark(options: RpcBenchOptions): Promise<RpcBenchResult> {
  const { levels, timing } = options;
  const targets = options.targets ?? TARGETS;
  const log = options.log ?? (() => {});
  const pinned =
    (options.pin ?? false) && availableParallelism() >= 2 && canPin(SERVER_CPU) && canPin(CLIENT_CPU);
  const placement = pinned
    ? `each server pinned to CPU ${SERVER_CPU} and each client to CPU ${CLIENT_CPU} (taskset); the orchestrator unpinned, idle while measuring`
    : `${options.pin ? 'unpinned (pinning asked for, but taskset or a second CPU is missing)' : 'unpinned'}: the scheduler places every process, alike for every target; the orchestrator idle while measuring`;
  const children: BenchChild[] = [];
  const measurements: Measurement[] = [];
  const warmups: Measurement[] = [];
  const natsPort = options.natsPort ?? DEFAULT_NATS_PORT;
  // one cluster name per run: runs sharing the nats-server never answer each other's calls
  const natsCluster = `bench-rpc-${process.pid}-${Date.now().toString(36)}`;
  try {
    const pairs = new Map<TargetName, Pair>();
    for (const target of targets) {
      const port = await freePort();
      const broker = target === 'nats' ? pidListeningOn(natsPort) : undefined;
      if (target === 'nats' && broker === undefined)
        log(`nats: no process found listening on port ${natsPort}: nats-server's CPU is not counted`);
      const spawnRole = (role: 'server' | 'client', cpu: number): BenchChild => {
        const child = new BenchChild({
          label: `${target} ${role}`,
          script: childScript(`${target}-${role}`),
          args: target === 'nats' ? [String(natsPort), natsCluster] : [String(port)],
          nodeArgs:
            options.profileDir === undefined
              ? []
              : [
                  '--cpu-prof',
                  `--cpu-prof-dir=${options.profileDir}`,
                  `--cpu-prof-name=${target}-${role}.cpuprofile`,
                ],
          cpu: pinned ? cpu : undefined,
          output: log,
          // pinus-rpc's MQTT acceptor prints this for every connection
          quiet: (line) => target === 'pinus' && line === 'connected',
        });
        children.push(child);
        return child;
      };
      const server = spawnRole('server', SERVER_CPU);
      await server.ready(START_TIMEOUT_MS);
      const client = spawnRole('client', CLIENT_CPU);
      await client.ready(START_TIMEOUT_MS);
      pairs.set(target, { target, server, client, broker });
    }
    const order = targets.map((target) => pairs.get(target)!);
    const total = levels.length * targets.length * timing.rounds;
    for (const inFlight of levels) {
      const warm = await measureRound(order, inFlight, timing.warmupMs, 0);
      for (const measurement of warm) {
        warmups.push(measurement);
        log(`warm-up  in flight ${pad(inFlight, 3)}  ${describe(measurement)}`);
      }
      for (let round = 1; round <= timing.rounds; round++) {
        for (const measurement of await measureRound(order, inFlight, timing.durationMs, round)) {
          measurements.push(measurement);
          log(
            `[${pad(measurements.length, String(total).length)}/${total}] in flight ${pad(inFlight, 3)}  round ${round}/${timing.rounds}  ${describe(measurement)}`,
          );
        }
      }
    }
  } finally {
    await Promise.all(children.map((child) => child.stop(STOP_GRACE_MS)));
  }
  const rows = levels.flatMap((inFlight) =>
    targets.map((target) => summarize(measurements, inFlight, target)),
  );
  const comparisons = COMPARED.filter(
    ([subject, baseline]) => targets.includes(subject) && targets.includes(baseline),
  ).flatMap(([subject, baseline]) =>
    levels.map((inFlight) => compareAt(measurements, inFlight, subject, baseline)),
  );
  const problems = [...warmups, ...measurements].flatMap((m) =>
    m.problems.map(
      (problem) =>
        `${TARGET_LABELS[m.target]}, ${m.inFlight} in flight, ${m.round === 0 ? 'warm-up' : `round ${m.round}`}: ${problem}`,
    ),
  );
  return { levels, targets, placement, measurements, warmups, rows, comparisons, problems };
}

/** What one target did over the slices of a round so far. */
interface RoundState {
  readonly pair: Pair;
  readonly servedBefore: number;
  readonly server: CpuUsage[];
  readonly client: CpuUsage[];
  readonly broker: CpuUsage[];
  result: LoadResult | undefined;
}

/**
 * One measurement of `durationMs` per target, cut into slices of about {@link SLICE_MS} that the
 * targets take in turn (the first to go rotating every slice), so that a burst of load on the
 * machine hits them alike. CPU is read around each slice; the client adds up its slices.
 */
async function measureRound(
  pairs: readonly Pair[],
  inFlight: number,
  durationMs: number,
  round: number,
): Promise<Measurement[]> {
  const slices = Math.max(1, Math.round(durationMs / SLICE_MS));
  const sliceMs = durationMs / slices;
  const states: RoundState[] = [];
  for (const pair of pairs) {
    const { served } = await pair.server.request({ kind: 'stats' }, 'stats', START_TIMEOUT_MS);
    states.push({ pair, servedBefore: served, server: [], client: [], broker: [], result: undefined });
  }
  for (let slice = 0; slice < slices; slice++) {
    for (let turn = 0; turn < states.length; turn++) {
      const state = states[(turn + slice + round) % states.length]!;
      const before = sample(state.pair);
      const { result } = await state.pair.client.request(
        { kind: 'run', inFlight, durationMs: sliceMs, reset: slice === 0 },
        'result',
        sliceMs + RUN_GRACE_MS,
      );
      const after = sample(state.pair);
      state.server.push(cpuUsed(before.server, after.server));
      state.client.push(cpuUsed(before.client, after.client));
      if (before.broker && after.broker) state.broker.push(cpuUsed(before.broker, after.broker));
      state.result = result;
    }
  }
  const measurements: Measurement[] = [];
  for (const state of states) {
    const { pair, result } = state;
    if (!result) throw new Error(`${pair.target}: no slice ran`);
    const { served } = await pair.server.request({ kind: 'stats' }, 'stats', START_TIMEOUT_MS);
    const serverCpu = sumCpuUsage(pair.server.pid, state.server);
    const clientCpu = sumCpuUsage(pair.client.pid, state.client);
    const brokerCpu = pair.broker === undefined ? null : sumCpuUsage(pair.broker, state.broker);
    const completed = result.calls + result.errors + result.mismatches;
    const perCall = (micros: number): number => (completed > 0 ? micros / completed : Number.NaN);
    measurements.push({
      target: pair.target,
      inFlight,
      round,
      callsPerSecond: result.elapsedNs > 0 ? (result.calls * 1e9) / result.elapsedNs : 0,
      calls: result.calls,
      errors: result.errors,
      mismatches: result.mismatches,
      served: served - state.servedBefore,
      elapsedMs: result.elapsedNs / 1e6,
      latency: result.latency,
      cpu: {
        server: serverCpu,
        client: clientCpu,
        broker: brokerCpu,
        microsPerCall: perCall(serverCpu.totalMicros + clientCpu.totalMicros + (brokerCpu?.totalMicros ?? 0)),
        serverMicrosPerCall: perCall(serverCpu.totalMicros),
        clientMicrosPerCall: perCall(clientCpu.totalMicros),
        brokerMicrosPerCall: brokerCpu === null ? null : perCall(brokerCpu.totalMicros),
      },
      problems: problemsOf(result, served - state.servedBefore),
    });
  }
  return measurements;
}

function sample(pair: Pair): { server: CpuSample; client: CpuSample; broker: CpuSample | undefined } {
  return {
    server: readProcessCpu(pair.server.pid),
    client: readProcessCpu(pair.client.pid),
    broker: pair.broker === undefined ? undefined : readProcessCpu(pair.broker),
  };
}

function problemsOf(result: LoadResult, served: number): string[] {
  const problems: string[] = [];
  if (result.calls === 0) problems.push('no call completed');
  if (result.errors > 0) problems.push(`${result.errors} calls failed`);
  if (result.mismatches > 0) problems.push(`${result.mismatches} replies differed from their argument`);
  if (result.firstError !== null) problems.push(`first: ${result.firstError}`);
  // every call the client saw answered ran the echo once, and the server ran nothing else
  if (result.errors === 0 && served !== result.calls + result.mismatches) {
    problems.push(`the server ran echo ${served} times for ${result.calls + result.mismatches} replies`);
  }
  return problems;
}

function summarize(measurements: readonly Measurement[], inFlight: number, target: TargetName): RpcRow {
  const mine = measurements.filter((m) => m.inFlight === inFlight && m.target === target);
  const mid = (pick: (m: Measurement) => number): number => median(mine.map(pick));
  return {
    inFlight,
    target,
    callsPerSecond: mid((m) => m.callsPerSecond),
    p50Us: mid((m) => m.latency.p50Ns / 1e3),
    p99Us: mid((m) => m.latency.p99Ns / 1e3),
    cpuMicrosPerCall: mid((m) => m.cpu.microsPerCall),
    serverMicrosPerCall: mid((m) => m.cpu.serverMicrosPerCall),
    clientMicrosPerCall: mid((m) => m.cpu.clientMicrosPerCall),
    serverCpuPercent: mid((m) => m.cpu.server.percent),
    clientCpuPercent: mid((m) => m.cpu.client.percent),
    brokerMicrosPerCall: mine.some((m) => m.cpu.broker === null)
      ? null
      : mid((m) => m.cpu.brokerMicrosPerCall ?? 0),
    brokerCpuPercent: mine.some((m) => m.cpu.broker === null) ? null : mid((m) => m.cpu.broker?.percent ?? 0),
    errors: mine.reduce((sum, m) => sum + m.errors + m.mismatches, 0),
  };
}

function compareAt(
  measurements: readonly Measurement[],
  inFlight: number,
  subject: TargetName,
  baseline: TargetName,
): RpcComparison {
  const byRound = (target: TargetName): Map<number, Measurement> =>
    new Map(
      measurements.filter((m) => m.inFlight === inFlight && m.target === target).map((m) => [m.round, m]),
    );
  const ours = byRound(subject);
  const theirs = byRound(baseline);
  const ratios = (pick: (m: Measurement) => number): number =>
    median(
      [...ours].flatMap(([round, mine]) => {
        const other = theirs.get(round);
        return other ? [pick(mine) / pick(other)] : [];
      }),
    );
  return {
    inFlight,
    subject,
    baseline,
    throughputRatio: ratios((m) => m.callsPerSecond),
    cpuRatio: ratios((m) => m.cpu.microsPerCall),
    p99Ratio: ratios((m) => m.latency.p99Ns),
  };
}

function pad(value: number, width: number): string {
  return String(value).padStart(width);
}

/** One measurement as a progress line. */
function describe(m: Measurement): string {
  const status = m.problems.length === 0 ? 'ok' : `FAILED: ${m.problems.join('; ')}`;
  return [
    `${TARGET_LABELS[m.target].padEnd(18)}`,
    `${Math.round(m.callsPerSecond).toLocaleString('en-US').padStart(9)} calls/s`,
    `p50 ${formatMicros(m.latency.p50Ns / 1e3)} µs`,
    `p99 ${formatMicros(m.latency.p99Ns / 1e3)} µs`,
    `CPU ${m.cpu.microsPerCall.toFixed(1)} µs/call (server ${m.cpu.server.percent.toFixed(0)}%, client ${m.cpu.client.percent.toFixed(0)}%${m.cpu.broker ? `, nats-server ${m.cpu.broker.percent.toFixed(0)}%` : ''})`,
    `${m.calls.toLocaleString('en-US')} calls in ${m.elapsedMs.toFixed(0)} ms`,
    status,
  ].join('  ');
}

/** Microseconds with a sensible precision: `12.3`, `456`, `1,234`. */
export function formatMicros(value: number): string {
  if (!Number.isFinite(value)) return '—';
  if (value < 100) return value.toFixed(1);
  return Math.round(value).toLocaleString('en-US');
}
