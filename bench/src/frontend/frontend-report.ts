/** The frontend benchmark's Markdown report, and its verdict against the issue's targets. */
import type { BenchSetup } from '../measure.js';
import { clockTicksPerSecond } from '../process-cpu.js';
import { formatMicros, type RpcBenchResult } from '../rpc/bench.js';
import { rpcSetupLine, rpcTable } from '../rpc/rpc-report.js';
import { type FrontendBenchResult, type ScenarioPlan, type Setup, setupKey, setupName } from './bench.js';
import type { Comparison, CpuPercents, FrontendSummary } from './summary.js';
import { ECHO_BODY_BYTES } from './wire.js';

/**
 * One target of the issues: a ratio of a Shaddock setup to a baseline, or one of its own figures
 * (absolute), at most or at least a goal.
 */
export type TargetSpec = RatioTarget | AbsoluteTarget;

/** Shaddock ÷ baseline, for every Shaddock setup compared with that baseline. */
interface RatioTarget {
  readonly kind: 'ratio';
  readonly figure: string;
  readonly baseline: 'pinus' | 'raw';
  readonly what: string;
  readonly bound: 'max' | 'min';
  readonly goal: number;
  /**
   * Checked for the Shaddock setups with a buffered push scheduler too (a figure the scheduler is
   * about); by default for the setups with the default scheduler only.
   */
  readonly buffered?: boolean;
}

/** A figure of named setups, the median over their runs. */
interface AbsoluteTarget {
  readonly kind: 'absolute';
  /** `rr.<C>.serverMicrosPerOp` or `bcast.serverMicrosPerOp`. */
  readonly figure: string;
  /** The setups (keys) it is checked for, those that ran it. */
  readonly setups: readonly string[];
  readonly what: string;
  readonly bound: 'max' | 'min';
  readonly goal: number;
  readonly unit: 'µs';
}

/** The issues' targets: ratios Shaddock ÷ baseline, then absolute figures. */
export const TARGET_SPECS: readonly TargetSpec[] = [
  {
    kind: 'ratio',
    figure: 'rr.100.serverMicrosPerOp',
    baseline: 'pinus',
    what: 'rr C=100: server CPU per request',
    bound: 'max',
    goal: 0.4,
  },
  {
    kind: 'ratio',
    figure: 'rr.1000.serverMicrosPerOp',
    baseline: 'pinus',
    what: 'rr C=1000: server CPU per request',
    bound: 'max',
    goal: 0.4,
  },
  {
    kind: 'ratio',
    figure: 'bcast.serverMicrosPerOp',
    baseline: 'pinus',
    what: 'bcast: server CPU per delivered push',
    bound: 'max',
    goal: 0.6,
    buffered: true,
  },
  {
    kind: 'ratio',
    figure: 'bcast.serverMicrosPerOp',
    baseline: 'raw',
    what: 'bcast: server CPU per delivered push',
    bound: 'max',
    goal: 0.8,
    buffered: true,
  },
  {
    kind: 'ratio',
    figure: 'rr.100.p99',
    baseline: 'pinus',
    what: 'rr C=100: p99 latency',
    bound: 'max',
    goal: 1 / 3,
  },
  {
    kind: 'ratio',
    figure: 'rr.1000.p99',
    baseline: 'pinus',
    what: 'rr C=1000: p99 latency',
    bound: 'max',
    goal: 1 / 3,
  },
  {
    kind: 'ratio',
    figure: 'bcast.p99',
    baseline: 'pinus',
    what: 'bcast: p99 delivery latency',
    bound: 'max',
    goal: 1 / 3,
    buffered: true,
  },
  {
    kind: 'ratio',
    figure: 'saturation.sustainedPushesPerSecond',
    baseline: 'pinus',
    what: 'bcast saturation (delivery ratio 1)',
    bound: 'min',
    goal: 1.3,
  },
  {
    kind: 'ratio',
    figure: 'conn.rssPerConnection',
    baseline: 'pinus',
    what: 'idle memory per connection (frontend RSS)',
    bound: 'max',
    goal: 0.7,
  },
  {
    kind: 'absolute',
    figure: 'bcast.serverMicrosPerOp',
    setups: ['shaddock-1x1', 'shaddock-1x1-buffer20'],
    what: 'bcast: server CPU per delivered push',
    bound: 'max',
    goal: 4,
    unit: 'µs',
  },
  {
    kind: 'absolute',
    figure: 'rr.1000.serverMicrosPerOp',
    setups: ['shaddock-1x1'],
    what: 'rr C=1000: server CPU per forwarded request',
    bound: 'max',
    goal: 15,
    unit: 'µs',
  },
];

