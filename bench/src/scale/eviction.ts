/**
 * The eviction benchmark: how long NATS membership takes to drop a server that stops answering.
 * Two processes join one cluster on `NatsMembership` (default timing): an observer, and a member.
 * The member is frozen (`SIGSTOP`) and the time from the signal to the observer's `remove` is taken;
 * then it is thawed (`SIGCONT`) and the time to the observer's `add` (its rejoin) too. Then the same
 * with `SIGKILL` instead, a fresh member process started after each. Both times are read on the
 * machine's monotonic clock, the observer stamping its view's news as it happens.
 */
import { bucketStream, membersBucket, NatsConnections } from '@shaddock/nats';
import { getLogger } from 'shaddock';
import { median } from '../measure.js';
import { HOST } from '../rpc/messages.js';
import { BenchChild } from '../rpc/processes.js';
import { type MembershipNews, readMembershipNews } from './membership-messages.js';
import { scaleScript } from './scripts.js';

/** How a member stops answering. */
export const FAULTS = ['freeze', 'kill'] as const;
export type Fault = (typeof FAULTS)[number];

/** What the eviction benchmark does. */
export interface EvictionOptions {
  /** Repetitions of each fault. */
  readonly repetitions: number;
  /** Which faults (default both). */
  readonly faults?: readonly Fault[];
  /** The nats-server on 127.0.0.1 (default 4222). */
  readonly natsPort?: number;
  /**
   * Before each fault the member runs this long and then up to one heartbeat more, at random, so
   * the fault falls anywhere between two heartbeats (default 500 ms).
   */
  readonly settleMs?: number;
  readonly log?: (line: string) => void;
}

/** One fault and what the observer saw. */
export interface EvictionSample {
  readonly fault: Fault;
  /** 1‥repetitions. */
  readonly repetition: number;
  /** From the signal to the observer's `remove`, in ms. */
  readonly evictedMs: number;
  /** From `SIGCONT` (freeze) or the new process's start (kill) to the observer's `add`, in ms. */
  readonly rejoinedMs: number;
}

/** The samples of one fault, summed up. */
export interface EvictionRow {
  readonly fault: Fault;
  readonly samples: number;
  readonly medianMs: number;
  readonly minMs: number;
  readonly maxMs: number;
  readonly rejoinMedianMs: number;
  readonly rejoinMaxMs: number;
}

export interface EvictionResult {
  /** Every process the run started: all gone when it returns. */
  readonly pids: readonly number[];
  readonly samples: readonly EvictionSample[];
  readonly rows: readonly EvictionRow[];
  /** What went wrong; a run with any failed. */
  readonly problems: readonly string[];
}

/** The heartbeat of the driver's default timing: faults are spread over one such period. */
const HEARTBEAT_MS = 250;
const START_TIMEOUT_MS = 20_000;
const STOP_GRACE_MS = 5_000;
/** A member not removed (or not back) this long after the fault is a failure. */
const NEWS_TIMEOUT_MS = 10_000;

const OBSERVER_ID = 'observer-1';
const MEMBER_ID = 'member-1';

/** The news a membership process reports, waited for one at a time. */
class NewsQueue {
  readonly #queue: MembershipNews[] = [];
  #waiter: ((news: MembershipNews) => void) | undefined;

  constructor(child: BenchChild) {
    child.process.on('message', (raw: unknown) => {
      const news = readMembershipNews(raw);
      if (news === undefined) return;
      const waiter = this.#waiter;
      this.#waiter = undefined;
      if (waiter) waiter(news);
      else this.#queue.push(news);
    });
  }

  /** The next news of `event` about `id` (earlier other news is dropped); rejects after `timeoutMs`. */
  async next(event: MembershipNews['event'], id: string, timeoutMs: number): Promise<MembershipNews> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const news = await this.#take(deadline - performance.now());
      if (news === undefined) throw new Error(`the observer saw no ${event} of ${id} within ${timeoutMs} ms`);
      if (news.event === event && news.id === id) return news;
    }
  }

  /** Forgets what came so far (news of an earlier step). */
  clear(): void {
    this.#queue.length = 0;
  }

  #take(timeoutMs: number): Promise<MembershipNews | undefined> {
    const queued = this.#queue.shift();
    if (queued) return Promise.resolve(queued);
    if (timeoutMs <= 0) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiter = undefined;
        resolve(undefined);
      }, timeoutMs);
      this.#waiter = (news) => {
        clearTimeout(timer);
        resolve(news);
      };
    });
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function millisSince(start: bigint, news: MembershipNews): number {
  return Number(BigInt(news.at) - start) / 1e6;
}

