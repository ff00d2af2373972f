/**
 * The global-push benchmark: N clients spread over two connectors, all in one room of one backend,
 * which pushes each message to the room (a) through its local channel (`channelService`, members in
 * its memory) and (b) through the global channel (`GlobalChannelService.pushMessage('connector', …)`,
 * members in Redis), at one fixed rate, side by side: the two take turns window by window (the first
 * rotating), on the same cluster, clients and load generator. The CPU time of the servers
 * (connectors + backend) and, apart, of redis-server is read from /proc around every window.
 */
import { RedisChannelStore } from '@shaddock/redis';
import { getLogger } from 'shaddock';
import { LoaderProcess } from '../frontend/loader-process.js';
import {
  type BroadcastMeasurement,
  ensureClients,
  HealthTracker,
  type KeepUp,
  measureBroadcast,
} from '../frontend/scenarios.js';
import { median } from '../measure.js';
import type { LatencySummary } from '../rpc/latency-histogram.js';
import { pidListeningOn } from '../rpc/listening-process.js';
import { type ScaleCluster, startScaleCluster } from './push-cluster.js';

/** The two ways the backend pushes to the room. */
export const PUSH_MODES = ['local', 'global'] as const;
export type PushMode = (typeof PUSH_MODES)[number];

/** The scale app's handler route of each mode (bench/apps/shaddock-scale). */
export const PUSH_ROUTES: Readonly<Record<PushMode, string>> = {
  local: 'chat.chatHandler.send',
  global: 'chat.chatHandler.sendGlobal',
};

/** The room every client enters. */
export const ROOM = 'world';
/** The id redis-server's CPU is reported under. */
const REDIS_ID = 'redis';

export interface PushOptions {
  readonly clients: number;
  /** Connectors the clients are spread over (round robin). */
  readonly connectors: number;
  /** Messages per second, each pushed to every client. */
  readonly rate: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  /** The longest wait for the last pushes after the last send. */
  readonly drainMs: number;
  readonly rounds: number;
  /** Default `redis://127.0.0.1:6379`. */
  readonly redisUrl?: string;
  readonly keepUp?: KeepUp;
  readonly log?: (line: string) => void;
}

/** One window of one mode. */
export interface PushMeasurement {
  readonly mode: PushMode;
  /** 0: warm-up. */
  readonly round: number;
  readonly clients: number;
  readonly rate: number;
  readonly sent: number;
  readonly expected: number;
  readonly delivered: number;
  readonly deliveredPerSecond: number;
  readonly latency: LatencySummary;
  /** Connectors + backend CPU time over the window, in µs. */
  readonly serverMicros: number;
  readonly serverMicrosPerPush: number;
  /** redis-server's CPU time over the window; null when its process was not found. */
  readonly redisMicros: number | null;
  readonly redisMicrosPerPush: number | null;
  /** % of one core, per server process (and `redis`). */
  readonly percent: Readonly<Record<string, number>>;
  readonly loaderPercent: number;
  /** Wrong, duplicated pushes, connection problems: a failure. */
  readonly problems: readonly string[];
  /** Late or lost pushes: the rate was too high for it (not a failure, but its figures are a floor). */
  readonly behind: readonly string[];
}

/** The median over the rounds of one mode. */
export interface PushRow {
  readonly mode: PushMode;
  readonly rounds: number;
  /** Rounds in which every push came, in order and in time. */
  readonly keptUp: number;
  readonly deliveredPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly serverMicrosPerPush: number;
  readonly redisMicrosPerPush: number | null;
  readonly percent: Readonly<Record<string, number>>;
  readonly loaderPercent: number;
}

export interface PushResult {
  readonly clients: number;
  readonly connectors: number;
  readonly rate: number;
  /** Whether redis-server's pid was found (its CPU read). */
  readonly redisFound: boolean;
  /** Every process the run started (master, servers, load generator): all gone when it returns. */
  readonly pids: readonly number[];
  readonly warmups: readonly PushMeasurement[];
  readonly measurements: readonly PushMeasurement[];
  readonly rows: readonly PushRow[];
  /** Global ÷ local server CPU per delivered push: the median of the rounds' paired ratios. */
  readonly serverCpuRatio: number;
  /** Global ÷ local server + Redis CPU per delivered push, paired likewise (NaN without Redis's). */
  readonly totalCpuRatio: number;
  readonly problems: readonly string[];
}

