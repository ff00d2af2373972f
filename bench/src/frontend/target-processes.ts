/**
 * The processes under a target: whether one still runs, stopping them for sure, free ports below
 * the ephemeral range, the environment they run in, and the tail of what they print (with a wait
 * for a line that says they are ready).
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';

export const HOST = '127.0.0.1';

const START_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 10_000;
const KEEP_LINES = 200;

/** One process of a running target. */
export interface ServerProcess {
  /** `master`, `connector-1`, `chat-2`, `raw-ws`. */
  readonly id: string;
  /** Whether clients connect to it (connectors, the raw ws server). */
  readonly frontend: boolean;
  readonly pid: number;
}

/** Whether a process with this pid is running (a zombie counts as gone). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.charAt(stat.lastIndexOf(')') + 2) !== 'Z';
  } catch {
    return false;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Waits until none of `pids` runs, up to `timeoutMs`; true when all are gone. */
export async function waitGone(pids: readonly number[], timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (pids.every((pid) => !alive(pid))) return true;
    if (Date.now() > deadline) return false;
    await sleep(25);
  }
}

function signal(pid: number, name: NodeJS.Signals, group: boolean): void {
  try {
    process.kill(group ? -pid : pid, name);
  } catch {
    try {
      process.kill(pid, name);
    } catch {
      // gone already
    }
  }
}

/** Whether `port` is free on every interface (Pinus listens for RPC on all of them). */
function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, () => server.close(() => resolve(true)));
  });
}

function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) ? low : 32_768;
  } catch {
    return 32_768;
  }
}

const handedOut = new Set<number>();

/**
 * A port free a moment ago, below the ephemeral range: the load generator's thousands of outgoing
 * connections take their ports from that range, and could take a server's before it binds it.
 */
export async function freePort(): Promise<number> {
  const high = ephemeralLow();
  const low = 10_000;
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = low + Math.floor(Math.random() * (high - low));
    if (handedOut.has(port) || !(await canListen(port))) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error('no free port below the ephemeral range');
}

/** The last lines of every process of a target, for errors. */
export class OutputTail {
  readonly #lines: string[] = [];
  readonly #listeners = new Set<(line: string) => void>();

  add(line: string): void {
    this.#lines.push(line);
    if (this.#lines.length > KEEP_LINES) this.#lines.splice(0, this.#lines.length - KEEP_LINES);
    for (const listener of this.#listeners) listener(line);
  }

  follow(child: ChildProcess, label: string): void {
    for (const stream of [child.stdout, child.stderr]) {
      if (stream) createInterface({ input: stream }).on('line', (line) => this.add(`[${label}] ${line}`));
    }
  }

  /** Resolves with the first line `match` accepts; rejects at `deadline` or when `failed()` says so. */
  waitFor<T>(
    what: string,
    match: (line: string) => T | undefined,
    failed: () => string | undefined,
  ): Promise<T> {
    return new Promise((resolve, reject) => {
      const done = (error: Error | undefined, value?: T): void => {
        clearInterval(poll);
        clearTimeout(timer);
        this.#listeners.delete(listener);
        if (error) reject(error);
        else resolve(value as T);
      };
      const listener = (line: string): void => {
        const value = match(line);
        if (value !== undefined) done(undefined, value);
      };
      this.#listeners.add(listener);
      const poll = setInterval(() => {
        const why = failed();
        if (why !== undefined) done(new Error(`${why} while waiting for ${what}\n${this.text()}`));
      }, 50);
      const timer = setTimeout(
        () => done(new Error(`timed out waiting for ${what}\n${this.text()}`)),
        START_TIMEOUT_MS,
      );
    });
  }

  text(count = 40): string {
    return this.#lines.slice(-count).join('\n');
  }
}

export function exitOf(child: ChildProcess): string | undefined {
  if (child.exitCode !== null) return `exited with code ${child.exitCode}`;
  if (child.signalCode !== null) return `killed by ${child.signalCode}`;
  return undefined;
}

/** SIGTERM to the groups `first` lead, then SIGKILL to every process left after the grace period. */
export async function stopAll(
  processes: readonly ServerProcess[],
  first: readonly number[],
  folder: string | undefined,
): Promise<void> {
  for (const pid of first) signal(pid, 'SIGTERM', true);
  const pids = processes.map((entry) => entry.pid);
  if (!(await waitGone(pids, STOP_GRACE_MS))) {
    for (const pid of pids) if (alive(pid)) signal(pid, 'SIGKILL', true);
    await waitGone(pids, STOP_GRACE_MS);
  }
  if (folder !== undefined) rmSync(folder, { recursive: true, force: true });
}

export function benchEnvironment(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, SHADDOCK_BENCH_PARENT_PID: String(process.pid), ...extra };
  // what a test runner puts there (loaders, inspector flags) is not meant for the servers
  delete env['NODE_OPTIONS'];
  delete env['SHADDOCK_ADMIN_USER'];
  return env;
}