/** One target checked for one comparison, or for one setup's own figure. */
export interface TargetCheck {
  /** `Shaddock 1+1 ÷ Pinus 1+1`, or `Shaddock 1+1 (absolute)`. */
  readonly comparison: string;
  readonly name: string;
  readonly measured: number | null;
  /** Of `measured`: `×` for a ratio, `µs` for an absolute figure. */
  readonly unit: '×' | 'µs';
  readonly goal: string;
  readonly met: boolean;
  /** How far from the goal when missed: `+12%` over a maximum, `-8%` under a minimum. */
  readonly missedBy: string | null;
}

function check(comparison: string, spec: TargetSpec, value: number | undefined): TargetCheck {
  const measured = value !== undefined && Number.isFinite(value) ? value : null;
  const met = measured !== null && (spec.bound === 'max' ? measured <= spec.goal : measured >= spec.goal);
  const off = measured === null ? null : (measured / spec.goal - 1) * 100;
  const sign = spec.bound === 'max' ? '≤' : '≥';
  return {
    comparison,
    name: spec.what,
    measured,
    unit: spec.kind === 'ratio' ? '×' : spec.unit,
    goal: spec.kind === 'ratio' ? `${sign} ${spec.goal.toFixed(2)}×` : `${sign} ${spec.goal} ${spec.unit}`,
    met,
    missedBy: met || off === null ? null : `${off > 0 ? '+' : ''}${off.toFixed(0)}%`,
  };
}

/** A setup's own figure from the summary's rows (`rr.<C>.serverMicrosPerOp`, `bcast.serverMicrosPerOp`). */
function ownFigure(summary: FrontendSummary, setup: string, figure: string): number | undefined {
  const parts = figure.split('.');
  if (parts[0] === 'bcast' && parts[1] === 'serverMicrosPerOp')
    return summary.bcast.find((row) => row.setup === setup)?.serverMicrosPerOp;
  if (parts[0] === 'rr' && parts[2] === 'serverMicrosPerOp') {
    const clients = Number(parts[1]);
    return summary.rr.find((row) => row.setup === setup && row.clients === clients)?.serverMicrosPerOp;
  }
  return undefined;
}

/**
 * Every ratio target for every Shaddock comparison that has its figure (a setup with a buffered
 * push scheduler: the targets marked for it only), then every absolute target for each of its
 * setups that measured the figure.
 */
export function checkTargets(summary: FrontendSummary, setups: readonly Setup[]): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const buffered = new Set(
    setups.filter((setup) => setup.pushFlushMs !== undefined).map((setup) => setupKey(setup)),
  );
  for (const comparison of summary.comparisons) {
    const baseline = comparison.baseline === 'raw' ? 'raw' : 'pinus';
    for (const spec of TARGET_SPECS) {
      if (spec.kind !== 'ratio' || spec.baseline !== baseline) continue;
      if (buffered.has(comparison.subject) && !spec.buffered) continue;
      if (!(spec.figure in comparison.ratios)) continue;
      checks.push(check(comparison.label, spec, comparison.ratios[spec.figure]));
    }
  }
  for (const spec of TARGET_SPECS) {
    if (spec.kind !== 'absolute') continue;
    for (const key of spec.setups) {
      const setup = setups.find((entry) => setupKey(entry) === key);
      const value = ownFigure(summary, key, spec.figure);
      if (setup === undefined || value === undefined) continue;
      checks.push(check(`${setupName(setup)} (absolute)`, spec, value));
    }
  }
  return checks;
}

/** The latency histogram's ceiling (2³² ns): a latency there was at least that long. */
const CEILING_US = (2 ** 32 - 1) / 1e3;

function ms(micros: number): string {
  if (!Number.isFinite(micros)) return '—';
  if (micros >= CEILING_US * 0.99) return `≥ ${Math.floor(CEILING_US / 1e3).toLocaleString('en-US')}`;
  return micros < 10_000 ? (micros / 1e3).toFixed(2) : (micros / 1e3).toFixed(1);
}
const fixed = (value: number, digits: number): string =>
  Number.isFinite(value) ? value.toFixed(digits) : '—';
const count = (value: number): string =>
  Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : '—';
const ratio = (value: number | undefined): string =>
  value !== undefined && Number.isFinite(value) ? `${value.toFixed(2)}×` : '';

function cpuCell(cpu: CpuPercents): string {
  return Object.entries(cpu.processes)
    .filter(([id]) => id !== 'master' || (cpu.processes[id] ?? 0) >= 1)
    .map(([id, percent]) => `${id} ${percent.toFixed(0)}`)
    .join(' · ');
}

