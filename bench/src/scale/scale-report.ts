/** The scale-out benchmarks' Markdown report: membership eviction and global-channel push. */
import type { BenchSetup } from '../measure.js';
import { clockTicksPerSecond } from '../process-cpu.js';
import type { EvictionResult } from './eviction.js';
import { PUSH_ROUTES, type PushResult, ROOM } from './push.js';

/** What one run measured (a part left out is null). */
export interface ScaleOutcome {
  readonly setup: BenchSetup;
  readonly quick: boolean;
  readonly natsPort: number;
  readonly redisUrl: string;
  readonly eviction: (EvictionResult & { readonly repetitions: number }) | null;
  readonly push:
    | (PushResult & { readonly windowMs: number; readonly warmupMs: number; readonly rounds: number })
    | null;
}

const FAULT_LABELS = {
  freeze: 'frozen (`SIGSTOP`), then thawed (`SIGCONT`)',
  kill: 'killed (`SIGKILL`), then started again',
} as const;

function ms(value: number): string {
  if (!Number.isFinite(value)) return '—';
  return value < 100 ? value.toFixed(1) : Math.round(value).toLocaleString('en-US');
}

function micros(value: number | null): string {
  return value === null || !Number.isFinite(value) ? '—' : value.toFixed(2);
}

function ratio(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(2)}×` : '—';
}

function evictionSection(eviction: NonNullable<ScaleOutcome['eviction']>, natsPort: number): string[] {
  const lines = [
    '## Membership: time to evict a server that stops answering',
    '',
    `Two processes on \`NatsMembership\` (@shaddock/nats, default timing: heartbeat every 250 ms, a member silent`,
    `750 ms is dropped, silences checked every 100 ms) in one cluster, through the nats-server at 127.0.0.1:${natsPort}`,
    '(JetStream KV, memory storage): an observer, and a member. The member is frozen or killed at a random point',
    'between two of its heartbeats; **evicted**: from the signal to the `remove` in the observer’s view; **back**:',
    'from `SIGCONT` (or from spawning the new process, after a kill) to the `add` in the observer’s view. Both are read',
    'on the machine’s monotonic clock (`process.hrtime`, the observer stamping its news as it happens).',
    `${eviction.repetitions} repetitions of each fault.`,
    '',
    '| fault | n | evicted: median ms | min ms | max ms | back: median ms | max ms |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const row of eviction.rows) {
    lines.push(
      `| ${FAULT_LABELS[row.fault]} | ${row.samples} | ${ms(row.medianMs)} | ${ms(row.minMs)} | ${ms(row.maxMs)} | ${ms(row.rejoinMedianMs)} | ${ms(row.rejoinMaxMs)} |`,
    );
  }
  if (eviction.rows.length === 0) lines.push('| (nothing measured) | | | | | | |');
  const kill = eviction.rows.find((row) => row.fault === 'kill');
  if (kill)
    lines.push(
      '',
      'Back after a kill includes starting Node and connecting to NATS, and the new process waiting, if it still sees',
      'the dead one’s entry, until that has been silent for 750 ms before it announces the same id.',
    );
  return lines;
}

