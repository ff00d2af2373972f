/**
 * The runs summed up: for every setup and scenario the median of each figure over the runs, and
 * the ratios between setups as the median of the runs' paired ratios (run k of one setup against
 * run k of the other, measured turn about, so a busy spell of the machine stays out of the ratio).
 */
import { median } from '../measure.js';
import type { RunRecord, Setup } from './bench.js';
import { setupKey, setupName } from './bench.js';
import type { BroadcastMeasurement, CpuWindow } from './scenarios.js';

/** Median CPU % of each process over the runs, by process id, and the load generator's. */
export interface CpuPercents {
  readonly processes: Readonly<Record<string, number>>;
  readonly loader: number;
}

export interface RequestResponseRow {
  readonly setup: string;
  readonly name: string;
  readonly clients: number;
  readonly runs: number;
  readonly requestsPerSecond: number;
  readonly p50Us: number;
  readonly p99Us: number;
  readonly maxUs: number;
  readonly serverMicrosPerOp: number;
  /** Server read + write system calls per request. */
  readonly syscallsPerOp: number;
  readonly cpu: CpuPercents;
}

export interface BroadcastRow {
  readonly setup: string;
  readonly name: string;
  readonly clients: number;
  readonly rate: number;
  readonly runs: number;
  readonly offeredPushesPerSecond: number;
  readonly deliveredPushesPerSecond: number;
  /** The lowest delivery ratio of the runs. */
  readonly deliveryRatio: number;
  readonly p50Us: number;
  readonly p99Us: number;
  readonly maxUs: number;
  readonly serverMicrosPerOp: number;
  /** Server read + write system calls per delivered push. */
  readonly syscallsPerOp: number;
  /** Runs in which it did not keep up (late or still-arriving pushes). */
  readonly behindRuns: number;
  readonly cpu: CpuPercents;
}

export interface SaturationRow {
  readonly setup: string;
  readonly name: string;
  readonly clients: number;
  readonly runs: number;
  readonly sustainedRate: number;
  readonly sustainedPushesPerSecond: number;
  /** Every run's sustained rate (msg/s), in run order. */
  readonly rates: readonly number[];
  readonly loaderBoundRuns: number;
}

export interface ConnectionRow {
  readonly setup: string;
  readonly name: string;
  readonly clients: number;
  readonly runs: number;
  readonly connectsPerSecond: number;
  readonly serverMicrosPerConnection: number;
  readonly rssPerConnectionBytes: number;
  readonly frontendRssPerConnectionBytes: number;
  /** All server processes while the clients idle, % of one core. */
  readonly idleServerPercent: number;
  readonly cpu: CpuPercents;
}

/** `subject` against `baseline`, figure by figure (medians of paired ratios). */
export interface Comparison {
  readonly subject: string;
  readonly baseline: string;
  readonly label: string;
  /** figure key (`rr.100.serverMicrosPerOp`, `bcast.p99`, …) → ratio subject ÷ baseline. */
  readonly ratios: Readonly<Record<string, number>>;
}

export interface FrontendSummary {
  readonly rr: readonly RequestResponseRow[];
  readonly bcast: readonly BroadcastRow[];
  readonly saturation: readonly SaturationRow[];
  readonly conn: readonly ConnectionRow[];
  readonly comparisons: readonly Comparison[];
}

function mid(values: readonly number[]): number {
  return median(values.filter((value) => Number.isFinite(value)));
}

/** Read and write system calls of the servers in a window; NaN for results saved before they were counted. */
function syscalls(cpu: CpuWindow): number {
  return typeof cpu.serverReads === 'number' ? cpu.serverReads + cpu.serverWrites : Number.NaN;
}

function cpuPercents(windows: readonly CpuWindow[]): CpuPercents {
  const ids = [...new Set(windows.flatMap((window) => window.processes.map((entry) => entry.id)))];
  return {
    processes: Object.fromEntries(
      ids.map((id) => [
        id,
        mid(
          windows.map((window) => window.processes.find((entry) => entry.id === id)?.percent ?? Number.NaN),
        ),
      ]),
    ),
    loader: mid(windows.map((window) => window.loader.percent)),
  };
}