function ratioFor(
  comparisons: readonly Comparison[],
  setup: string,
  baseline: 'pinus' | 'raw',
  figure: string,
): string {
  const found = comparisons.find(
    (entry) =>
      entry.subject === setup && (baseline === 'raw' ? entry.baseline === 'raw' : entry.baseline !== 'raw'),
  );
  return ratio(found?.ratios[figure]);
}

function rrTable(summary: FrontendSummary): string {
  const lines = [
    '| C | setup | runs | req/s | p50 ms | p99 ms | max ms | server CPU µs/req | server syscalls/req | server CPU % (per process) | load gen % | CPU/req ÷ Pinus | CPU/req ÷ raw | p99 ÷ Pinus |',
    '| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: |',
  ];
  for (const row of [...summary.rr].sort((a, b) => a.clients - b.clients)) {
    const f = `rr.${row.clients}`;
    lines.push(
      `| ${row.clients} | ${row.name} | ${row.runs} | ${count(row.requestsPerSecond)} | ${ms(row.p50Us)} | ${ms(row.p99Us)} | ${ms(row.maxUs)} | ${formatMicros(row.serverMicrosPerOp)} | ${fixed(row.syscallsPerOp, 2)} | ${cpuCell(row.cpu)} | ${row.cpu.loader.toFixed(0)} | ${ratioFor(summary.comparisons, row.setup, 'pinus', `${f}.serverMicrosPerOp`)} | ${ratioFor(summary.comparisons, row.setup, 'raw', `${f}.serverMicrosPerOp`)} | ${ratioFor(summary.comparisons, row.setup, 'pinus', `${f}.p99`)} |`,
    );
  }
  return lines.join('\n');
}

function bcastTable(summary: FrontendSummary): string {
  const lines = [
    '| setup | C | msg/s | pushes/s offered | delivered/s | delivery ratio | kept up | p50 ms | p99 ms | max ms | server CPU µs/push | server syscalls/push | server CPU % (per process) | load gen % | CPU/push ÷ Pinus | CPU/push ÷ raw | p99 ÷ Pinus |',
    '| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: |',
  ];
  for (const row of summary.bcast) {
    lines.push(
      `| ${row.name} | ${row.clients} | ${row.rate} | ${count(row.offeredPushesPerSecond)} | ${count(row.deliveredPushesPerSecond)} | ${row.deliveryRatio.toFixed(4)} | ${row.behindRuns === 0 ? 'yes' : `no (${row.behindRuns}/${row.runs} runs)`} | ${ms(row.p50Us)} | ${ms(row.p99Us)} | ${ms(row.maxUs)} | ${row.serverMicrosPerOp.toFixed(2)} | ${fixed(row.syscallsPerOp, 2)} | ${cpuCell(row.cpu)} | ${row.cpu.loader.toFixed(0)} | ${ratioFor(summary.comparisons, row.setup, 'pinus', 'bcast.serverMicrosPerOp')} | ${ratioFor(summary.comparisons, row.setup, 'raw', 'bcast.serverMicrosPerOp')} | ${ratioFor(summary.comparisons, row.setup, 'pinus', 'bcast.p99')} |`,
    );
  }
  return lines.join('\n');
}

function saturationTable(summary: FrontendSummary): string {
  const lines = [
    '| setup | C | kept up with, msg/s (median; each run) | delivered pushes/s | ÷ Pinus | ÷ raw |',
    '| --- | ---: | --- | ---: | ---: | ---: |',
  ];
  for (const row of summary.saturation) {
    const bound = row.loaderBoundRuns > 0 ? ` (load generator the limit in ${row.loaderBoundRuns} runs)` : '';
    lines.push(
      `| ${row.name} | ${row.clients} | ${count(row.sustainedRate)} (${row.rates.join(', ')})${bound} | ${count(row.sustainedPushesPerSecond)} | ${ratioFor(summary.comparisons, row.setup, 'pinus', 'saturation.sustainedPushesPerSecond')} | ${ratioFor(summary.comparisons, row.setup, 'raw', 'saturation.sustainedPushesPerSecond')} |`,
    );
  }
  return lines.join('\n');
}

