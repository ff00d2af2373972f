/** The RPC benchmark's Markdown report and its verdict against the issue's targets. */
import type { BenchSetup } from '../measure.js';
import { clockTicksPerSecond } from '../process-cpu.js';
import {
  comparisonPair,
  formatMicros,
  type RpcBenchResult,
  type RpcComparison,
  type RpcRow,
  SLICE_MS,
  TARGET_LABELS,
  type TargetName,
  TRANSPORTS,
} from './bench.js';
import { ARGUMENT_BYTES } from './messages.js';

/** The issue's targets. */
export const TARGETS_SPEC = {
  /** Shaddock calls/s ÷ pinus-rpc calls/s at this many in flight … */
  throughputInFlight: 256,
  /** … must reach this. */
  minThroughputRatio: 3,
  /** Shaddock's p99 at this many in flight … */
  latencyInFlight: 1,
  /** … must stay within this, in µs. */
  maxP99Us: 1000,
} as const;

/** One target of the issue, checked. */
export interface TargetCheck {
  readonly name: string;
  readonly measured: number | null;
  readonly goal: string;
  readonly met: boolean;
}

/** The issue's targets checked against the rows (a target not measured is not met). */
export function checkTargets(result: RpcBenchResult): TargetCheck[] {
  const spec = TARGETS_SPEC;
  const comparison = result.comparisons.find(
    (c) => c.inFlight === spec.throughputInFlight && isPair(c, 'shaddock', 'pinus'),
  );
  const row = result.rows.find((r) => r.inFlight === spec.latencyInFlight && r.target === 'shaddock');
  const ratio = comparison && Number.isFinite(comparison.throughputRatio) ? comparison.throughputRatio : null;
  const p99 = row && Number.isFinite(row.p99Us) ? row.p99Us : null;
  return [
    {
      name: `throughput at ${spec.throughputInFlight} in flight, Shaddock ÷ pinus-rpc`,
      measured: ratio,
      goal: `≥ ${spec.minThroughputRatio}×`,
      met: ratio !== null && ratio >= spec.minThroughputRatio,
    },
    {
      name: `Shaddock p99 at ${spec.latencyInFlight} in flight, µs`,
      measured: p99,
      goal: `≤ ${spec.maxP99Us} µs`,
      met: p99 !== null && p99 <= spec.maxP99Us,
    },
  ];
}

function isPair(comparison: RpcComparison, subject: TargetName, baseline: TargetName): boolean {
  const [ours, theirs] = comparisonPair(comparison);
  return ours === subject && theirs === baseline;
}

