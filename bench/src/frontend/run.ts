/**
 * `npm run bench`: the frontend benchmark (Shaddock vs Pinus vs raw ws: `conn`, `rr`, `bcast` and
 * its saturation search) with the RPC benchmark's results in the same report.
 *
 * Options:
 * - `--quick`: 1+1 topologies and raw ws, 1k connections, 1 s windows (about 2 minutes); the
 *   default is the full set (1+1 and 2+2, 10k connections, 4 s windows; about 20 minutes);
 * - `--runs <n>` (default 3);
 *   `--setups shaddock-1x1,pinus-1x1,shaddock-2x2,pinus-2x2,raw,shaddock-1x1-buffer20` (the last:
 *   Shaddock 1+1 with `pushScheduler: { type: 'buffer', flushMs: 20 }`, in bcast and saturation only;
 *   in the full set, not in `--quick`'s);
 *   `--scenarios conn,rr,bcast,saturation`; `--clients 100,1000` (rr); `--bcast-clients <n>`;
 *   `--rate <msg/s>`; `--conn <n>`; `--duration <ms>` (each measured window);
 * - `--rpc run|read|skip`: run the RPC benchmark (default in the full set), read
 *   bench/results/rpc.json (default with `--quick`), or leave it out;
 * - `--no-write`: print only, leave bench/results alone;
 * - `--rerender <frontend.json>`: no run; the report made again from saved results (written back
 *   unless `--no-write`);
 * - `--profile` / `--profile-dir <dir>`: Shaddock only (default `--setups shaddock-1x1`), one run of
 *   `rr` and `bcast` with every Shaddock process under `node --cpu-prof`; the profiles are summed up
 *   into bench/results/frontend.profile.md (the figures carry the profiler's cost and are not written).
 *
 * Progress goes to stderr; the report to stdout and bench/results/frontend.{json,md} (with `--quick`,
 * frontend.quick.{json,md}). Exits 1 when
 * any run had a problem (a wrong, lost or duplicated message, a failed connection, a crash).
 */
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type BenchSetup, describeSetup, positive } from '../measure.js';
import { writeResults } from '../report.js';
import { DEFAULT_LEVELS, type RpcBenchResult, runRpcBenchmark } from '../rpc/bench.js';
import { formatProfileSummary, summarizeProfile } from '../rpc/profile-summary.js';
import {
  type FrontendBenchResult,
  planFor,
  runFrontendBenchmark,
  SCENARIOS,
  type ScenarioPlan,
  type Setup,
  setupKey,
  setupName,
} from './bench.js';
import { checkTargets, frontendReport, TARGET_SPECS } from './frontend-report.js';
import { summarize } from './summary.js';

const RESULTS_DIRECTORY = new URL('../../results/', import.meta.url);

const ALL_SETUPS: readonly Setup[] = [
  { target: 'shaddock', topology: { connectors: 1, chats: 1 } },
  { target: 'pinus', topology: { connectors: 1, chats: 1 } },
  { target: 'shaddock', topology: { connectors: 2, chats: 2 } },
  { target: 'pinus', topology: { connectors: 2, chats: 2 } },
  { target: 'raw', topology: { connectors: 1, chats: 0 } },
  // Pomelo's buffer scheduler at its default flushInterval (20 ms); it changes nothing in rr and conn
  {
    target: 'shaddock',
    topology: { connectors: 1, chats: 1 },
    pushFlushMs: 20,
    scenarios: ['bcast', 'saturation'],
  },
];
const QUICK_SETUPS = ['shaddock-1x1', 'pinus-1x1', 'raw'];
const KEEP_UP = { maxP99Ms: 250 };

function fullPlan(): ScenarioPlan {
  return {
    connectConcurrency: 100,
    conn: { clients: 10_000, holdMs: 10_000, sourceAddresses: 2 },
    rr: { levels: [100, 1000], rooms: 16, warmupMs: 1000, durationMs: 4000 },
    bcast: { clients: 1000, rate: 100, warmupMs: 1000, durationMs: 4000, drainMs: 20_000, keepUp: KEEP_UP },
    saturation: {
      startRate: 25,
      growth: 1.5,
      maxRate: 1000,
      stepMs: 2000,
      drainMs: 8000,
      refine: 2,
      keepUp: KEEP_UP,
    },
  };
}