function connTable(summary: FrontendSummary): string {
  const lines = [
    '| setup | N | connects/s | server CPU µs/connect | RSS KiB/conn (all servers) | RSS KiB/conn (frontends) | idle server CPU % (per process) | frontend RSS/conn ÷ Pinus | ÷ raw |',
    '| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |',
  ];
  for (const row of summary.conn) {
    lines.push(
      `| ${row.name} | ${count(row.clients)} | ${count(row.connectsPerSecond)} | ${count(row.serverMicrosPerConnection)} | ${(row.rssPerConnectionBytes / 1024).toFixed(1)} | ${(row.frontendRssPerConnectionBytes / 1024).toFixed(1)} | ${row.idleServerPercent.toFixed(1)} (${cpuCell(row.cpu)}) | ${ratioFor(summary.comparisons, row.setup, 'pinus', 'conn.rssPerConnection')} | ${ratioFor(summary.comparisons, row.setup, 'raw', 'conn.rssPerConnection')} |`,
    );
  }
  return lines.join('\n');
}

function planLine(plan: ScenarioPlan): string {
  const parts: string[] = [];
  if (plan.conn) {
    parts.push(
      `conn: ${plan.conn.clients.toLocaleString('en-US')} idle clients (handshake, heartbeat 30 s), ${plan.connectConcurrency} handshakes at once, ${plan.conn.sourceAddresses} source address(es), held ${plan.conn.holdMs} ms`,
    );
  }
  if (plan.rr) {
    parts.push(
      `rr: C = ${plan.rr.levels.join(', ')}, ${ECHO_BODY_BYTES}-byte JSON bodies, clients in ${plan.rr.rooms} rooms, ${plan.rr.warmupMs} ms warm-up then ${plan.rr.durationMs} ms measured`,
    );
  }
  if (plan.bcast) {
    parts.push(
      `bcast: C = ${plan.bcast.clients} in one room, ${plan.bcast.rate} msg/s, ${plan.bcast.warmupMs} ms warm-up then ${plan.bcast.durationMs} ms measured, pushes awaited up to ${plan.bcast.drainMs} ms after the last send`,
    );
  }
  if (plan.saturation) {
    const s = plan.saturation;
    parts.push(
      `saturation: from ${s.startRate} msg/s, × ${s.growth} per step (then ${s.refine} step(s) between the last rate kept up with and the first not), ${s.stepMs} ms steps; kept up = every push delivered in order and p99 ≤ ${s.keepUp.maxP99Ms} ms`,
    );
  }
  return parts.map((part) => `- ${part}.`).join('\n');
}

/** A titled table, or nothing when it has no rows. */
function section(title: string, rows: number, table: () => string): string[] {
  return rows === 0 ? [] : [title, '', table(), ''];
}

function measuredCell(check: TargetCheck): string {
  if (check.measured === null) return 'not measured';
  return check.unit === '×' ? `${check.measured.toFixed(2)}×` : `${check.measured.toFixed(2)} ${check.unit}`;
}

/** The header's line on each setup with a buffered push scheduler. */
function bufferedSetupLines(setups: readonly Setup[]): string[] {
  return setups.flatMap((setup) => {
    const flushMs = setup.pushFlushMs;
    if (flushMs === undefined) return [];
    const pomelo = flushMs === 20 ? ' at its default flushInterval' : '';
    const only =
      setup.scenarios === undefined
        ? ''
        : `; run in ${setup.scenarios.join(' and ')} only (it changes nothing in the other scenarios)`;
    return [
      `- **${setupName(setup)}**: the Shaddock app with \`connectorConfig.pushScheduler: { type: 'buffer', flushMs: ${flushMs} }\``,
      `  (Pomelo's buffer scheduler${pomelo}): pushes coalesced per connection and written every ${flushMs} ms,`,
      `  adding up to ${flushMs} ms of latency${only}.`,
    ];
  });
}