const CONNECT_CONCURRENCY = 100;
const DEFAULT_KEEP_UP: KeepUp = { maxP99Ms: 250 };

/** Runs the benchmark; the cluster and the load generator are stopped, the room's keys deleted, when it returns. */
export async function runPushBenchmark(options: PushOptions): Promise<PushResult> {
  const log = options.log ?? (() => {});
  const redisUrl = options.redisUrl ?? 'redis://127.0.0.1:6379';
  const keepUp = options.keepUp ?? DEFAULT_KEEP_UP;
  const cluster = `bench-push-${process.pid}-${Date.now().toString(36)}`;
  const warmups: PushMeasurement[] = [];
  const measurements: PushMeasurement[] = [];
  const problems: string[] = [];
  let running: ScaleCluster | undefined;
  let loader: LoaderProcess | undefined;
  let redisFound = false;
  const pids: number[] = [];
  try {
    log(`push: starting 1 master, ${options.connectors} connectors and 1 chat server`);
    running = await startScaleCluster({ connectors: options.connectors, redisUrl, cluster });
    pids.push(running.masterPid, ...running.processes.map((entry) => entry.pid));
    loader = await LoaderProcess.start(log);
    pids.push(loader.pid);
    const health = new HealthTracker();
    const joined = await ensureClients(
      running,
      loader,
      options.clients,
      0,
      { roomPrefix: ROOM, rooms: 1 },
      CONNECT_CONCURRENCY,
      health,
    );
    problems.push(...joined.problems);
    log(`push: ${joined.held} clients in room ${ROOM}`);
    const redisPid = pidListeningOn(Number(new URL(redisUrl).port || 6379));
    redisFound = redisPid !== undefined;
    if (!redisFound) log(`push: no process found listening for ${redisUrl}: Redis's CPU is not counted`);
    const target = {
      ...running,
      processes: [
        ...running.processes,
        ...(redisPid === undefined ? [] : [{ id: REDIS_ID, frontend: false, pid: redisPid }]),
      ],
    };
    const window = async (mode: PushMode, round: number, durationMs: number): Promise<PushMeasurement> => {
      const broadcast = await measureBroadcast(
        target,
        loader!,
        options.rate,
        durationMs,
        options.drainMs,
        keepUp,
        health,
        PUSH_ROUTES[mode],
      );
      const measurement = pushMeasurement(mode, round, broadcast);
      log(`push  ${round === 0 ? 'warm-up ' : `round ${round}/${options.rounds}`}  ${describe(measurement)}`);
      return measurement;
    };
    for (const mode of PUSH_MODES) warmups.push(await window(mode, 0, options.warmupMs));
    for (let round = 1; round <= options.rounds; round++) {
      for (let turn = 0; turn < PUSH_MODES.length; turn++) {
        const mode = PUSH_MODES[(turn + round) % PUSH_MODES.length]!;
        measurements.push(await window(mode, round, options.durationMs));
      }
    }
  } catch (error) {
    problems.push(error instanceof Error ? error.message : String(error));
  } finally {
    await loader?.stop();
    await running?.stop();
    await forgetRoom(redisUrl, cluster).catch((error: unknown) =>
      log(`push: could not delete the global channel's keys: ${String(error)}`),
    );
  }
  for (const m of [...warmups, ...measurements]) {
    const where = `${m.mode}, ${m.round === 0 ? 'warm-up' : `round ${m.round}`}`;
    problems.push(...m.problems.map((problem) => `${where}: ${problem}`));
  }
  return {
    clients: options.clients,
    connectors: options.connectors,
    rate: options.rate,
    redisFound,
    pids,
    warmups,
    measurements,
    rows: PUSH_MODES.flatMap((mode) => summarize(measurements, mode)),
    serverCpuRatio: pairedRatio(measurements, (m) => m.serverMicrosPerPush),
    totalCpuRatio: pairedRatio(measurements, (m) =>
      m.redisMicrosPerPush === null ? Number.NaN : m.serverMicrosPerPush + m.redisMicrosPerPush,
    ),
    problems,
  };
}