function quickPlan(): ScenarioPlan {
  return {
    connectConcurrency: 100,
    conn: { clients: 1000, holdMs: 1000, sourceAddresses: 1 },
    rr: { levels: [100, 1000], rooms: 16, warmupMs: 300, durationMs: 1000 },
    bcast: { clients: 1000, rate: 100, warmupMs: 300, durationMs: 1000, drainMs: 6000, keepUp: KEEP_UP },
    saturation: {
      startRate: 25,
      growth: 2,
      maxRate: 1000,
      stepMs: 700,
      drainMs: 3000,
      refine: 0,
      keepUp: KEEP_UP,
    },
  };
}

interface Options {
  readonly quick: boolean;
  readonly runs: number;
  readonly setups: readonly Setup[];
  readonly plan: ScenarioPlan;
  readonly rpc: 'run' | 'read' | 'skip';
  readonly write: boolean;
  readonly profileDir: string | undefined;
  readonly profile: boolean;
  /** A frontend.json to make the report from again, instead of running. */
  readonly rerender: string | undefined;
}

function list(text: string | undefined): string[] | undefined {
  return text
    ?.split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
}

function readOptions(args: readonly string[]): Options {
  const { values } = parseArgs({
    args: [...args],
    options: {
      quick: { type: 'boolean', default: false },
      runs: { type: 'string' },
      setups: { type: 'string' },
      scenarios: { type: 'string' },
      clients: { type: 'string' },
      'bcast-clients': { type: 'string' },
      rate: { type: 'string' },
      conn: { type: 'string' },
      duration: { type: 'string' },
      rpc: { type: 'string' },
      'no-write': { type: 'boolean', default: false },
      profile: { type: 'boolean', default: false },
      'profile-dir': { type: 'string' },
      rerender: { type: 'string' },
    },
  });
  const profile = values.profile || values['profile-dir'] !== undefined;
  const quick = values.quick;
  const keys =
    list(values.setups) ?? (profile ? ['shaddock-1x1'] : quick ? QUICK_SETUPS : ALL_SETUPS.map(setupKey));
  const setups = keys.map((key) => {
    const found = ALL_SETUPS.find((setup) => setupKey(setup) === key);
    if (!found)
      throw new RangeError(
        `--setups: unknown setup "${key}" (known: ${ALL_SETUPS.map(setupKey).join(', ')})`,
      );
    return found;
  });
  const scenarios = new Set(list(values.scenarios) ?? (profile ? ['rr', 'bcast'] : SCENARIOS));
  for (const name of scenarios) {
    if (!SCENARIOS.some((known) => known === name))
      throw new RangeError(`--scenarios: unknown scenario "${name}" (known: ${SCENARIOS.join(', ')})`);
  }
  const base = quick ? quickPlan() : fullPlan();
  const duration = positive('--duration', values.duration, 0);
  const levels = list(values.clients)?.map((text) => Math.round(positive('--clients', text, 1)));
  const plan: ScenarioPlan = {
    connectConcurrency: base.connectConcurrency,
    conn:
      scenarios.has('conn') && base.conn
        ? {
            ...base.conn,
            clients: Math.round(positive('--conn', values.conn, base.conn.clients)),
            sourceAddresses: Math.max(
              1,
              Math.ceil(positive('--conn', values.conn, base.conn.clients) / 5000),
            ),
          }
        : null,
    rr:
      scenarios.has('rr') && base.rr
        ? { ...base.rr, ...(levels ? { levels } : {}), ...(duration > 0 ? { durationMs: duration } : {}) }
        : null,
    bcast:
      (scenarios.has('bcast') || scenarios.has('saturation')) && base.bcast
        ? {
            ...base.bcast,
            clients: Math.round(positive('--bcast-clients', values['bcast-clients'], base.bcast.clients)),
            rate: positive('--rate', values.rate, base.bcast.rate),
            ...(duration > 0 ? { durationMs: duration } : {}),
          }
        : null,
    saturation: scenarios.has('saturation') ? base.saturation : null,
  };
  const planned = setups.filter((setup) => {
    const { conn, rr, bcast } = planFor(setup, plan);
    return conn !== null || rr !== null || bcast !== null;
  });
  for (const setup of setups.filter((entry) => !planned.includes(entry)))
    console.error(
      `${setupName(setup)}: none of its scenarios (${setup.scenarios?.join(', ')}) asked for; left out`,
    );
  if (planned.length === 0 && !values.rerender)
    throw new RangeError('--setups, --scenarios: no setup runs any of the scenarios asked for');
  const rpc = values.rpc ?? (profile ? 'skip' : quick ? 'read' : 'run');
  if (rpc !== 'run' && rpc !== 'read' && rpc !== 'skip')
    throw new RangeError(`--rpc: run, read or skip, got "${rpc}"`);
  return {
    quick,
    runs: Math.round(positive('--runs', values.runs, profile ? 1 : 3)),
    setups: planned,
    plan,
    rpc,
    write: !values['no-write'] && !profile,
    profile,
    profileDir: values['profile-dir'],
    rerender: values.rerender,
  };
}

