/**
 * The frontend benchmark: for every setup (a target and its topology) and every run, a fresh
 * cluster and a fresh load generator; in it the scenarios in turn (`conn` first, on a cluster that
 * has served nothing yet, then `rr` at each client count, `bcast` at a fixed rate, and the
 * broadcast saturation search). The setups take turns run by run (the first rotating), so a busy
 * spell of the machine hits them alike; every process is gone before the next setup starts.
 */
import { LoaderProcess } from './loader-process.js';
import {
  type BroadcastMeasurement,
  type ConnectionMeasurement,
  ensureClients,
  HealthTracker,
  type KeepUp,
  measureBroadcast,
  measureConnections,
  measureRequestResponse,
  type RequestResponseMeasurement,
  type SaturationMeasurement,
  type SaturationPlan,
  searchSaturation,
} from './scenarios.js';
import {
  alive,
  type RunningTarget,
  startTarget,
  TARGET_LABELS,
  type TargetName,
  type Topology,
} from './targets.js';

/** The scenarios of a run, in the order they run. */
export const SCENARIOS = ['conn', 'rr', 'bcast', 'saturation'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

/** A target in a topology (and, for Shaddock, an option of the app). */
export interface Setup {
  readonly target: TargetName;
  readonly topology: Topology;
  /**
   * Shaddock only: the connector's push scheduler set to `{ type: 'buffer', flushMs }` (Pomelo's
   * buffer scheduler); without it the app keeps the default, `'direct'`.
   */
  readonly pushFlushMs?: number;
  /** The only scenarios it runs in (default: all of the plan's); saturation brings bcast along. */
  readonly scenarios?: readonly ScenarioName[];
}

/** `Shaddock 1+1`, `Pinus 2+2`, `raw ws`, `Shaddock 1+1 · buffer 20 ms`. */
export function setupName(setup: Setup): string {
  const { target, topology } = setup;
  if (target === 'raw') return TARGET_LABELS.raw;
  const base = `${TARGET_LABELS[target]} ${topology.connectors}+${topology.chats}`;
  return setup.pushFlushMs === undefined ? base : `${base} · buffer ${setup.pushFlushMs} ms`;
}

/** `shaddock-1x1`, `raw`, `shaddock-1x1-buffer20`. */
export function setupKey(setup: Setup): string {
  const { target, topology } = setup;
  if (target === 'raw') return 'raw';
  const base = `${target}-${topology.connectors}x${topology.chats}`;
  return setup.pushFlushMs === undefined ? base : `${base}-buffer${setup.pushFlushMs}`;
}

/** `plan` with the scenarios `setup` does not run in set to null. */
export function planFor(setup: Setup, plan: ScenarioPlan): ScenarioPlan {
  const only = setup.scenarios;
  if (only === undefined) return plan;
  const runs = (name: ScenarioName): boolean => only.includes(name);
  return {
    ...plan,
    conn: runs('conn') ? plan.conn : null,
    rr: runs('rr') ? plan.rr : null,
    bcast: runs('bcast') || runs('saturation') ? plan.bcast : null,
    saturation: runs('saturation') ? plan.saturation : null,
  };
}

/** What each run measures; a scenario set to null is skipped. */
export interface ScenarioPlan {
  /** Handshakes (and enters) in progress at once while connecting. */
  readonly connectConcurrency: number;
  readonly conn: {
    readonly clients: number;
    readonly holdMs: number;
    readonly sourceAddresses: number;
  } | null;
  readonly rr: {
    readonly levels: readonly number[];
    /** Clients enter rooms `room-<i mod rooms>`: spread over the chat servers. */
    readonly rooms: number;
    readonly warmupMs: number;
    readonly durationMs: number;
  } | null;
  readonly bcast: {
    readonly clients: number;
    readonly rate: number;
    readonly warmupMs: number;
    readonly durationMs: number;
    readonly drainMs: number;
    readonly keepUp: KeepUp;
  } | null;
  /** On the broadcast's clients (bcast must be on). */
  readonly saturation: SaturationPlan | null;
}

/** One run of one setup. */
export interface RunRecord {
  readonly setup: string;
  readonly run: number;
  readonly processes: readonly { readonly id: string; readonly pid: number }[];
  conn: ConnectionMeasurement | null;
  readonly rr: RequestResponseMeasurement[];
  bcast: BroadcastMeasurement | null;
  saturation: SaturationMeasurement | null;
  /** Everything that went wrong; a run with any failed. */
  readonly problems: string[];
  /** Processes of the run still alive after it stopped them (each one a problem too). */
  leftovers: number[];
}

export interface FrontendBenchOptions {
  readonly setups: readonly Setup[];
  readonly runs: number;
  readonly plan: ScenarioPlan;
  /** Node options for the Shaddock processes (and so `--cpu-prof`). */
  readonly shaddockNodeArgs?: readonly string[];
  readonly log?: (line: string) => void;
}

export interface FrontendBenchResult {
  readonly setups: readonly Setup[];
  readonly runs: readonly RunRecord[];
  /** Every problem of every run, prefixed with where it happened. */
  readonly problems: readonly string[];
}

const START_ATTEMPTS = 3;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}