/** The whole report. */
export function frontendReport(
  setup: BenchSetup,
  plan: ScenarioPlan,
  result: FrontendBenchResult,
  summary: FrontendSummary,
  checks: readonly TargetCheck[],
  rpc: { readonly result: RpcBenchResult; readonly setup: BenchSetup; readonly source: string } | null,
): string {
  const failed = result.problems.length > 0;
  const checkLines = checks.map(
    (check) =>
      `| ${check.comparison} | ${check.name} | ${measuredCell(check)} | ${check.goal} | ${check.met ? '**met**' : `**missed**${check.missedBy ? ` (${check.missedBy})` : ''}`} |`,
  );
  return [
    '# Frontend: Shaddock vs Pinus vs raw ws',
    '',
    ...(failed
      ? ['**FAILED: the run had errors (below); runs with problems are left out of the figures.**', '']
      : []),
    `Node ${setup.node} (V8 ${setup.v8}), ${setup.platform}, ${setup.cpu} × ${setup.cpuCount}, ${setup.memoryGiB} GiB, ${setup.date}.`,
    `Each figure is the median of ${result.runs.length / Math.max(1, result.setups.length)} runs per setup, each run on a fresh cluster with a fresh load generator;`,
    'the setups take turns run by run (the first rotating). Every process on 127.0.0.1, unpinned (the scheduler places',
    `them alike for every target), the load generator (one process) sharing the ${setup.cpuCount} cores with the servers. CPU time`,
    `from /proc/<pid>/stat (utime + stime, ${clockTicksPerSecond()} ticks/s) of every server process (master included) over the`,
    'measured window; RSS from /proc/<pid>/status.',
    '',
    '- **Shaddock**: bench/apps/shaddock, the public `shaddock` API: hybrid connector, dictionary, JSON bodies, heartbeat 30 s;',
    '  `connector.entryHandler.enter` binds the uid and joins a room held by a `chat` server (`chatRemote`), `chat.chatHandler.echo`',
    '  answers the body, `chat.chatHandler.send` pushes `onChat` to the room; rooms routed to chat servers by a hash of the room.',
    '- **Pinus** 1.7.4: bench/apps/pinus, the same app in CommonJS, hybrid connector, `useDict`, no protobuf, heartbeat 30 s, logs at WARN.',
    '- **raw ws**: bench/apps/raw-ws, a plain `ws` server: a request frame is sent back as it came (echo), a notify frame to every',
    '  client (broadcast, one room), a canned handshake; the floor of WebSocket I/O in Node, no framework.',
    ...bufferedSetupLines(result.setups),
    '',
    'The load generator holds every client in one process: `ws` sockets speaking the Pomelo protocol through `@shaddock/protocol`',
    '(handshake, ACK, heartbeats, dictionary), the same client for every target. Every response is compared byte for byte with',
    'its request body, every push with what was sent, in order, once; a wrong, duplicated or lost one, a kick or a close by the',
    'server fails the run. Latency: `process.hrtime` from send to receipt (broadcasts carry their send time and are timed in the',
    'process that sent them). Server CPU per operation: all server processes’ CPU time over the window ÷ operations (requests,',
    'delivered pushes, connections). Ratios: medians of the runs’ paired ratios (Shaddock ÷ baseline).',
    '',
    planLine(plan),
    '',
    '## Targets',
    '',
    ...(checkLines.length === 0
      ? ['No target of the issue was measured in this run.']
      : [
          '| comparison | target | measured | goal | verdict |',
          '| --- | --- | ---: | ---: | --- |',
          ...checkLines,
        ]),
    '',
    ...section('## rr: one `echo` in flight per client', summary.rr.length, () => rrTable(summary)),
    ...section(
      '## bcast: one sender, every client in the room',
      summary.bcast.length,
      () =>
        `${bcastTable(summary)}\n\nKept up: every push delivered, in order, and p99 ≤ ${plan.bcast?.keepUp.maxP99Ms ?? '?'} ms; a target too slow for the rate delivers late (all pushes are awaited, up to ${plan.bcast?.drainMs ?? '?'} ms after the last send) and its delivered/s is what it managed. Latencies are recorded up to 2³² ns (4.3 s): a figure shown as ≥ 4,294 ms is at that ceiling, and a ratio against it is an upper bound.`,
    ),
    ...section('### Saturation search', summary.saturation.length, () => saturationTable(summary)),
    ...section(
      '## conn: idle heartbeating connections',
      summary.conn.length,
      () =>
        `${connTable(summary)}\n\nRSS per connection: the growth of the processes' RSS from before the clients connected to the end of the hold (the sessions live on the frontends: the ratios and the target use the frontends' growth; the other processes' RSS moves with their own GC), ÷ connections. Connects/s: from the first connect to the last handshake, ${plan.connectConcurrency} handshakes at once.`,
    ),
    ...(rpc === null
      ? []
      : [
          '## rpc: the RPC benchmark (bench/src/rpc)',
          '',
          `${rpc.source} ${rpcSetupLine(rpc.setup, rpc.result.placement)}`,
          '',
          rpcTable(rpc.result.rows, rpc.result.comparisons),
          ...(rpc.result.problems.length > 0
            ? ['', ...rpc.result.problems.map((problem) => `- rpc: ${problem}`)]
            : []),
          '',
        ]),
    ...(failed
      ? ['## Problems', '', ...result.problems.map((problem) => `- ${problem.replaceAll('\n', '\n  ')}`), '']
      : []),
  ].join('\n');
}