function pushMeasurement(mode: PushMode, round: number, b: BroadcastMeasurement): PushMeasurement {
  const servers = b.cpu.processes.filter((entry) => entry.id !== REDIS_ID);
  const redis = b.cpu.processes.find((entry) => entry.id === REDIS_ID);
  const serverMicros = servers.reduce((sum, entry) => sum + entry.cpuMicros, 0);
  const perPush = (micros: number): number => (b.delivered > 0 ? micros / b.delivered : Number.NaN);
  return {
    mode,
    round,
    clients: b.clients,
    rate: b.rate,
    sent: b.expected / Math.max(1, b.clients),
    expected: b.expected,
    delivered: b.delivered,
    deliveredPerSecond: b.deliveredPushesPerSecond,
    latency: b.latency,
    serverMicros,
    serverMicrosPerPush: perPush(serverMicros),
    redisMicros: redis ? redis.cpuMicros : null,
    redisMicrosPerPush: redis ? perPush(redis.cpuMicros) : null,
    percent: Object.fromEntries(b.cpu.processes.map((entry) => [entry.id, entry.percent])),
    loaderPercent: b.cpu.loader.percent,
    problems: [...b.problems, ...b.closes],
    behind: b.behind.filter((line) => !b.closes.includes(line)),
  };
}

function summarize(measurements: readonly PushMeasurement[], mode: PushMode): PushRow[] {
  const mine = measurements.filter((m) => m.mode === mode);
  if (mine.length === 0) return [];
  const mid = (pick: (m: PushMeasurement) => number): number => median(mine.map(pick));
  const ids = [...new Set(mine.flatMap((m) => Object.keys(m.percent)))];
  return [
    {
      mode,
      rounds: mine.length,
      keptUp: mine.filter((m) => m.behind.length === 0 && m.problems.length === 0).length,
      deliveredPerSecond: mid((m) => m.deliveredPerSecond),
      p50Ms: mid((m) => m.latency.p50Ns / 1e6),
      p99Ms: mid((m) => m.latency.p99Ns / 1e6),
      serverMicrosPerPush: mid((m) => m.serverMicrosPerPush),
      redisMicrosPerPush: mine.some((m) => m.redisMicrosPerPush === null)
        ? null
        : mid((m) => m.redisMicrosPerPush ?? 0),
      percent: Object.fromEntries(ids.map((id) => [id, mid((m) => m.percent[id] ?? Number.NaN)])),
      loaderPercent: mid((m) => m.loaderPercent),
    },
  ];
}

/** The median over rounds of global ÷ local of `pick`. */
function pairedRatio(measurements: readonly PushMeasurement[], pick: (m: PushMeasurement) => number): number {
  const ratios: number[] = [];
  for (const global of measurements.filter((m) => m.mode === 'global')) {
    const local = measurements.find((m) => m.mode === 'local' && m.round === global.round);
    if (local) ratios.push(pick(global) / pick(local));
  }
  return median(ratios);
}

function describe(m: PushMeasurement): string {
  const status =
    m.problems.length > 0
      ? `FAILED: ${m.problems.join('; ')}`
      : m.behind.length > 0
        ? `behind: ${m.behind.join('; ')}`
        : 'ok';
  return [
    m.mode.padEnd(6),
    `${Math.round(m.deliveredPerSecond).toLocaleString('en-US').padStart(8)} pushes/s`,
    `p50 ${(m.latency.p50Ns / 1e6).toFixed(1)} ms`,
    `p99 ${(m.latency.p99Ns / 1e6).toFixed(1)} ms`,
    `servers ${m.serverMicrosPerPush.toFixed(2)} µs/push`,
    `redis ${m.redisMicrosPerPush === null ? '—' : m.redisMicrosPerPush.toFixed(2)} µs/push`,
    Object.entries(m.percent)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([id, percent]) => `${id} ${percent.toFixed(0)}%`)
      .join(' · '),
    `load gen ${m.loaderPercent.toFixed(0)}%`,
    status,
  ].join('  ');
}

/** Deletes the room's global channel, so runs leave nothing behind in the shared Redis. */
async function forgetRoom(url: string, cluster: string): Promise<void> {
  const store = new RedisChannelStore({ url, cluster, logger: getLogger('bench') });
  try {
    await store.connect();
    await store.destroy(ROOM);
  } finally {
    await store.close();
  }
}
