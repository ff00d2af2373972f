/**
 * `npm run bench:rpc`: calls to a remote `echo(arg)` between two processes, Shaddock's RPC over its
 * TCP link and over the NATS link (through the nats-server on 127.0.0.1) and pinus-rpc side by side
 * in one run (with plain Node TCP as the reference floor), at 1, 16 and 256 calls in flight.
 *
 * Options:
 * - `--quick`: 0.5 s per measurement (default 3 s); `--duration <ms>`, `--warmup <ms>`, `--rounds <n>`;
 * - `--levels 1,16,256`; `--targets shaddock,nats,pinus,raw` (`nats`: Shaddock over the NATS link;
 *   `raw`: plain Node TCP, no RPC layer); `--nats-port <port>` (default 4222, on 127.0.0.1);
 * - `--pin`: servers on CPU 0, clients on CPU 1 (default: the scheduler places them);
 * - `--no-write`: print only, leave bench/results alone;
 * - `--profile` / `--profile-dir <dir>`: children under `node --cpu-prof`, profiles summarized,
 *   results not written (the profiler's cost is in the figures).
 *
 * Progress goes to stderr; the report to stdout and to `bench/results/rpc.{json,md}`. Exits 1 when
 * any call failed or any reply was wrong.
 */
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { describeSetup, positive, type TimingOptions } from '../measure.js';
import { clockTicksPerSecond } from '../process-cpu.js';
import { writeResults } from '../report.js';
import {
  DEFAULT_LEVELS,
  DEFAULT_NATS_PORT,
  runRpcBenchmark,
  TARGETS,
  type TargetName,
  TRANSPORTS,
} from './bench.js';
import { ARGUMENT_BYTES } from './messages.js';
import { formatProfileSummary, summarizeProfile } from './profile-summary.js';
import { checkTargets, rpcReport, TARGETS_SPEC } from './rpc-report.js';

const RESULTS_DIRECTORY = new URL('../../results/', import.meta.url);

/** ~3 s per measurement: 3 levels × 4 targets × (3 rounds of 3 s + 1.5 s of warm-up) ≈ 130 s in all. */
const FULL: TimingOptions = { durationMs: 3000, warmupMs: 1500, rounds: 3 };
const QUICK: TimingOptions = { durationMs: 500, warmupMs: 300, rounds: 3 };

interface Options {
  readonly timing: TimingOptions;
  readonly levels: readonly number[];
  readonly targets: readonly TargetName[];
  readonly pin: boolean;
  readonly natsPort: number;
  /** Print only; leave bench/results alone (for experiments). */
  readonly write: boolean;
  readonly profile: boolean;
  readonly profileDir: string | undefined;
}

function readOptions(args: readonly string[]): Options {
  const { values } = parseArgs({
    args: [...args],
    options: {
      quick: { type: 'boolean', default: false },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      rounds: { type: 'string' },
      levels: { type: 'string' },
      targets: { type: 'string' },
      pin: { type: 'boolean', default: false },
      'nats-port': { type: 'string' },
      'no-write': { type: 'boolean', default: false },
      profile: { type: 'boolean', default: false },
      'profile-dir': { type: 'string' },
    },
  });
  const base = values.quick ? QUICK : FULL;
  const levels =
    values.levels === undefined
      ? DEFAULT_LEVELS
      : values.levels.split(',').map((text) => Math.round(positive('--levels', text.trim(), 1)));
  const targets =
    values.targets === undefined
      ? TARGETS
      : values.targets.split(',').map((text) => {
          const name = text.trim();
          const known = TARGETS.find((target) => target === name);
          if (!known)
            throw new RangeError(`--targets: unknown target "${name}" (known: ${TARGETS.join(', ')})`);
          return known;
        });
  return {
    timing: {
      durationMs: positive('--duration', values.duration, base.durationMs),
      warmupMs: positive('--warmup', values.warmup, base.warmupMs),
      rounds: Math.round(positive('--rounds', values.rounds, base.rounds)),
    },
    levels,
    targets,
    pin: values.pin,
    natsPort: Math.round(positive('--nats-port', values['nats-port'], DEFAULT_NATS_PORT)),
    write: !values['no-write'],
    profile: values.profile || values['profile-dir'] !== undefined,
    profileDir: values['profile-dir'],
  };
}

async function main(): Promise<void> {
  const options = readOptions(process.argv.slice(2));
  const setup = describeSetup(options.timing);
  const profileDir = options.profile
    ? (options.profileDir ?? (await mkdtemp(join(tmpdir(), 'shaddock-rpc-profile-'))))
    : undefined;
  const result = await runRpcBenchmark({
    levels: options.levels,
    targets: options.targets,
    timing: options.timing,
    pin: options.pin,
    natsPort: options.natsPort,
    ...(profileDir === undefined ? {} : { profileDir }),
    log: (line) => console.error(line),
  });
  const checks = checkTargets(result);
  const markdown = rpcReport(setup, result, checks);
  console.log(`\n${markdown}`);
  const failed = result.problems.length > 0;
  if (profileDir !== undefined) {
    console.error(`profiled run: its figures carry the profiler's cost and are not written to bench/results`);
    const files = (await readdir(profileDir)).filter((name) => name.endsWith('.cpuprofile')).sort();
    for (const name of files)
      console.log(`\n${formatProfileSummary(summarizeProfile(join(profileDir, name)))}`);
  } else if (options.write) {
    const json = {
      benchmark: 'rpc',
      failed,
      setup,
      placement: result.placement,
      clockTicksPerSecond: clockTicksPerSecond(),
      argumentBytes: ARGUMENT_BYTES,
      natsPort: result.targets.includes('nats') ? options.natsPort : null,
      transports: Object.fromEntries(result.targets.map((target) => [target, TRANSPORTS[target]])),
      targetsSpec: TARGETS_SPEC,
      checks,
      problems: result.problems,
      rows: result.rows,
      comparisons: result.comparisons,
      measurements: result.measurements,
      warmups: result.warmups,
    };
    const written = await writeResults(RESULTS_DIRECTORY, 'rpc', json, markdown);
    console.error(`wrote ${written.join(' and ')}`);
  }
  if (failed) {
    console.error(`FAILED: ${result.problems.length} problems; see the report`);
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