function ratio(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(2)}×` : '—';
}

/**
 * The table: one row per level and target; on Shaddock's rows (TCP and NATS) their ratios to
 * pinus-rpc, and on the NATS row its ratios to Shaddock over TCP. The NATS row's CPU includes the
 * nats-server process's (its own column too).
 */
export function rpcTable(rows: readonly RpcRow[], comparisons: readonly RpcComparison[]): string {
  const broker = rows.some((row) => typeof row.brokerMicrosPerCall === 'number');
  const natsVsTcp = comparisons.some((c) => isPair(c, 'nats', 'shaddock'));
  const lines = [
    [
      '| in flight | target | calls/s | p50 µs | p99 µs | CPU µs/call (server + client',
      broker ? ' + nats-server' : '',
      ') | server µs/call | client µs/call |',
      broker ? ' nats-server µs/call |' : '',
      ' server CPU | client CPU |',
      broker ? ' nats-server CPU |' : '',
      ' calls/s ratio ÷ pinus | CPU/call ratio ÷ pinus |',
      natsVsTcp ? ' NATS ÷ TCP: calls/s · CPU/call · p99 |' : '',
    ].join(''),
    `| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |${broker ? ' ---: |' : ''} ---: | ---: |${broker ? ' ---: |' : ''} ---: | ---: |${natsVsTcp ? ' ---: |' : ''}`,
  ];
  for (const row of rows) {
    const toPinus = comparisons.find((c) => c.inFlight === row.inFlight && isPair(c, row.target, 'pinus'));
    const toTcp =
      row.target === 'nats'
        ? comparisons.find((c) => c.inFlight === row.inFlight && isPair(c, 'nats', 'shaddock'))
        : undefined;
    const brokerMicros = typeof row.brokerMicrosPerCall === 'number' ? row.brokerMicrosPerCall : null;
    const brokerPercent = typeof row.brokerCpuPercent === 'number' ? row.brokerCpuPercent : null;
    lines.push(
      [
        '',
        row.inFlight,
        `${TARGET_LABELS[row.target]}${row.errors > 0 ? ` (**${row.errors} errors**)` : ''}`,
        Math.round(row.callsPerSecond).toLocaleString('en-US'),
        formatMicros(row.p50Us),
        formatMicros(row.p99Us),
        row.cpuMicrosPerCall.toFixed(1),
        row.serverMicrosPerCall.toFixed(1),
        row.clientMicrosPerCall.toFixed(1),
        ...(broker ? [brokerMicros === null ? '' : brokerMicros.toFixed(1)] : []),
        `${row.serverCpuPercent.toFixed(0)}%`,
        `${row.clientCpuPercent.toFixed(0)}%`,
        ...(broker ? [brokerPercent === null ? '' : `${brokerPercent.toFixed(0)}%`] : []),
        toPinus ? ratio(toPinus.throughputRatio) : '',
        toPinus ? ratio(toPinus.cpuRatio) : '',
        ...(natsVsTcp
          ? [
              toTcp
                ? `${ratio(toTcp.throughputRatio)} · ${ratio(toTcp.cpuRatio)} · ${ratio(toTcp.p99Ratio)}`
                : '',
            ]
          : []),
        '',
      ]
        .join(' | ')
        .trim(),
    );
  }
  return lines.join('\n');
}

/** The setup as one Markdown paragraph. */
export function rpcSetupLine(setup: BenchSetup, placement: string): string {
  const { timing } = setup;
  return [
    `Node ${setup.node} (V8 ${setup.v8}), ${setup.platform}, ${setup.cpu} × ${setup.cpuCount}, ${setup.memoryGiB} GiB,`,
    `${setup.date}. Each figure is the median of ${timing.rounds} measurements of ${timing.durationMs} ms per target`,
    `and level, in which the targets take turns in slices of about ${SLICE_MS} ms (the first rotating), after`,
    `${timing.warmupMs} ms of warm-up each per level.`,
    `Placement: ${placement}. CPU time from /proc/<pid>/stat (utime + stime, ${clockTicksPerSecond()} ticks/s).`,
  ].join(' ');
}

/** The whole report. */
export function rpcReport(setup: BenchSetup, result: RpcBenchResult, checks: readonly TargetCheck[]): string {
  const failed = result.problems.length > 0;
  const targetLines = result.targets.map(
    (target: TargetName) => `- **${TARGET_LABELS[target]}**: ${TRANSPORTS[target]}.`,
  );
  const checkLines = checks.map(
    (check) =>
      `- ${check.name}: ${check.measured === null ? 'not measured' : check.measured.toFixed(2)} (target ${check.goal}) — **${check.met ? 'met' : 'missed'}**`,
  );
  const nats = result.targets.includes('nats');
  return [
    nats ? '# RPC: Shaddock (TCP and NATS links) vs pinus-rpc' : '# RPC: Shaddock vs pinus-rpc',
    '',
    ...(failed ? ['**FAILED: the run had errors (below); its figures do not count.**', ''] : []),
    rpcSetupLine(setup, result.placement),
    '',
    `Two processes per target, a server and a client, on 127.0.0.1; the client calls a remote \`echo(arg)\` that`,
    `returns its argument, with exactly N calls in flight (each lane sends its next call when its reply is in).`,
    `Arguments: ${ARGUMENT_BYTES}-byte ASCII strings, 1024 different ones in turn; every reply is checked equal to its`,
    'argument and the server counts the calls it ran. Latency: `process.hrtime.bigint()` around every call, in a',
    'log-linear histogram (±1.6%). CPU µs/call: the CPU time of both processes over the measured window ÷ calls;',
    'server/client CPU: % of one core. Ratios: medians of the rounds’ paired ratios (Shaddock ÷ pinus-rpc; a CPU',
    'ratio below 1 means Shaddock spends less CPU per call).',
    ...(nats
      ? [
          '',
          'Shaddock over NATS: the same server and client as Shaddock over TCP, their link `NatsRpcLink`; every',
          'call and reply goes client → nats-server → server and back. **Its CPU µs/call includes the nats-server',
          'process’s CPU** (found by its listening port, read from /proc like the children’s, over the same slices),',
          'also shown on its own; nats-server is shared, so what else uses it during the NATS slices counts too.',
          'NATS ÷ TCP: Shaddock over NATS ÷ Shaddock over TCP, paired by round as above.',
        ]
      : []),
    '',
    ...targetLines,
    '',
    rpcTable(result.rows, result.comparisons),
    '',
    'Targets:',
    '',
    ...checkLines,
    ...(failed ? ['', 'Problems:', '', ...result.problems.map((problem) => `- ${problem}`)] : []),
    '',
  ].join('\n');
}
