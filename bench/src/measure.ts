/**
 * Timing shared by the benchmarks: each contender runs for a fixed time, timed with
 * `process.hrtime.bigint()`; contenders take turns in short slices so that a noisy machine slows
 * them alike, and the median of the rounds is reported.
 */
import os from 'node:os';
import { parseArgs } from 'node:util';

/** How long and how often each contender runs. */
export interface TimingOptions {
  /** Time per measurement, in milliseconds. */
  readonly durationMs: number;
  /** Time each contender runs untimed before the first round, in milliseconds. */
  readonly warmupMs: number;
  /** Measurements per contender; the median is reported. */
  readonly rounds: number;
}

/** The default: 1 s per measurement, 3 rounds. */
export const FULL_TIMING: TimingOptions = { durationMs: 1000, warmupMs: 500, rounds: 3 };

/** `--quick`: 0.2 s per measurement, 3 rounds. */
export const QUICK_TIMING: TimingOptions = { durationMs: 200, warmupMs: 100, rounds: 3 };

/**
 * Timing from command-line arguments: `--quick`, `--duration <ms>`, `--warmup <ms>`, `--rounds <n>`.
 *
 * @example
 * ```ts
 * const timing = timingFromArgs(process.argv.slice(2)); // node run.js --quick --rounds 5
 * ```
 */
export function timingFromArgs(args: readonly string[]): TimingOptions {
  const { values } = parseArgs({
    args: [...args],
    options: {
      quick: { type: 'boolean', default: false },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      rounds: { type: 'string' },
    },
  });
  const base = values.quick ? QUICK_TIMING : FULL_TIMING;
  return {
    durationMs: positive('--duration', values.duration, base.durationMs),
    warmupMs: positive('--warmup', values.warmup, base.warmupMs),
    rounds: Math.round(positive('--rounds', values.rounds, base.rounds)),
  };
}

/** A command-line number that must be positive (`fallback` when absent); a RangeError naming the option otherwise. */
export function positive(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0)
    throw new RangeError(`${name} must be a positive number, got "${text}"`);
  return value;
}

/** One way of doing an operation, timed against the others. */
export interface Contender {
  readonly name: string;
  /** One operation; its result goes to a sink so that V8 cannot drop the work. */
  readonly run: () => unknown;
}

/** One operation (`op`) of one case, measured for every contender. */
export interface Trial {
  readonly case: string;
  readonly op: string;
  readonly contenders: readonly Contender[];
}

/** What a {@link Trial} measured, per contender name. */
export interface TrialResult {
  readonly case: string;
  readonly op: string;
  /** The median of the rounds, in operations per second. */
  readonly opsPerSecond: Readonly<Record<string, number>>;
  /** Every round, in operations per second, in round order. */
  readonly samples: Readonly<Record<string, readonly number[]>>;
}

const SINK_SIZE = 64; // a power of two
const sink: unknown[] = new Array<unknown>(SINK_SIZE).fill(undefined);
let sinkIndex = 0;

/** Operations run and the nanoseconds they took. */
export interface Timed {
  operations: number;
  nanoseconds: number;
}

/**
 * Runs `run` for at least `durationMs`. Calls are made in batches that double until a batch takes
 * about 1% of the time, so reading the clock costs next to nothing.
 */
export function timeOps(run: () => unknown, durationMs: number): Timed {
  const budget = BigInt(Math.max(1, Math.round(durationMs * 1e6)));
  const growUntil = budget / 100n;
  let batch = 1;
  let operations = 0;
  let index = sinkIndex;
  const start = process.hrtime.bigint();
  let elapsed = 0n;
  for (;;) {
    for (let count = 0; count < batch; count++) {
      sink[index] = run();
      index = (index + 1) & (SINK_SIZE - 1);
    }
    operations += batch;
    elapsed = process.hrtime.bigint() - start;
    if (elapsed >= budget) break;
    if (elapsed < growUntil) batch *= 2;
  }
  sinkIndex = index;
  return { operations, nanoseconds: Number(elapsed) };
}