/** The RPC benchmark's result: run now, or read back from bench/results/rpc.json. */
async function rpcResults(
  mode: 'run' | 'read',
  quick: boolean,
  log: (line: string) => void,
): Promise<{ result: RpcBenchResult; setup: BenchSetup; source: string } | null> {
  if (mode === 'read') {
    try {
      const json: unknown = JSON.parse(await readFile(new URL('rpc.json', RESULTS_DIRECTORY), 'utf8'));
      const record = json as Partial<RpcBenchResult> & { setup?: BenchSetup };
      if (!Array.isArray(record.rows) || !Array.isArray(record.comparisons) || !record.setup) return null;
      const result: RpcBenchResult = {
        levels: [...new Set(record.rows.map((row) => row.inFlight))],
        targets: [...new Set(record.rows.map((row) => row.target))],
        placement: record.placement ?? 'unknown',
        measurements: record.measurements ?? [],
        warmups: record.warmups ?? [],
        rows: record.rows,
        comparisons: record.comparisons,
        problems: record.problems ?? [],
      };
      return {
        result,
        setup: record.setup,
        source: 'Read from bench/results/rpc.json (`npm run bench:rpc`).',
      };
    } catch {
      log('bench/results/rpc.json is missing or unreadable: the rpc section is left out');
      return null;
    }
  }
  const timing = quick
    ? { durationMs: 500, warmupMs: 300, rounds: 3 }
    : { durationMs: 3000, warmupMs: 1500, rounds: 3 };
  log(`rpc: the RPC benchmark (${timing.rounds} rounds of ${timing.durationMs} ms per target and level)`);
  const result = await runRpcBenchmark({
    levels: DEFAULT_LEVELS,
    timing,
    log: (line) => log(`  rpc ${line}`),
  });
  return { result, setup: describeSetup(timing), source: 'Run in this benchmark.' };
}

async function main(): Promise<void> {
  const options = readOptions(process.argv.slice(2));
  const log = (line: string): void => console.error(line);
  if (options.rerender !== undefined) {
    if (await rerender(options.rerender, options.write, log)) process.exitCode = 1;
    return;
  }
  const started = Date.now();
  const profileDir = options.profile
    ? (options.profileDir ?? (await mkdtemp(join(tmpdir(), 'shaddock-frontend-profile-'))))
    : undefined;
  const setup = describeSetup({
    durationMs: options.plan.rr?.durationMs ?? 0,
    warmupMs: 0,
    rounds: options.runs,
  });
  log(
    `frontend benchmark: ${options.setups.map(setupKey).join(', ')}; ${options.runs} runs each${options.quick ? ' (quick)' : ''}`,
  );
  const result = await runFrontendBenchmark({
    setups: options.setups,
    runs: options.runs,
    plan: options.plan,
    ...(profileDir === undefined
      ? {}
      : { shaddockNodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, '--cpu-prof-interval=200'] }),
    log,
  });
  const rpc = options.rpc === 'skip' ? null : await rpcResults(options.rpc, options.quick, log);
  if (profileDir !== undefined) {
    const text = await profileReport(
      profileDir,
      result.runs.flatMap((record) => record.processes),
    );
    console.log(`\n${text}`);
    const written = await writeResults(RESULTS_DIRECTORY, 'frontend.profile', { profileDir }, text);
    log(`profiled run: its figures carry the profiler's cost; wrote ${written[1]} (not the figures)`);
  }
  const failed = await publish(
    { quick: options.quick, setup, plan: options.plan, setups: options.setups, result, rpc },
    options.write ? (options.quick ? 'frontend.quick' : 'frontend') : undefined,
    log,
  );
  log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  if (failed) {
    log(`FAILED: ${result.problems.length} problems; see the report`);
    process.exitCode = 1;
  }
}

/** Everything a report is made from; what frontend.json keeps. */
interface Outcome {
  readonly quick: boolean;
  readonly setup: BenchSetup;
  readonly plan: ScenarioPlan;
  readonly setups: readonly Setup[];
  readonly result: FrontendBenchResult;
  readonly rpc: {
    readonly result: RpcBenchResult;
    readonly setup: BenchSetup;
    readonly source: string;
  } | null;
}

