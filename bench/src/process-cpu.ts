/**
 * CPU time of other processes, read from `/proc/<pid>/stat` (Linux): the benchmarks that run
 * servers and clients as child processes sample them before and after a measured window and
 * report CPU time per operation and CPU %.
 *
 * @example
 * ```ts
 * const before = readProcessCpu(child.pid);
 * // … the measured window …
 * const used = cpuUsed(before, readProcessCpu(child.pid)); // { userMicros, systemMicros, totalMicros, wallMicros, percent }
 * ```
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** What a process had used at one moment. */
export interface CpuSample {
  readonly pid: number;
  /** utime, in clock ticks. */
  readonly userTicks: number;
  /** stime, in clock ticks. */
  readonly systemTicks: number;
  /** When it was read, on the `process.hrtime.bigint()` clock (ns). */
  readonly at: bigint;
}

/** What a process used between two samples. */
export interface CpuUsage {
  readonly pid: number;
  readonly userMicros: number;
  readonly systemMicros: number;
  /** User + system. */
  readonly totalMicros: number;
  /** Wall-clock time between the samples. */
  readonly wallMicros: number;
  /** totalMicros / wallMicros × 100: 100 is one core busy all the time. */
  readonly percent: number;
}

const FALLBACK_CLOCK_TICKS = 100;
let clockTicks: number | undefined;

/** `getconf CLK_TCK`: the unit of utime and stime (usually 100 per second); 100 if it cannot be read. */
export function clockTicksPerSecond(): number {
  if (clockTicks === undefined) {
    let value = Number.NaN;
    try {
      value = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    } catch {
      // no getconf: keep the fallback
    }
    clockTicks = Number.isInteger(value) && value > 0 ? value : FALLBACK_CLOCK_TICKS;
  }
  return clockTicks;
}

/**
 * Reads utime and stime of `pid` (all its threads). Throws when the process is gone or when
 * `/proc` is not there (not Linux).
 */
export function readProcessCpu(pid: number): CpuSample {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const at = process.hrtime.bigint();
  return { pid, ...parseProcStat(text), at };
}

/**
 * utime and stime from the text of a `/proc/<pid>/stat`. The command name, field 2, is in
 * parentheses and may hold spaces and parentheses itself, so fields are counted from the last `)`.
 */
export function parseProcStat(text: string): { userTicks: number; systemTicks: number } {
  const close = text.lastIndexOf(')');
  // after ") " come the fields from 3 (state) on; utime is field 14 and stime field 15
  const fields = text.slice(close + 2).split(' ');
  const userTicks = Number(fields[14 - 3]);
  const systemTicks = Number(fields[15 - 3]);
  if (close < 0 || !Number.isFinite(userTicks) || !Number.isFinite(systemTicks)) {
    throw new Error(`unreadable /proc/<pid>/stat: ${text.slice(0, 120)}`);
  }
  return { userTicks, systemTicks };
}

/** The CPU time `pid` used between two of its samples. */
export function cpuUsed(before: CpuSample, after: CpuSample): CpuUsage {
  if (before.pid !== after.pid) throw new Error(`samples of two processes: ${before.pid} and ${after.pid}`);
  const microsPerTick = 1e6 / clockTicksPerSecond();
  const userMicros = (after.userTicks - before.userTicks) * microsPerTick;
  const systemMicros = (after.systemTicks - before.systemTicks) * microsPerTick;
  const totalMicros = userMicros + systemMicros;
  const wallMicros = Number(after.at - before.at) / 1e3;
  return {
    pid: before.pid,
    userMicros,
    systemMicros,
    totalMicros,
    wallMicros,
    percent: wallMicros > 0 ? (totalMicros / wallMicros) * 100 : 0,
  };
}

/** Usage over several windows of one process, added up (CPU % over their summed wall time). */
export function sumCpuUsage(pid: number, windows: readonly CpuUsage[]): CpuUsage {
  let userMicros = 0;
  let systemMicros = 0;
  let wallMicros = 0;
  for (const window of windows) {
    if (window.pid !== pid) throw new Error(`usage of process ${window.pid} summed as ${pid}'s`);
    userMicros += window.userMicros;
    systemMicros += window.systemMicros;
    wallMicros += window.wallMicros;
  }
  const totalMicros = userMicros + systemMicros;
  return {
    pid,
    userMicros,
    systemMicros,
    totalMicros,
    wallMicros,
    percent: wallMicros > 0 ? (totalMicros / wallMicros) * 100 : 0,
  };
}

/**
 * The resident set size of `pid` in bytes (`VmRSS` in `/proc/<pid>/status`). Throws when the
 * process is gone or `/proc` is not there.
 */
export function readProcessRss(pid: number): number {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(text);
  if (!match?.[1]) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(match[1]) * 1024;
}

/** Read and write system calls a process has made (`syscr` and `syscw` in `/proc/<pid>/io`). */
export interface IoSample {
  readonly reads: number;
  readonly writes: number;
}

/**
 * The read-family and write-family system calls `pid` has made so far (socket reads and writes
 * included: `read`, `readv`, `write`, `writev`). Throws when the process is gone or `/proc` is not there.
 */
export function readProcessIo(pid: number): IoSample {
  const text = readFileSync(`/proc/${pid}/io`, 'utf8');
  const reads = /^syscr:\s+(\d+)$/m.exec(text)?.[1];
  const writes = /^syscw:\s+(\d+)$/m.exec(text)?.[1];
  if (reads === undefined || writes === undefined) throw new Error(`no syscr/syscw in /proc/${pid}/io`);
  return { reads: Number(reads), writes: Number(writes) };
}
