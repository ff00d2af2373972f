/**
 * The scenarios as the orchestrator runs them on one running target: each drives the load
 * generator, reads the CPU time of every server process (and of the load generator) from /proc
 * around the measured window, and checks what the load generator saw.
 */
import { cpuUsed, readProcessCpu, readProcessIo, readProcessRss } from '../process-cpu.js';
import type { LatencySummary } from '../rpc/latency-histogram.js';
import type { Answer, LoaderProcess } from './loader-process.js';
import type { BroadcastResult, LoaderHealth, LoaderResult } from './loader-protocol.js';
import type { RunningTarget } from './targets.js';

/** One process's CPU over a window. */
export interface ProcessCpu {
  readonly id: string;
  readonly pid: number;
  readonly cpuMicros: number;
  /** % of one core. */
  readonly percent: number;
  /** Read-family and write-family system calls (socket reads and writes) in the window. */
  readonly reads: number;
  readonly writes: number;
}

/** The CPU every server process, and the load generator, used over one measured window. */
export interface CpuWindow {
  readonly wallMicros: number;
  /** All server processes together. */
  readonly serverMicros: number;
  /** Read and write system calls of all server processes together. */
  readonly serverReads: number;
  readonly serverWrites: number;
  readonly processes: readonly ProcessCpu[];
  readonly loader: ProcessCpu;
}

export interface RequestResponseMeasurement {
  readonly scenario: 'rr';
  readonly clients: number;
  readonly requestsPerSecond: number;
  readonly requests: number;
  readonly latency: LatencySummary;
  readonly cpu: CpuWindow;
  /** Server CPU µs per request. */
  readonly serverMicrosPerOp: number;
  readonly problems: readonly string[];
}

export interface BroadcastMeasurement {
  readonly scenario: 'bcast';
  readonly clients: number;
  /** Messages sent per second. */
  readonly rate: number;
  /** rate × clients. */
  readonly offeredPushesPerSecond: number;
  /** Pushes delivered ÷ (first send → last push in). */
  readonly deliveredPushesPerSecond: number;
  /** Delivered ÷ expected. */
  readonly deliveryRatio: number;
  readonly delivered: number;
  readonly expected: number;
  readonly latency: LatencySummary;
  readonly cpu: CpuWindow;
  /** Server CPU µs per delivered push. */
  readonly serverMicrosPerOp: number;
  readonly senderLagMs: number;
  /** Pushes that never came (nor were still coming when the drain ended), gaps included. */
  readonly lost: number;
  /** Connection problems during the window (a client dropped as too slow, say). */
  readonly closes: readonly string[];
  /** Wrong pushes: corrupt or duplicated ones, or nothing sent. Always a failure. */
  readonly problems: readonly string[];
  /** Why it did not keep up (late, lost or still arriving pushes, clients dropped); empty when it did. */
  readonly behind: readonly string[];
}

export interface ConnectionMeasurement {
  readonly scenario: 'conn';
  readonly clients: number;
  readonly connected: number;
  readonly connectsPerSecond: number;
  readonly connectCpu: CpuWindow;
  /** Server CPU µs per connection made (handshake included). */
  readonly serverMicrosPerConnection: number;
  /** The idle, heartbeating clients held, after they all connected. */
  readonly idleCpu: CpuWindow;
  readonly rssBeforeBytes: number;
  readonly rssAfterBytes: number;
  /** Growth of all server processes' RSS ÷ connections. */
  readonly rssPerConnectionBytes: number;
  /** Growth of the frontends' RSS alone ÷ connections. */
  readonly frontendRssPerConnectionBytes: number;
  readonly problems: readonly string[];
}

export interface SaturationMeasurement {
  readonly scenario: 'saturation';
  readonly clients: number;
  readonly steps: readonly BroadcastMeasurement[];
  /** The highest rate kept up with (0: not even the first). */
  readonly sustainedRate: number;
  readonly sustainedPushesPerSecond: number;
  /** The first rate not kept up with; null when the search reached its cap. */
  readonly failedRate: number | null;
  /** The load generator itself was over 90% busy at the sustained rate: the figure is a floor. */
  readonly loaderBound: boolean;
  readonly problems: readonly string[];
}

