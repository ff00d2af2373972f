/**
 * The client's load: keeps exactly N calls in flight for a fixed time, each lane issuing its
 * next call as soon as its reply is in, and checks and times every reply.
 */
import { LatencyHistogram } from './latency-histogram.js';
import { ARGUMENT_MASK, ARGUMENTS, describeError, type LoadResult } from './messages.js';

/**
 * The callbacks one lane gives each call; made once per lane, so a call allocates nothing of the
 * harness's. Use `resolved`/`rejected` with a promise, `settled` with a Node-style callback.
 */
export interface Lane {
  /** A Node-style callback: `(error)` or `(null, reply)`. */
  readonly settled: (error: unknown, reply?: unknown) => void;
  readonly resolved: (reply: unknown) => void;
  readonly rejected: (error: unknown) => void;
}

/** Sends one call of `echo(argument)`; reports its outcome through one of the lane's callbacks, once. */
export type Invoke = (argument: string, lane: Lane) => void;

class LoadLane implements Lane {
  argument = '';
  startedAt = 0n;
  readonly #run: LoadRun;

  constructor(run: LoadRun) {
    this.#run = run;
  }

  readonly settled = (error: unknown, reply?: unknown): void => {
    if (error === null || error === undefined) this.#run.succeed(this, reply);
    else this.#run.fail(this, error);
  };

  readonly resolved = (reply: unknown): void => this.#run.succeed(this, reply);

  readonly rejected = (error: unknown): void =>
    this.#run.fail(this, error ?? new Error('rejected without a reason'));
}

class LoadRun {
  readonly histogram = new LatencyHistogram();
  calls = 0;
  errors = 0;
  mismatches = 0;
  firstError: string | null = null;
  readonly #invoke: Invoke;
  readonly #inFlight: number;
  readonly #endAt: bigint;
  readonly #startedAt: bigint;
  #outstanding = 0;
  #next = 0;
  readonly #done: (elapsedNs: number) => void;

  constructor(invoke: Invoke, inFlight: number, durationMs: number, done: (elapsedNs: number) => void) {
    this.#invoke = invoke;
    this.#inFlight = inFlight;
    this.#done = done;
    this.#startedAt = process.hrtime.bigint();
    this.#endAt = this.#startedAt + BigInt(Math.round(durationMs * 1e6));
  }

  start(): void {
    const lanes = Array.from({ length: this.#inFlight }, () => new LoadLane(this));
    this.#outstanding = lanes.length;
    for (const lane of lanes) this.#issue(lane);
  }

  succeed(lane: LoadLane, reply: unknown): void {
    const now = process.hrtime.bigint();
    if (reply === lane.argument) {
      this.calls++;
      this.histogram.record(Number(now - lane.startedAt));
    } else {
      this.mismatches++;
      this.firstError ??= `a reply was not its argument: sent ${JSON.stringify(lane.argument)}, got ${describeReply(reply)}`;
    }
    this.#continue(lane, now);
  }

  fail(lane: LoadLane, error: unknown): void {
    this.errors++;
    this.firstError ??= describeError(error);
    // an error can come back synchronously from inside invoke: go on in a later turn, so that a
    // failing client neither recurses nor spins
    setImmediate(() => this.#continue(lane, process.hrtime.bigint()));
  }

  #continue(lane: LoadLane, now: bigint): void {
    if (now < this.#endAt) this.#issue(lane);
    else if (--this.#outstanding === 0) this.#done(Number(now - this.#startedAt));
  }

  #issue(lane: LoadLane): void {
    const argument = ARGUMENTS[this.#next++ & ARGUMENT_MASK] ?? '';
    lane.argument = argument;
    lane.startedAt = process.hrtime.bigint();
    try {
      this.#invoke(argument, lane);
    } catch (error) {
      this.fail(lane, error);
    }
  }
}

function describeReply(reply: unknown): string {
  try {
    return JSON.stringify(reply)?.slice(0, 200) ?? String(reply);
  } catch {
    return String(reply);
  }
}

/**
 * Keeps `inFlight` calls going for `durationMs`, then waits for the last replies. Every reply is
 * compared with its argument; `calls` counts the correct ones and their latencies are recorded.
 */
export function runLoad(invoke: Invoke, inFlight: number, durationMs: number): Promise<LoadResult> {
  return new Promise((resolve) => {
    const run = new LoadRun(invoke, inFlight, durationMs, (elapsedNs) => {
      resolve({
        inFlight,
        calls: run.calls,
        errors: run.errors,
        mismatches: run.mismatches,
        firstError: run.firstError,
        elapsedNs,
        latency: run.histogram.summary(),
      });
    });
    run.start();
  });
}