/** Runs `run` for `durationMs` and returns operations per second. */
export function opsPerSecond(run: () => unknown, durationMs: number): number {
  const { operations, nanoseconds } = timeOps(run, durationMs);
  return (operations * 1e9) / nanoseconds;
}

/** Measurements are cut into slices of about this many milliseconds, the contenders taking turns. */
export const SLICE_MS = 100;

/**
 * Warms every contender up, then measures every trial `rounds` times. Within a measurement the
 * contenders take turns in slices of about 100 ms (the first to go rotating every slice), so a
 * burst of load on the machine hits them alike. `log` hears one line per measurement.
 */
export function runTrials(
  trials: readonly Trial[],
  timing: TimingOptions,
  log: (line: string) => void = () => {},
): TrialResult[] {
  for (const trial of trials) {
    for (const contender of trial.contenders) timeOps(contender.run, timing.warmupMs);
  }
  const slices = Math.max(1, Math.round(timing.durationMs / SLICE_MS));
  const sliceMs = timing.durationMs / slices;
  const samples = trials.map((trial) => trial.contenders.map(() => [] as number[]));
  for (let round = 0; round < timing.rounds; round++) {
    trials.forEach((trial, index) => {
      const count = trial.contenders.length;
      const totals = trial.contenders.map((): Timed => ({ operations: 0, nanoseconds: 0 }));
      for (let slice = 0; slice < slices; slice++) {
        for (let turn = 0; turn < count; turn++) {
          const which = (turn + slice + round) % count;
          const contender = trial.contenders[which];
          const total = totals[which];
          if (!contender || !total) continue;
          collectGarbage();
          const timed = timeOps(contender.run, sliceMs);
          total.operations += timed.operations;
          total.nanoseconds += timed.nanoseconds;
        }
      }
      trial.contenders.forEach((contender, which) => {
        const total = totals[which] ?? { operations: 0, nanoseconds: 1 };
        const value = (total.operations * 1e9) / total.nanoseconds;
        samples[index]?.[which]?.push(value);
        log(
          `round ${round + 1}/${timing.rounds}  ${trial.case}  ${trial.op}  ${contender.name}: ${formatRate(value)} ops/s`,
        );
      });
    });
  }
  return trials.map((trial, index) => {
    const byContender = trial.contenders.map((c, which) => [c.name, samples[index]?.[which] ?? []] as const);
    return {
      case: trial.case,
      op: trial.op,
      opsPerSecond: Object.fromEntries(byContender.map(([name, values]) => [name, median(values)])),
      samples: Object.fromEntries(byContender),
    };
  });
}

/** Starts each measurement without the previous one's garbage, when node runs with `--expose-gc`. */
function collectGarbage(): void {
  globalThis.gc?.();
}

/** The median of `values` (the mean of the middle two for an even count); NaN when empty. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  if (sorted.length % 2 === 1) return sorted[middle] ?? Number.NaN;
  return ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

/** A rate with thousands separators and no decimals: `1,234,567`. */
export function formatRate(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

/** Where and how a benchmark ran, to print beside its figures. */
export interface BenchSetup {
  readonly node: string;
  readonly v8: string;
  readonly platform: string;
  readonly cpu: string;
  readonly cpuCount: number;
  readonly memoryGiB: number;
  readonly exposeGc: boolean;
  readonly date: string;
  readonly timing: TimingOptions;
}

/** The setup of this process. */
export function describeSetup(timing: TimingOptions): BenchSetup {
  const cpus = os.cpus();
  return {
    node: process.version,
    v8: process.versions.v8,
    platform: `${process.platform} ${process.arch}`,
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cpuCount: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    exposeGc: typeof globalThis.gc === 'function',
    date: new Date().toISOString(),
    timing,
  };
}
