/**
 * `npm run bench:scale`: the scale-out benchmarks, with the nats-server and redis-server of this
 * machine (127.0.0.1:4222 with JetStream, 127.0.0.1:6379):
 * - eviction: how long NATS membership takes to drop a frozen (and a killed) server, 20 times each;
 * - push: a global-channel push (members in Redis) to 1,000 clients over 2 connectors against a
 *   local channel push, CPU per delivered push at a fixed rate, side by side.
 * The RPC over the NATS link is a target of the RPC benchmark (`npm run bench:rpc`).
 *
 * Options:
 * - `--quick`: 5 repetitions, 1 s windows, 3 rounds (about 30 s); the default: 20 repetitions,
 *   3 s windows, 5 rounds (about 2 minutes);
 * - `--only eviction|push`; `--repetitions <n>`; `--clients <n>`; `--rate <msg/s>`;
 *   `--duration <ms>` (each push window); `--rounds <n>`;
 * - `--nats-port <port>` (default 4222); `--redis-url <url>` (default redis://127.0.0.1:6379);
 * - `--no-write`: print only, leave bench/results alone.
 *
 * Progress goes to stderr; the report to stdout and to `bench/results/scale.{json,md}` (with
 * `--quick`, scale.quick.{json,md}). Exits 1 when anything failed (a fault not noticed, a push
 * wrong, duplicated or lost, a process that would not start).
 */
import { parseArgs } from 'node:util';
import { describeSetup, positive } from '../measure.js';
import { writeResults } from '../report.js';
import { runEvictionBenchmark } from './eviction.js';
import { runPushBenchmark } from './push.js';
import { type ScaleOutcome, scaleReport } from './scale-report.js';

const RESULTS_DIRECTORY = new URL('../../results/', import.meta.url);

const PARTS = ['eviction', 'push'] as const;
type Part = (typeof PARTS)[number];

interface Plan {
  readonly repetitions: number;
  readonly clients: number;
  readonly connectors: number;
  readonly rate: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly drainMs: number;
  readonly rounds: number;
}

const FULL: Plan = {
  repetitions: 20,
  clients: 1000,
  connectors: 2,
  rate: 50,
  warmupMs: 1000,
  durationMs: 3000,
  drainMs: 10_000,
  rounds: 5,
};
const QUICK: Plan = { ...FULL, repetitions: 5, warmupMs: 500, durationMs: 1000, drainMs: 6000, rounds: 3 };

interface Options {
  readonly quick: boolean;
  readonly parts: ReadonlySet<Part>;
  readonly plan: Plan;
  readonly natsPort: number;
  readonly redisUrl: string;
  readonly write: boolean;
}

function readOptions(args: readonly string[]): Options {
  const { values } = parseArgs({
    args: [...args],
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      repetitions: { type: 'string' },
      clients: { type: 'string' },
      rate: { type: 'string' },
      duration: { type: 'string' },
      rounds: { type: 'string' },
      'nats-port': { type: 'string' },
      'redis-url': { type: 'string' },
      'no-write': { type: 'boolean', default: false },
    },
  });
  const base = values.quick ? QUICK : FULL;
  const parts = new Set<Part>(
    values.only === undefined
      ? PARTS
      : values.only.split(',').map((text) => {
          const part = PARTS.find((known) => known === text.trim());
          if (!part) throw new RangeError(`--only: eviction or push, got "${text}"`);
          return part;
        }),
  );
  const count = (name: string, text: string | undefined, fallback: number): number =>
    Math.round(positive(name, text, fallback));
  return {
    quick: values.quick,
    parts,
    plan: {
      ...base,
      repetitions: count('--repetitions', values.repetitions, base.repetitions),
      clients: count('--clients', values.clients, base.clients),
      rate: positive('--rate', values.rate, base.rate),
      durationMs: positive('--duration', values.duration, base.durationMs),
      rounds: count('--rounds', values.rounds, base.rounds),
    },
    natsPort: count('--nats-port', values['nats-port'], 4222),
    redisUrl: values['redis-url'] ?? 'redis://127.0.0.1:6379',
    write: !values['no-write'],
  };
}

async function main(): Promise<void> {
  const options = readOptions(process.argv.slice(2));
  const { plan } = options;
  const log = (line: string): void => console.error(line);
  const started = Date.now();
  const setup = describeSetup({ durationMs: plan.durationMs, warmupMs: plan.warmupMs, rounds: plan.rounds });
  const eviction = options.parts.has('eviction')
    ? {
        repetitions: plan.repetitions,
        ...(await runEvictionBenchmark({ repetitions: plan.repetitions, natsPort: options.natsPort, log })),
      }
    : null;
  const push = options.parts.has('push')
    ? {
        windowMs: plan.durationMs,
        warmupMs: plan.warmupMs,
        rounds: plan.rounds,
        ...(await runPushBenchmark({ ...plan, redisUrl: options.redisUrl, log })),
      }
    : null;
  const outcome: ScaleOutcome = {
    setup,
    quick: options.quick,
    natsPort: options.natsPort,
    redisUrl: options.redisUrl,
    eviction,
    push,
  };
  const markdown = scaleReport(outcome);
  console.log(`\n${markdown}`);
  const failed = (eviction?.problems.length ?? 0) + (push?.problems.length ?? 0) > 0;
  if (options.write) {
    const name = options.quick ? 'scale.quick' : 'scale';
    const written = await writeResults(
      RESULTS_DIRECTORY,
      name,
      { benchmark: 'scale', failed, plan, ...outcome },
      markdown,
    );
    log(`wrote ${written.join(' and ')}`);
  }
  log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  if (failed) {
    log('FAILED: see the report');
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