/** The figures a comparison pairs, by key, from one run; NaN when the run lacks them. */
function figures(record: RunRecord): Map<string, number> {
  const map = new Map<string, number>();
  for (const rr of record.rr) {
    map.set(`rr.${rr.clients}.serverMicrosPerOp`, rr.serverMicrosPerOp);
    map.set(`rr.${rr.clients}.p99`, rr.latency.p99Ns);
    map.set(`rr.${rr.clients}.requestsPerSecond`, rr.requestsPerSecond);
    map.set(`rr.${rr.clients}.syscalls`, syscalls(rr.cpu) / rr.requests);
  }
  if (record.bcast) {
    map.set('bcast.serverMicrosPerOp', record.bcast.serverMicrosPerOp);
    map.set('bcast.p99', record.bcast.latency.p99Ns);
    map.set('bcast.deliveredPushesPerSecond', record.bcast.deliveredPushesPerSecond);
    map.set('bcast.syscalls', syscalls(record.bcast.cpu) / record.bcast.delivered);
  }
  if (record.saturation)
    map.set('saturation.sustainedPushesPerSecond', record.saturation.sustainedPushesPerSecond);
  if (record.conn) {
    // the connections live on the frontends; the other processes' RSS moves with their own GC
    map.set('conn.rssPerConnection', record.conn.frontendRssPerConnectionBytes);
    map.set('conn.allRssPerConnection', record.conn.rssPerConnectionBytes);
    map.set('conn.connectsPerSecond', record.conn.connectsPerSecond);
    map.set('conn.serverMicrosPerConnection', record.conn.serverMicrosPerConnection);
  }
  return map;
}

/** Pairs run k of `subject` with run k of `baseline` (runs with problems left out). */
export function compare(records: readonly RunRecord[], subject: Setup, baseline: Setup): Comparison {
  const good = (key: string): Map<number, Map<string, number>> =>
    new Map(
      records
        .filter((record) => record.setup === key && record.problems.length === 0)
        .map((record) => [record.run, figures(record)]),
    );
  const ours = good(setupKey(subject));
  const theirs = good(setupKey(baseline));
  const keys = new Set([...ours.values()].flatMap((map) => [...map.keys()]));
  const ratios: Record<string, number> = {};
  for (const key of keys) {
    const paired: number[] = [];
    for (const [run, mine] of ours) {
      const a = mine.get(key);
      const b = theirs.get(run)?.get(key);
      if (a !== undefined && b !== undefined && b !== 0) paired.push(a / b);
    }
    ratios[key] = mid(paired);
  }
  return {
    subject: setupKey(subject),
    baseline: setupKey(baseline),
    label: `${setupName(subject)} ÷ ${setupName(baseline)}`,
    ratios,
  };
}