/**
 * The load generator's problems (kicks, closes by the server, bad frames) are counted since it
 * started; this tells each scenario the ones that are new since the last look.
 */
export class HealthTracker {
  #last: LoaderHealth = { problems: 0, firstProblem: null, strayPushes: 0 };

  /** The new problems in `health`, as lines; `health` becomes the last look. */
  take(health: LoaderHealth): string[] {
    const count = health.problems - this.#last.problems;
    this.#last = health;
    return count > 0 ? [`${count} connection problems (first so far: ${health.firstProblem ?? '?'})`] : [];
  }
}

/** Runs `work` between two CPU samples of every server process and of the load generator. */
async function measured<R extends LoaderResult>(
  target: RunningTarget,
  loader: LoaderProcess,
  work: () => Promise<Answer<R>>,
): Promise<{ answer: Answer<R>; cpu: CpuWindow }> {
  const ioBefore = target.processes.map((entry) => readProcessIo(entry.pid));
  const before = target.processes.map((entry) => readProcessCpu(entry.pid));
  const loaderIoBefore = readProcessIo(loader.pid);
  const loaderBefore = readProcessCpu(loader.pid);
  const answer = await work();
  const after = target.processes.map((entry) => readProcessCpu(entry.pid));
  const loaderUsed = cpuUsed(loaderBefore, readProcessCpu(loader.pid));
  const ioAfter = target.processes.map((entry) => readProcessIo(entry.pid));
  const loaderIoAfter = readProcessIo(loader.pid);
  const processes = target.processes.map((entry, index): ProcessCpu => {
    const used = cpuUsed(before[index]!, after[index]!);
    return {
      id: entry.id,
      pid: entry.pid,
      cpuMicros: used.totalMicros,
      percent: used.percent,
      reads: ioAfter[index]!.reads - ioBefore[index]!.reads,
      writes: ioAfter[index]!.writes - ioBefore[index]!.writes,
    };
  });
  return {
    answer,
    cpu: {
      wallMicros: loaderUsed.wallMicros,
      serverMicros: processes.reduce((sum, entry) => sum + entry.cpuMicros, 0),
      serverReads: processes.reduce((sum, entry) => sum + entry.reads, 0),
      serverWrites: processes.reduce((sum, entry) => sum + entry.writes, 0),
      processes,
      loader: {
        id: 'load generator',
        pid: loader.pid,
        cpuMicros: loaderUsed.totalMicros,
        percent: loaderUsed.percent,
        reads: loaderIoAfter.reads - loaderIoBefore.reads,
        writes: loaderIoAfter.writes - loaderIoBefore.writes,
      },
    },
  };
}

function perOp(micros: number, operations: number): number {
  return operations > 0 ? micros / operations : Number.NaN;
}

/** Makes sure `clients` clients are connected and in rooms `<prefix>-<i mod rooms>`; connects the missing ones. */
export async function ensureClients(
  target: RunningTarget,
  loader: LoaderProcess,
  clients: number,
  held: number,
  enter: { roomPrefix: string; rooms: number },
  concurrency: number,
  health: HealthTracker,
): Promise<{ held: number; problems: string[] }> {
  if (clients <= held) return { held, problems: [] };
  const answer = await loader.connect({
    endpoints: target.endpoints,
    style: target.target === 'raw' ? 'raw' : 'pomelo',
    count: clients - held,
    concurrency,
    sourceAddresses: 1,
    enter,
  });
  const { result } = answer;
  const problems = health.take(answer.health);
  if (result.failed > 0)
    problems.push(`${result.failed} clients failed to connect: ${result.firstError ?? '?'}`);
  return { held: result.clients, problems };
}