/** Sums up, prints the report and writes `<name>.{json,md}` (nothing when `name` is undefined); true when it failed. */
async function publish(
  outcome: Outcome,
  name: string | undefined,
  log: (line: string) => void,
): Promise<boolean> {
  const { result, rpc } = outcome;
  const summary = summarize(outcome.setups, result.runs);
  const checks = checkTargets(summary, outcome.setups);
  const markdown = frontendReport(outcome.setup, outcome.plan, result, summary, checks, rpc);
  console.log(`\n${markdown}`);
  const failed = result.problems.length > 0 || (rpc?.result.problems.length ?? 0) > 0;
  if (name === undefined) return failed;
  const json = {
    benchmark: 'frontend',
    failed,
    quick: outcome.quick,
    setup: outcome.setup,
    plan: outcome.plan,
    setups: outcome.setups.map((entry) => ({ key: setupKey(entry), ...entry })),
    targetsSpec: TARGET_SPECS,
    checks,
    problems: result.problems,
    summary,
    runs: result.runs,
    rpc:
      rpc === null
        ? null
        : {
            source: rpc.source,
            setup: rpc.setup,
            placement: rpc.result.placement,
            problems: rpc.result.problems,
            rows: rpc.result.rows,
            comparisons: rpc.result.comparisons,
          },
  };
  const written = await writeResults(RESULTS_DIRECTORY, name, json, markdown);
  log(`wrote ${written.join(' and ')}`);
  return failed;
}

/**
 * `--rerender <file>`: the report made again from a frontend.json (say, after the report's code
 * changed), written back to bench/results under its name (unless `--no-write`). The runs themselves
 * are as they were measured.
 */
async function rerender(file: string, write: boolean, log: (line: string) => void): Promise<boolean> {
  const saved = JSON.parse(await readFile(file, 'utf8')) as {
    quick: boolean;
    setup: BenchSetup;
    plan: ScenarioPlan;
    setups: Setup[];
    problems: string[];
    runs: FrontendBenchResult['runs'];
    rpc:
      | (Pick<RpcBenchResult, 'rows' | 'comparisons'> & {
          source: string;
          setup: BenchSetup;
          placement?: string;
          problems?: string[];
        })
      | null;
  };
  // (results saved before setups had options have none: every setup as it was)
  const setups = saved.setups.map(
    ({ target, topology, pushFlushMs, scenarios }): Setup => ({
      target,
      topology,
      ...(pushFlushMs === undefined ? {} : { pushFlushMs }),
      ...(scenarios === undefined ? {} : { scenarios }),
    }),
  );
  const rpc =
    saved.rpc === null
      ? null
      : {
          source: saved.rpc.source,
          setup: saved.rpc.setup,
          result: {
            levels: [...new Set(saved.rpc.rows.map((row) => row.inFlight))],
            targets: [...new Set(saved.rpc.rows.map((row) => row.target))],
            placement:
              saved.rpc.placement ?? 'unpinned: the scheduler places every process, alike for every target',
            measurements: [],
            warmups: [],
            rows: saved.rpc.rows,
            comparisons: saved.rpc.comparisons,
            problems: saved.rpc.problems ?? [],
          },
        };
  const name = file.replace(/^.*\//, '').replace(/\.json$/, '');
  return publish(
    {
      quick: saved.quick,
      setup: saved.setup,
      plan: saved.plan,
      setups,
      result: { setups, runs: saved.runs, problems: saved.problems },
      rpc,
    },
    write ? name : undefined,
    log,
  );
}

/** The profiles of the Shaddock processes, each named by its server id, summed up. */
async function profileReport(
  directory: string,
  processes: readonly { readonly id: string; readonly pid: number }[],
): Promise<string> {
  const files = (await readdir(directory)).filter((name) => name.endsWith('.cpuprofile')).sort();
  const sections = files.map((name) => {
    const pid = Number(name.split('.')[3]);
    const id = processes.find((entry) => entry.pid === pid)?.id ?? `pid ${pid}`;
    return `### ${id}\n\n\`\`\`text\n${formatProfileSummary(summarizeProfile(join(directory, name), 25))}\n\`\`\``;
  });
  return [
    '# Frontend profile: the Shaddock processes under `node --cpu-prof`',
    '',
    `Profiles in ${directory}. Percentages are of each process's busy time (idle excluded).`,
    '',
    ...sections,
    '',
  ].join('\n');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