function pushSection(push: NonNullable<ScaleOutcome['push']>): string[] {
  const ids = [...new Set(push.rows.flatMap((row) => Object.keys(row.percent)))]
    .filter((id) => id !== 'redis')
    .sort();
  const lines = [
    '## Global channel push vs local channel push',
    '',
    `${push.clients.toLocaleString('en-US')} clients spread over ${push.connectors} connectors (round robin), all in room \`${ROOM}\` of one backend`,
    '(`chat-1`), which keeps the room twice: as a local channel (`app.channelService`, members in its memory) and as',
    'a global channel (`GlobalChannelService` from @shaddock/redis, members in Redis). One client sends',
    `${push.rate} notifies/s; per notify the backend pushes \`onChat\` to all ${push.clients.toLocaleString('en-US')} members, **local**:`,
    `\`channel.pushMessage\` (\`${PUSH_ROUTES.local}\`), **global**: \`globalChannelService.pushMessage('connector', 'onChat', msg, '${ROOM}')\``,
    `(\`${PUSH_ROUTES.global}\`: the members read from Redis in one script call, then one \`channelRemote\` call per connector).`,
    `App: bench/apps/shaddock-scale, started by its master (master membership, RPC over TCP); the load generator`,
    '(one process, the frontend benchmark’s client) checks every push, in order, once, byte for byte.',
    `Each figure is the median of ${push.rounds} windows of ${push.windowMs} ms per mode, the modes taking turns window by window`,
    `(the first rotating), after ${push.warmupMs} ms of warm-up each. **Server CPU µs/push**: the CPU time of the connectors`,
    'and the backend over the window ÷ pushes delivered (the idle master left out); **Redis µs/push**: redis-server’s',
    `${push.redisFound ? '(found by its port)' : '(not found: not counted)'} likewise, apart (it is shared: anything else using it counts too).`,
    'Ratios: global ÷ local, the median of the rounds’ paired ratios.',
    '',
    `| mode | windows kept up | delivered pushes/s | p50 ms | p99 ms | server CPU µs/push | Redis CPU µs/push | server CPU % (per process) | Redis CPU % | load gen % |`,
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |',
  ];
  for (const row of push.rows) {
    lines.push(
      [
        '',
        row.mode,
        `${row.keptUp}/${row.rounds}`,
        Math.round(row.deliveredPerSecond).toLocaleString('en-US'),
        ms(row.p50Ms),
        ms(row.p99Ms),
        micros(row.serverMicrosPerPush),
        micros(row.redisMicrosPerPush),
        ids.map((id) => `${id} ${(row.percent[id] ?? Number.NaN).toFixed(0)}`).join(' · '),
        row.percent.redis === undefined ? '—' : row.percent.redis.toFixed(0),
        row.loaderPercent.toFixed(0),
        '',
      ]
        .join(' | ')
        .trim(),
    );
  }
  lines.push(
    '',
    `Global ÷ local, server CPU per delivered push: **${ratio(push.serverCpuRatio)}**; server + Redis CPU per delivered push: **${ratio(push.totalCpuRatio)}**.`,
    '',
    'Kept up: every push delivered, in order, and p99 ≤ 250 ms; a window that did not keep up still counts its CPU per',
    'push delivered.',
  );
  return lines;
}

/** The whole report. */
export function scaleReport(outcome: ScaleOutcome): string {
  const { setup } = outcome;
  const problems = [...(outcome.eviction?.problems ?? []), ...(outcome.push?.problems ?? [])];
  return [
    '# Scale-out: membership eviction and global-channel push',
    '',
    ...(problems.length > 0 ? ['**FAILED: the run had errors (below); its figures do not count.**', ''] : []),
    `Node ${setup.node} (V8 ${setup.v8}), ${setup.platform}, ${setup.cpu} × ${setup.cpuCount}, ${setup.memoryGiB} GiB,`,
    `${setup.date}${outcome.quick ? ' (`--quick`)' : ''}. Every process on 127.0.0.1, unpinned; the nats-server and redis-server are the`,
    `machine’s own (127.0.0.1:${outcome.natsPort}, ${outcome.redisUrl.replace(/\/\/[^@/]*@/, '//')}). CPU time from /proc/<pid>/stat (utime + stime,`,
    `${clockTicksPerSecond()} ticks/s). The RPC benchmark’s NATS link figures are in bench/results/rpc.md (target “Shaddock over NATS”).`,
    '',
    ...(outcome.eviction ? [...evictionSection(outcome.eviction, outcome.natsPort), ''] : []),
    ...(outcome.push ? [...pushSection(outcome.push), ''] : []),
    ...(problems.length > 0 ? ['Problems:', '', ...problems.map((problem) => `- ${problem}`), ''] : []),
  ].join('\n');
}