/** Runs every setup `runs` times; every process is stopped (killed if need be) before it returns or throws. */
export async function runFrontendBenchmark(options: FrontendBenchOptions): Promise<FrontendBenchResult> {
  const log = options.log ?? (() => {});
  const records: RunRecord[] = [];
  const total = options.runs * options.setups.length;
  const started = Date.now();
  for (let run = 1; run <= options.runs; run++) {
    for (let turn = 0; turn < options.setups.length; turn++) {
      const setup = options.setups[(turn + run - 1) % options.setups.length]!;
      const done = records.length;
      const elapsed = Date.now() - started;
      const eta = done > 0 ? `, ~${formatDuration((elapsed / done) * (total - done))} left` : '';
      log(
        `[${done + 1}/${total}] run ${run}/${options.runs}: ${setupName(setup)} (${formatDuration(elapsed)} elapsed${eta})`,
      );
      records.push(await runOnce(setup, run, options, log));
    }
  }
  const problems = records.flatMap((record) =>
    record.problems.map((problem) => `${record.setup}, run ${record.run}: ${problem}`),
  );
  return { setups: options.setups, runs: records, problems };
}

/** One run of one setup on a fresh cluster. */
async function runOnce(
  setup: Setup,
  run: number,
  options: FrontendBenchOptions,
  log: (line: string) => void,
): Promise<RunRecord> {
  const name = setupName(setup);
  const record: RunRecord = {
    setup: setupKey(setup),
    run,
    processes: [],
    conn: null,
    rr: [],
    bcast: null,
    saturation: null,
    problems: [],
    leftovers: [],
  };
  const say = (line: string): void => log(`  ${name}: ${line}`);
  let target: RunningTarget | undefined;
  let loader: LoaderProcess | undefined;
  try {
    target = await startWithRetries(setup, options, say);
    Object.assign(record, { processes: target.processes.map(({ id, pid }) => ({ id, pid })) });
    loader = await LoaderProcess.start((line) => say(line));
    await scenarios(target, loader, planFor(setup, options.plan), record, say);
  } catch (error) {
    record.problems.push(`the run failed: ${error instanceof Error ? error.message : String(error)}`);
    if (target) record.problems.push(`last output:\n${target.output()}`);
  } finally {
    await loader?.stop();
    await target?.stop();
    const pids = [...record.processes.map((entry) => entry.pid), ...(loader ? [loader.pid] : [])];
    record.leftovers = pids.filter((pid) => alive(pid));
    if (record.leftovers.length > 0)
      record.problems.push(`processes left running: ${record.leftovers.join(', ')}`);
  }
  for (const problem of record.problems) say(`PROBLEM: ${problem}`);
  return record;
}

/** Start-up can lose a port picked free a moment before to another process: fresh ports, up to 3 tries. */
async function startWithRetries(
  setup: Setup,
  options: FrontendBenchOptions,
  say: (line: string) => void,
): Promise<RunningTarget> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startTarget(setup.target, {
        topology: setup.topology,
        ...(setup.target === 'shaddock' && options.shaddockNodeArgs
          ? { nodeArgs: options.shaddockNodeArgs }
          : {}),
        ...(setup.pushFlushMs === undefined ? {} : { pushFlushMs: setup.pushFlushMs }),
      });
    } catch (error) {
      if (attempt >= START_ATTEMPTS) throw error;
      const first = (error instanceof Error ? error.message : String(error)).split('\n')[0];
      say(`start-up failed (${first}); again with fresh ports`);
    }
  }
}