/** `rr`: warm-up, then one measured window of `durationMs`. */
export async function measureRequestResponse(
  target: RunningTarget,
  loader: LoaderProcess,
  clients: number,
  warmupMs: number,
  durationMs: number,
  health: HealthTracker,
): Promise<RequestResponseMeasurement> {
  const warm = await loader.requestResponse({ durationMs: warmupMs });
  const { answer, cpu } = await measured(target, loader, () => loader.requestResponse({ durationMs }));
  const { result } = answer;
  const problems = health.take(answer.health);
  for (const run of [warm.result, result]) {
    if (run.mismatches > 0) problems.push(`${run.mismatches} responses differed from their request`);
    if (run.unanswered > 0) problems.push(`${run.unanswered} requests got no response`);
    if (run.firstError !== null && run.mismatches + run.unanswered > 0)
      problems.push(`first: ${run.firstError}`);
  }
  if (result.clients !== clients)
    problems.push(`${result.clients} clients took part, ${clients} were asked for`);
  if (result.requests === 0) problems.push('no request completed');
  return {
    scenario: 'rr',
    clients: result.clients,
    requestsPerSecond: result.elapsedNs > 0 ? (result.requests * 1e9) / result.elapsedNs : 0,
    requests: result.requests,
    latency: result.latency,
    cpu,
    serverMicrosPerOp: perOp(cpu.serverMicros, result.requests),
    problems,
  };
}

/** What a broadcast step must show to count as kept up with. */
export interface KeepUp {
  /** The largest p99 delivery latency of a target that keeps up, in ms. */
  readonly maxP99Ms: number;
}

/**
 * One broadcast window at `rate` messages/s (each to every client), checked push by push; the
 * notifies go to `route` (default `chat.chatHandler.send`).
 */
export async function measureBroadcast(
  target: RunningTarget,
  loader: LoaderProcess,
  rate: number,
  durationMs: number,
  drainMs: number,
  keepUp: KeepUp,
  health: HealthTracker,
  route?: string,
): Promise<BroadcastMeasurement> {
  const { answer, cpu } = await measured(target, loader, () =>
    loader.broadcast({ rate, durationMs, drainMs, ...(route === undefined ? {} : { route }) }),
  );
  return broadcastMeasurement(answer, cpu, keepUp, health.take(answer.health));
}

function broadcastMeasurement(
  answer: Answer<BroadcastResult>,
  cpu: CpuWindow,
  keepUp: KeepUp,
  closes: readonly string[],
): BroadcastMeasurement {
  const { result } = answer;
  const problems: string[] = [];
  if (result.corrupt > 0)
    problems.push(`${result.corrupt} pushes were not what was sent (first: ${result.firstError ?? '?'})`);
  if (result.duplicates > 0) problems.push(`${result.duplicates} pushes arrived twice`);
  if (result.sent === 0) problems.push('nothing was sent');
  const missing = result.expected - result.delivered;
  const lost = result.stillArriving ? result.gaps : missing;
  // a client dropped by the server (say, as too slow) is a target falling behind
  const behind: string[] = [...closes];
  if (lost > 0) behind.push(`${lost} of ${result.expected} pushes lost`);
  if (result.stillArriving)
    behind.push(`${missing} of ${result.expected} pushes still arriving when the drain ended`);
  const p99Ms = result.latency.p99Ns / 1e6;
  if (!(p99Ms <= keepUp.maxP99Ms)) behind.push(`p99 ${p99Ms.toFixed(1)} ms over ${keepUp.maxP99Ms} ms`);
  return {
    scenario: 'bcast',
    clients: result.clients,
    rate: result.rate,
    offeredPushesPerSecond: result.rate * result.clients,
    deliveredPushesPerSecond: result.elapsedNs > 0 ? (result.delivered * 1e9) / result.elapsedNs : 0,
    deliveryRatio: result.expected > 0 ? result.delivered / result.expected : 0,
    delivered: result.delivered,
    expected: result.expected,
    latency: result.latency,
    cpu,
    serverMicrosPerOp: perOp(cpu.serverMicros, result.delivered),
    senderLagMs: result.senderLagMs,
    lost,
    closes,
    problems,
    behind,
  };
}

/** How the saturation search raises the rate. */
export interface SaturationPlan {
  readonly startRate: number;
  /** Each step's rate is the last one's × this, until a step is not kept up with. */
  readonly growth: number;
  readonly maxRate: number;
  readonly stepMs: number;
  readonly drainMs: number;
  /** Steps between the last rate kept up with and the first not, when the clients are all still there. */
  readonly refine: number;
  readonly keepUp: KeepUp;
}

