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

/** What the runs of one measurement add up to, slice after slice. */
export class LoadTotals {
  readonly histogram = new LatencyHistogram();
  calls = 0;
  errors = 0;
  mismatches = 0;
  firstError: string | null = null;
  elapsedNs = 0;

  result(inFlight: number): LoadResult {
    return {
      inFlight,
      calls: this.calls,
      errors: this.errors,
      mismatches: this.mismatches,
      firstError: this.firstError,
      elapsedNs: this.elapsedNs,
      latency: this.histogram.summary(),
    };
  }
}

class LoadRun {
  readonly #totals: LoadTotals;
  readonly #invoke: Invoke;
  readonly #inFlight: number;
  readonly #endAt: bigint;
  readonly #startedAt: bigint;
  #outstanding = 0;
  #next = 0;
  readonly #done: () => void;

  constructor(invoke: Invoke, inFlight: number, durationMs: number, totals: LoadTotals, done: () => void) {
    this.#invoke = invoke;
    this.#inFlight = inFlight;
    this.#totals = totals;
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
    const totals = this.#totals;
    if (reply === lane.argument) {
      totals.calls++;
      totals.histogram.record(Number(now - lane.startedAt));
    } else {
      totals.mismatches++;
      totals.firstError ??= `a reply was not its argument: sent ${JSON.stringify(lane.argument)}, got ${describeReply(reply)}`;
    }
    this.#continue(lane, now);
  }

  fail(lane: LoadLane, error: unknown): void {
    this.#totals.errors++;
    this.#totals.firstError ??= describeError(error);
    // an error can come back synchronously from inside invoke: go on in a later turn, so that a
    // failing client neither recurses nor spins
    setImmediate(() => this.#continue(lane, process.hrtime.bigint()));
  }

  #continue(lane: LoadLane, now: bigint): void {
    if (now < this.#endAt) this.#issue(lane);
    else if (--this.#outstanding === 0) {
      this.#totals.elapsedNs += Number(now - this.#startedAt);
      this.#done();
    }
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
 * With `totals`, the run adds to them and the result is their sum so far.
 */
export function runLoad(
  invoke: Invoke,
  inFlight: number,
  durationMs: number,
  totals = new LoadTotals(),
): Promise<LoadResult> {
  return new Promise((resolve) => {
    new LoadRun(invoke, inFlight, durationMs, totals, () => resolve(totals.result(inFlight))).start();
  });
}

/**
 * The client side of a measurement cut into slices: `run` with `reset` starts new totals, later
 * slices add to them, and each reply carries the sum so far.
 */
export class LoadSession {
  readonly #invoke: Invoke;
  #totals = new LoadTotals();

  constructor(invoke: Invoke) {
    this.#invoke = invoke;
  }

  run(inFlight: number, durationMs: number, reset: boolean): Promise<LoadResult> {
    if (reset) this.#totals = new LoadTotals();
    return runLoad(this.#invoke, inFlight, durationMs, this.#totals);
  }
}