/** Medians per setup and scenario; runs with problems are left out of every figure. */
export function summarize(setups: readonly Setup[], records: readonly RunRecord[]): FrontendSummary {
  const rr: RequestResponseRow[] = [];
  const bcast: BroadcastRow[] = [];
  const saturation: SaturationRow[] = [];
  const conn: ConnectionRow[] = [];
  for (const setup of setups) {
    const key = setupKey(setup);
    const name = setupName(setup);
    const mine = records.filter((record) => record.setup === key && record.problems.length === 0);
    const levels = [...new Set(mine.flatMap((record) => record.rr.map((entry) => entry.clients)))].sort(
      (a, b) => a - b,
    );
    for (const clients of levels) {
      const all = mine.flatMap((record) => record.rr.filter((entry) => entry.clients === clients));
      rr.push({
        setup: key,
        name,
        clients,
        runs: all.length,
        requestsPerSecond: mid(all.map((m) => m.requestsPerSecond)),
        p50Us: mid(all.map((m) => m.latency.p50Ns / 1e3)),
        p99Us: mid(all.map((m) => m.latency.p99Ns / 1e3)),
        maxUs: mid(all.map((m) => m.latency.maxNs / 1e3)),
        serverMicrosPerOp: mid(all.map((m) => m.serverMicrosPerOp)),
        syscallsPerOp: mid(all.map((m) => syscalls(m.cpu) / m.requests)),
        cpu: cpuPercents(all.map((m) => m.cpu)),
      });
    }
    const casts = mine.flatMap((record) => (record.bcast ? [record.bcast] : []));
    if (casts.length > 0) bcast.push(broadcastRow(key, name, casts));
    const searches = mine.flatMap((record) => (record.saturation ? [record.saturation] : []));
    if (searches.length > 0) {
      saturation.push({
        setup: key,
        name,
        clients: searches[0]?.clients ?? 0,
        runs: searches.length,
        sustainedRate: mid(searches.map((s) => s.sustainedRate)),
        sustainedPushesPerSecond: mid(searches.map((s) => s.sustainedPushesPerSecond)),
        rates: searches.map((s) => s.sustainedRate),
        loaderBoundRuns: searches.filter((s) => s.loaderBound).length,
      });
    }
    const conns = mine.flatMap((record) => (record.conn ? [record.conn] : []));
    if (conns.length > 0) {
      conn.push({
        setup: key,
        name,
        clients: conns[0]?.clients ?? 0,
        runs: conns.length,
        connectsPerSecond: mid(conns.map((c) => c.connectsPerSecond)),
        serverMicrosPerConnection: mid(conns.map((c) => c.serverMicrosPerConnection)),
        rssPerConnectionBytes: mid(conns.map((c) => c.rssPerConnectionBytes)),
        frontendRssPerConnectionBytes: mid(conns.map((c) => c.frontendRssPerConnectionBytes)),
        idleServerPercent: mid(conns.map((c) => (c.idleCpu.serverMicros / c.idleCpu.wallMicros) * 100)),
        cpu: cpuPercents(conns.map((c) => c.idleCpu)),
      });
    }
  }
  return { rr, bcast, saturation, conn, comparisons: comparisons(setups, records) };
}

function broadcastRow(key: string, name: string, casts: readonly BroadcastMeasurement[]): BroadcastRow {
  return {
    setup: key,
    name,
    clients: casts[0]?.clients ?? 0,
    rate: casts[0]?.rate ?? 0,
    runs: casts.length,
    offeredPushesPerSecond: mid(casts.map((m) => m.offeredPushesPerSecond)),
    deliveredPushesPerSecond: mid(casts.map((m) => m.deliveredPushesPerSecond)),
    deliveryRatio: Math.min(...casts.map((m) => m.deliveryRatio)),
    p50Us: mid(casts.map((m) => m.latency.p50Ns / 1e3)),
    p99Us: mid(casts.map((m) => m.latency.p99Ns / 1e3)),
    maxUs: mid(casts.map((m) => m.latency.maxNs / 1e3)),
    serverMicrosPerOp: mid(casts.map((m) => m.serverMicrosPerOp)),
    syscallsPerOp: mid(casts.map((m) => syscalls(m.cpu) / m.delivered)),
    behindRuns: casts.filter((m) => m.behind.length > 0).length,
    cpu: cpuPercents(casts.map((m) => m.cpu)),
  };
}

/** Shaddock against Pinus in each topology, and each Shaddock topology against raw ws. */
function comparisons(setups: readonly Setup[], records: readonly RunRecord[]): Comparison[] {
  const list: Comparison[] = [];
  const raw = setups.find((setup) => setup.target === 'raw');
  for (const ours of setups.filter((setup) => setup.target === 'shaddock')) {
    const pinus = setups.find(
      (setup) =>
        setup.target === 'pinus' &&
        setup.topology.connectors === ours.topology.connectors &&
        setup.topology.chats === ours.topology.chats,
    );
    if (pinus) list.push(compare(records, ours, pinus));
    if (raw) list.push(compare(records, ours, raw));
  }
  return list;
}
