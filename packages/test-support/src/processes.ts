// Real processes for the examples' tests: free ports, polling, the process tree under a pid, and
// an app run exactly as a user runs it, `shaddock start --dir <app> --env <env>`.
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** Whether something can listen on this port of 127.0.0.1 now. */
function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

const handedOut = new Set<number>();

/**
 * A port free a moment ago, for a config file. Picked from 20000–29999, below Linux's ephemeral
 * range, so that no outgoing connection takes it before the server binds it; never twice.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 10_000);
    if (handedOut.has(port) || !(await canListen(port))) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error('no free port found in 20000–29999');
}

/** Polls `probe` until it returns something; fails after `timeoutMs` (a guard, never an assertion on time). */
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Whether a process with this pid runs (a zombie counts as gone). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat[stat.lastIndexOf(')') + 2] !== 'Z';
  } catch {
    return true;
  }
}

/**
 * Stops a started process and what it started: SIGTERM to `child` (unless it has exited), up to
 * `graceMs` for it to exit, then up to 15 s for every one of `pids` to be gone; kills (SIGKILL)
 * those left, and resolves to them.
 */
export async function terminate(
  child: ChildProcess,
  exit: Promise<void>,
  pids: Iterable<number>,
  graceMs: number,
): Promise<number[]> {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  await Promise.race([exit, new Promise((resolve) => setTimeout(resolve, graceMs))]);
  const all = [...pids];
  const killed: number[] = [];
  try {
    await waitFor('every process to exit', () => (all.every((pid) => !alive(pid)) ? true : undefined));
  } catch {
    for (const pid of all) {
      if (!alive(pid)) continue;
      killed.push(pid);
      process.kill(pid, 'SIGKILL');
    }
  }
  return killed;
}

/** Every process below `root` (children, their children, …), read from /proc. */
export function descendantsOf(root: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const below = (pid: number): boolean => {
    for (let parent = parents.get(pid); parent !== undefined && parent > 1; parent = parents.get(parent)) {
      if (parent === root) return true;
    }
    return false;
  };
  return [...parents.keys()].filter(below);
}

/** Debian's Chromium (`apt-get install chromium`; CI installs it in .ci/run), never a downloaded one. */
export const CHROMIUM = '/usr/bin/chromium';
/** The flags a headless Chromium needs here (no sandbox in containers, no GPU, no calls home). */
export const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/** An app started with `shaddock start`; `stop()` always (it is safe to call twice). */
export interface StartedApp {
  /** What `shaddock start` and the master printed (the servers' lines come through it). */
  output(): string;
  /** Whether `shaddock start` has exited. */
  exited(): boolean;
  /** Every pid seen below `shaddock start` so far (the master and its servers). */
  pids(): number[];
  /**
   * Stops the cluster as Ctrl-C would (SIGTERM to `shaddock start`, which passes it to the master),
   * then kills whatever is left; resolves to the pids that had to be killed.
   */
  stop(): Promise<number[]>;
}

/** What {@link startApp} runs. */
export interface StartAppOptions {
  /** The `shaddock` command (`<package shaddock>/bin/shaddock.js`). */
  readonly bin: string;
  /** The app's folder (holds config/ and app.js). */
  readonly dir: string;
  readonly env: string;
  /** Variables to add to (a string) or remove from (`undefined`) the test's environment. */
  readonly environment?: Readonly<Record<string, string | undefined>>;
}

/** Runs `node <bin> start --dir <dir> --env <env>` and returns at once; wait for readiness yourself. */
export function startApp(options: StartAppOptions): StartedApp {
  const environment: NodeJS.ProcessEnv = { ...process.env };
  for (const [name, value] of Object.entries(options.environment ?? {})) {
    if (value === undefined) delete environment[name];
    else environment[name] = value;
  }
  const child: ChildProcess = spawn(
    process.execPath,
    [options.bin, 'start', '--dir', options.dir, '--env', options.env],
    { cwd: options.dir, env: environment, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (text: string) => (output += text));
  child.stderr?.setEncoding('utf8').on('data', (text: string) => (output += text));
  let done = false;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', () => {
      done = true;
      resolve();
    }),
  );
  const seen = new Set<number>(child.pid === undefined ? [] : [child.pid]);
  const look = (): number[] => {
    if (child.pid !== undefined && !done) for (const pid of descendantsOf(child.pid)) seen.add(pid);
    return [...seen];
  };
  let stopping: Promise<number[]> | undefined;
  const stop = (): Promise<number[]> => {
    stopping ??= terminate(child, exit, look(), 20_000);
    return stopping;
  };
  return { output: () => output, exited: () => done, pids: look, stop };
}