/** Runs the benchmark; every process it started is gone, and the cluster's bucket deleted, when it returns. */
export async function runEvictionBenchmark(options: EvictionOptions): Promise<EvictionResult> {
  const log = options.log ?? (() => {});
  const natsPort = options.natsPort ?? 4222;
  const settleMs = options.settleMs ?? 500;
  const faults = options.faults ?? FAULTS;
  const cluster = `bench-scale-${process.pid}-${Date.now().toString(36)}`;
  const spawnMember = (id: string): BenchChild => {
    const child = new BenchChild({
      label: id,
      script: scaleScript('membership-process'),
      args: [String(natsPort), cluster, id],
      nodeArgs: [],
      cpu: undefined,
      output: log,
      // the driver's info lines (a member silent: removed) would repeat every repetition
      quiet: (line) => line.includes('"level":30'),
    });
    if (child.process.pid !== undefined) pids.push(child.process.pid);
    return child;
  };
  const samples: EvictionSample[] = [];
  const problems: string[] = [];
  const children = new Set<BenchChild>();
  const pids: number[] = [];
  let member: BenchChild | undefined;
  try {
    const observer = spawnMember(OBSERVER_ID);
    children.add(observer);
    const news = new NewsQueue(observer);
    await observer.ready(START_TIMEOUT_MS);
    const join = async (): Promise<{ child: BenchChild; startedAt: bigint }> => {
      const startedAt = process.hrtime.bigint();
      const child = spawnMember(MEMBER_ID);
      children.add(child);
      await child.ready(START_TIMEOUT_MS);
      return { child, startedAt };
    };
    const first = await join();
    member = first.child;
    await news.next('add', MEMBER_ID, NEWS_TIMEOUT_MS);
    for (const fault of faults) {
      for (let repetition = 1; repetition <= options.repetitions; repetition++) {
        await sleep(settleMs + Math.random() * HEARTBEAT_MS);
        news.clear();
        const current: BenchChild = member;
        const signalledAt = process.hrtime.bigint();
        current.process.kill(fault === 'freeze' ? 'SIGSTOP' : 'SIGKILL');
        const removed = await news.next('remove', MEMBER_ID, NEWS_TIMEOUT_MS);
        const evictedMs = millisSince(signalledAt, removed);
        let rejoinedMs: number;
        if (fault === 'freeze') {
          const thawedAt = process.hrtime.bigint();
          current.process.kill('SIGCONT');
          rejoinedMs = millisSince(thawedAt, await news.next('add', MEMBER_ID, NEWS_TIMEOUT_MS));
        } else {
          await current.stop(STOP_GRACE_MS);
          children.delete(current);
          const next = await join();
          member = next.child;
          rejoinedMs = millisSince(next.startedAt, await news.next('add', MEMBER_ID, NEWS_TIMEOUT_MS));
        }
        samples.push({ fault, repetition, evictedMs, rejoinedMs });
        log(
          `eviction  ${fault.padEnd(6)} ${String(repetition).padStart(2)}/${options.repetitions}  removed after ${evictedMs.toFixed(0)} ms, back after ${rejoinedMs.toFixed(0)} ms`,
        );
      }
    }
  } catch (error) {
    problems.push(error instanceof Error ? error.message : String(error));
  } finally {
    // a frozen member would not hear its stop
    if (member?.process.exitCode === null) member.process.kill('SIGCONT');
    await Promise.all([...children].map((child) => child.stop(STOP_GRACE_MS)));
    await deleteBucket(natsPort, cluster).catch((error: unknown) =>
      log(`could not delete the members bucket of ${cluster}: ${String(error)}`),
    );
  }
  const rows = faults.flatMap((fault): EvictionRow[] => {
    const mine = samples.filter((sample) => sample.fault === fault);
    if (mine.length === 0) return [];
    const evicted = mine.map((sample) => sample.evictedMs);
    const rejoined = mine.map((sample) => sample.rejoinedMs);
    return [
      {
        fault,
        samples: mine.length,
        medianMs: median(evicted),
        minMs: Math.min(...evicted),
        maxMs: Math.max(...evicted),
        rejoinMedianMs: median(rejoined),
        rejoinMaxMs: Math.max(...rejoined),
      },
    ];
  });
  return { pids, samples, rows, problems };
}

/**
 * Deletes the cluster's members bucket (the driver names it `shaddock_<cluster>_members`; a KV
 * bucket is the stream `KV_<bucket>`), so runs leave nothing behind in the shared nats-server.
 */
async function deleteBucket(natsPort: number, cluster: string): Promise<void> {
  const connections = new NatsConnections({
    servers: [`nats://${HOST}:${natsPort}`],
    name: 'bench-cleanup',
    logger: getLogger('bench'),
  });
  try {
    const nc = await connections.acquire();
    await nc.request(`$JS.API.STREAM.DELETE.${bucketStream(membersBucket(cluster))}`, new Uint8Array(), {
      timeout: 2_000,
    });
  } finally {
    await connections.close();
  }
}