/** Raises the broadcast rate until the target falls behind; `onStep` hears each step. */
export async function searchSaturation(
  target: RunningTarget,
  loader: LoaderProcess,
  plan: SaturationPlan,
  health: HealthTracker,
  onStep: (step: BroadcastMeasurement) => void,
): Promise<SaturationMeasurement> {
  const steps: BroadcastMeasurement[] = [];
  let passed: BroadcastMeasurement | undefined;
  let failed: BroadcastMeasurement | undefined;
  const step = async (rate: number): Promise<BroadcastMeasurement> => {
    const measurement = await measureBroadcast(
      target,
      loader,
      rate,
      plan.stepMs,
      plan.drainMs,
      plan.keepUp,
      health,
    );
    steps.push(measurement);
    onStep(measurement);
    return measurement;
  };
  for (let rate = plan.startRate; rate <= plan.maxRate; rate = Math.round(rate * plan.growth)) {
    const measurement = await step(rate);
    if (measurement.problems.length > 0 || measurement.behind.length > 0) {
      failed = measurement;
      break;
    }
    passed = measurement;
  }
  // between the last pass and the first failure, while every client is still connected
  for (let index = 0; index < plan.refine && passed && failed; index++) {
    // only from a clean state: every client there, no backlog left
    if (
      failed.problems.length > 0 ||
      failed.closes.length > 0 ||
      failed.behind.some((line) => line.includes('still'))
    )
      break;
    const rate = Math.round(Math.sqrt(passed.rate * failed.rate));
    if (rate <= passed.rate || rate >= failed.rate) break;
    const measurement = await step(rate);
    if (measurement.problems.length > 0 || measurement.behind.length > 0) failed = measurement;
    else passed = measurement;
  }
  return {
    scenario: 'saturation',
    clients: steps[0]?.clients ?? 0,
    steps,
    sustainedRate: passed?.rate ?? 0,
    sustainedPushesPerSecond: passed ? passed.deliveredPushesPerSecond : 0,
    failedRate: failed?.rate ?? null,
    loaderBound: passed !== undefined && passed.cpu.loader.percent > 90,
    problems: steps.flatMap((entry) => entry.problems),
  };
}

/** Sum of the RSS of `pids`, in bytes. */
function rssOf(pids: readonly number[]): number {
  return pids.reduce((sum, pid) => sum + readProcessRss(pid), 0);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * `conn`: `clients` idle clients connect (handshake only), are held `holdMs` while they heartbeat,
 * and are closed again.
 */
export async function measureConnections(
  target: RunningTarget,
  loader: LoaderProcess,
  clients: number,
  options: { concurrency: number; sourceAddresses: number; holdMs: number },
  health: HealthTracker,
): Promise<ConnectionMeasurement> {
  const all = target.processes.map((entry) => entry.pid);
  const frontends = target.processes.filter((entry) => entry.frontend).map((entry) => entry.pid);
  const rssBefore = rssOf(all);
  const frontendBefore = rssOf(frontends);
  const { answer, cpu: connectCpu } = await measured(target, loader, () =>
    loader.connect({
      endpoints: target.endpoints,
      style: target.target === 'raw' ? 'raw' : 'pomelo',
      count: clients,
      concurrency: options.concurrency,
      sourceAddresses: options.sourceAddresses,
      enter: null,
    }),
  );
  const { result } = answer;
  const idle = await measured(target, loader, async () => {
    await sleep(options.holdMs);
    return answer;
  });
  const rssAfter = rssOf(all);
  const frontendAfter = rssOf(frontends);
  // closes while held (a heartbeat timeout, say) show in the disconnect's answer
  const closed = await loader.disconnect();
  const problems = [...health.take(answer.health), ...health.take(closed.health)];
  if (result.failed > 0)
    problems.push(`${result.failed} clients failed to connect: ${result.firstError ?? '?'}`);
  return {
    scenario: 'conn',
    clients,
    connected: result.connected,
    connectsPerSecond: result.elapsedNs > 0 ? (result.connected * 1e9) / result.elapsedNs : 0,
    connectCpu,
    serverMicrosPerConnection: perOp(connectCpu.serverMicros, result.connected),
    idleCpu: idle.cpu,
    rssBeforeBytes: rssBefore,
    rssAfterBytes: rssAfter,
    rssPerConnectionBytes: result.connected > 0 ? (rssAfter - rssBefore) / result.connected : Number.NaN,
    frontendRssPerConnectionBytes:
      result.connected > 0 ? (frontendAfter - frontendBefore) / result.connected : Number.NaN,
    problems,
  };
}