async function scenarios(
  target: RunningTarget,
  loader: LoaderProcess,
  plan: ScenarioPlan,
  record: RunRecord,
  say: (line: string) => void,
): Promise<void> {
  const health = new HealthTracker();
  const cpuLine = (cpu: {
    processes: readonly { id: string; percent: number }[];
    loader: { percent: number };
  }): string =>
    `CPU ${cpu.processes.map((entry) => `${entry.id} ${entry.percent.toFixed(0)}%`).join(', ')}; load generator ${cpu.loader.percent.toFixed(0)}%`;
  const status = (problems: readonly string[]): string =>
    problems.length === 0 ? 'ok' : `FAILED: ${problems.join('; ')}`;
  if (plan.conn) {
    const conn = await measureConnections(
      target,
      loader,
      plan.conn.clients,
      {
        concurrency: plan.connectConcurrency,
        sourceAddresses: plan.conn.sourceAddresses,
        holdMs: plan.conn.holdMs,
      },
      health,
    );
    record.conn = conn;
    record.problems.push(...conn.problems.map((problem) => `conn: ${problem}`));
    say(
      `conn ${conn.connected}/${conn.clients}: ${Math.round(conn.connectsPerSecond)} connects/s, ${conn.serverMicrosPerConnection.toFixed(0)} µs server CPU each, ${(conn.rssPerConnectionBytes / 1024).toFixed(1)} KiB RSS each; idle ${cpuLine(conn.idleCpu)}; ${status(conn.problems)}`,
    );
    // let the servers close the sessions before the next scenario
    await sleep(500);
  }
  let held = 0;
  if (plan.rr) {
    for (const clients of plan.rr.levels) {
      const joined = await ensureClients(
        target,
        loader,
        clients,
        held,
        { roomPrefix: 'room', rooms: plan.rr.rooms },
        plan.connectConcurrency,
        health,
      );
      held = joined.held;
      record.problems.push(...joined.problems.map((problem) => `rr C=${clients}: ${problem}`));
      const rr = await measureRequestResponse(
        target,
        loader,
        clients,
        plan.rr.warmupMs,
        plan.rr.durationMs,
        health,
      );
      record.rr.push(rr);
      record.problems.push(...rr.problems.map((problem) => `rr C=${clients}: ${problem}`));
      say(
        `rr C=${clients}: ${Math.round(rr.requestsPerSecond).toLocaleString('en-US')} req/s, p50 ${(rr.latency.p50Ns / 1e6).toFixed(2)} ms, p99 ${(rr.latency.p99Ns / 1e6).toFixed(2)} ms, ${rr.serverMicrosPerOp.toFixed(1)} µs server CPU/req, ${((rr.cpu.serverReads + rr.cpu.serverWrites) / rr.requests).toFixed(2)} server syscalls/req; ${cpuLine(rr.cpu)}; ${status(rr.problems)}`,
      );
    }
  }
  if (plan.bcast) {
    const { bcast } = plan;
    if (held > 0) {
      const closed = await loader.disconnect();
      record.problems.push(...health.take(closed.health).map((problem) => `rr: ${problem}`));
      await sleep(300);
    }
    const joined = await ensureClients(
      target,
      loader,
      bcast.clients,
      0,
      { roomPrefix: 'bcast', rooms: 1 },
      plan.connectConcurrency,
      health,
    );
    record.problems.push(...joined.problems.map((problem) => `bcast: ${problem}`));
    const warm = await measureBroadcast(
      target,
      loader,
      bcast.rate,
      bcast.warmupMs,
      bcast.drainMs,
      bcast.keepUp,
      health,
    );
    record.problems.push(
      ...[...warm.problems, ...missing(warm)].map((problem) => `bcast warm-up: ${problem}`),
    );
    const measured = await measureBroadcast(
      target,
      loader,
      bcast.rate,
      bcast.durationMs,
      bcast.drainMs,
      bcast.keepUp,
      health,
    );
    record.bcast = measured;
    record.problems.push(
      ...[...measured.problems, ...missing(measured)].map((problem) => `bcast: ${problem}`),
    );
    say(
      `bcast ${describeBroadcast(measured)}; ${cpuLine(measured.cpu)}; ${status([...measured.problems, ...missing(measured)])}`,
    );
    if (plan.saturation) {
      const saturation = await searchSaturation(target, loader, plan.saturation, health, (step) =>
        say(
          `saturation step ${describeBroadcast(step)}; load generator ${step.cpu.loader.percent.toFixed(0)}%: ${step.problems.length + step.behind.length === 0 ? 'kept up' : `behind (${[...step.problems, ...step.behind].join('; ')})`}`,
        ),
      );
      record.saturation = saturation;
      record.problems.push(...saturation.problems.map((problem) => `saturation: ${problem}`));
      say(
        `saturation: kept up with ${saturation.sustainedRate} msg/s (${Math.round(saturation.sustainedPushesPerSecond).toLocaleString('en-US')} pushes/s)${saturation.failedRate === null ? ', the search cap' : `, not with ${saturation.failedRate} msg/s`}${saturation.loaderBound ? ' (the load generator was the limit)' : ''}`,
      );
    }
  }
}

/**
 * At the fixed rate a lost push, or a client dropped, fails the run; a target too slow for the
 * rate delivers late (its latency and delivered rate show it) and that is no failure.
 */
function missing(measurement: BroadcastMeasurement): string[] {
  const lost = measurement.lost > 0 ? [`${measurement.lost} of ${measurement.expected} pushes lost`] : [];
  return [...measurement.closes, ...lost];
}

function describeBroadcast(m: BroadcastMeasurement): string {
  return [
    `C=${m.clients} at ${m.rate} msg/s (${Math.round(m.offeredPushesPerSecond).toLocaleString('en-US')} pushes/s offered):`,
    `${Math.round(m.deliveredPushesPerSecond).toLocaleString('en-US')} delivered/s, ratio ${m.deliveryRatio.toFixed(4)},`,
    `p50 ${(m.latency.p50Ns / 1e6).toFixed(2)} ms, p99 ${(m.latency.p99Ns / 1e6).toFixed(2)} ms,`,
    `${m.serverMicrosPerOp.toFixed(2)} µs server CPU/push`,
  ].join(' ');
}
