/**
 * The targets of the frontend benchmark, each started as a fresh cluster of real processes on
 * 127.0.0.1 with generated config and free ports: the Shaddock app (its master spawns the
 * servers), the Pinus app (a stand-alone master, every server spawned here as Pinus's master
 * would), and the raw ws server. Each reports its processes' pids and stops for sure.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { delimiter, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Endpoint } from './loader-protocol.js';
import {
  benchEnvironment,
  exitOf,
  freePort,
  HOST,
  OutputTail,
  type ServerProcess,
  stopAll,
} from './target-processes.js';

export { alive, HOST, type ServerProcess, waitGone } from './target-processes.js';

/** The frameworks compared, and the floor. */
export const TARGETS = ['shaddock', 'pinus', 'raw'] as const;
export type TargetName = (typeof TARGETS)[number];

export const TARGET_LABELS: Readonly<Record<TargetName, string>> = {
  shaddock: 'Shaddock',
  pinus: 'Pinus',
  raw: 'raw ws',
};

/** Connectors and chat servers; the raw ws server is one process whatever is asked. */
export interface Topology {
  readonly connectors: number;
  readonly chats: number;
}

/** A running target; `stop()` always, in a `finally`. */
export interface RunningTarget {
  readonly target: TargetName;
  readonly topology: Topology;
  readonly endpoints: readonly Endpoint[];
  readonly processes: readonly ServerProcess[];
  /** The last lines its processes printed. */
  output(): string;
  /** Stops every process (gracefully, then killed), removes its folder; resolves once all are gone. */
  stop(): Promise<void>;
}

/** How to start a target. */
export interface StartOptions {
  readonly topology: Topology;
  /** Node options for every Shaddock or Pinus process (Shaddock's master hands its own to the servers), e.g. `--cpu-prof`. */
  readonly nodeArgs?: readonly string[];
  /** Shaddock only: the connector's `pushScheduler: { type: 'buffer', flushMs }` (default `'direct'`). */
  readonly pushFlushMs?: number;
  readonly log?: (line: string) => void;
}

/** The Shaddock app's `pushScheduler: { type: 'buffer', flushMs }`, in milliseconds; unset: `'direct'`. */
const PUSH_FLUSH_MS_ENV = 'SHADDOCK_BENCH_PUSH_FLUSH_MS';

const APPS = fileURLToPath(new URL('../../apps/', import.meta.url));

/** Starts `target` as a fresh cluster; rejects (having stopped what started) on failure. */
export function startTarget(target: TargetName, options: StartOptions): Promise<RunningTarget> {
  switch (target) {
    case 'shaddock':
      return startShaddock(options);
    case 'pinus':
      return startPinus(options);
    case 'raw':
      return startRaw(options);
  }
}

interface ServerSpec {
  readonly id: string;
  readonly serverType: 'connector' | 'chat';
  readonly port: number;
  readonly clientPort?: number;
}

async function serverSpecs(topology: Topology): Promise<ServerSpec[]> {
  const specs: ServerSpec[] = [];
  for (let index = 1; index <= topology.connectors; index++) {
    specs.push({
      id: `connector-${index}`,
      serverType: 'connector',
      port: await freePort(),
      clientPort: await freePort(),
    });
  }
  for (let index = 1; index <= topology.chats; index++) {
    specs.push({ id: `chat-${index}`, serverType: 'chat', port: await freePort() });
  }
  return specs;
}

function serversJson(
  specs: readonly ServerSpec[],
  pinus: boolean,
): Record<string, Record<string, unknown>[]> {
  const byType: Record<string, Record<string, unknown>[]> = {};
  for (const spec of specs) {
    const entry: Record<string, unknown> = { id: spec.id, host: HOST, port: spec.port };
    if (spec.clientPort !== undefined) {
      Object.assign(entry, pinus ? { clientHost: HOST } : {}, {
        clientPort: spec.clientPort,
        frontend: true,
      });
    }
    const list = byType[spec.serverType] ?? [];
    list.push(entry);
    byType[spec.serverType] = list;
  }
  return byType;
}

function endpointsOf(specs: readonly ServerSpec[]): Endpoint[] {
  return specs.flatMap((spec) =>
    spec.clientPort === undefined ? [] : [{ host: HOST, port: spec.clientPort }],
  );
}

const READY = /BENCH_READY (\S+) (\d+)\s*$/;

// ---- Shaddock -------------------------------------------------------------------------------------

async function startShaddock(options: StartOptions): Promise<RunningTarget> {
  const specs = await serverSpecs(options.topology);
  const masterPort = await freePort();
  const folder = mkdtempSync(join(tmpdir(), 'shaddock-bench-'));
  mkdirSync(join(folder, 'config'));
  const write = (name: string, content: unknown): void =>
    writeFileSync(join(folder, 'config', name), `${JSON.stringify(content, null, 2)}\n`);
  write('servers.json', { bench: serversJson(specs, false) });
  write('master.json', { bench: { id: 'master', host: HOST, port: masterPort } });
  write('dictionary.json', ['onChat']);
  symlinkSync(join(APPS, 'shaddock', 'app'), join(folder, 'app'), 'dir');
  // the master hands its environment to the servers it spawns
  const env = benchEnvironment({ SHADDOCK_BENCH_BASE: folder });
  if (options.pushFlushMs === undefined) delete env[PUSH_FLUSH_MS_ENV];
  else env[PUSH_FLUSH_MS_ENV] = String(options.pushFlushMs);
  const tail = new OutputTail();
  const master = spawn(
    process.execPath,
    [...(options.nodeArgs ?? []), join(APPS, 'shaddock', 'app.js'), 'env=bench'],
    {
      cwd: folder,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  tail.follow(master, 'shaddock');
  const processes: ServerProcess[] = [{ id: 'master', frontend: false, pid: master.pid ?? 0 }];
  const stop = (): Promise<void> => stopAll(processes, [master.pid ?? 0], folder);
  try {
    const pending = new Set(specs.map((spec) => spec.id));
    await tail.waitFor(
      `${pending.size} Shaddock servers`,
      (line) => {
        const match = READY.exec(line);
        if (!match?.[1] || !pending.has(match[1])) return undefined;
        pending.delete(match[1]);
        processes.push({ id: match[1], frontend: match[1].startsWith('connector'), pid: Number(match[2]) });
        return pending.size === 0 ? true : undefined;
      },
      () => exitOf(master),
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    target: 'shaddock',
    topology: options.topology,
    endpoints: endpointsOf(specs),
    processes,
    output: () => tail.text(),
    stop,
  };
}

// ---- Pinus ----------------------------------------------------------------------------------------

/** node_modules folders holding `pinus` and `reflect-metadata`: the app runs from a temp copy (NODE_PATH). */
function pinusNodePath(): string {
  const require = createRequire(import.meta.url);
  const marker = `${sep}node_modules${sep}`;
  const folders = new Set<string>();
  for (const name of ['pinus', 'reflect-metadata']) {
    const entry = require.resolve(name);
    const at = entry.lastIndexOf(marker);
    if (at < 0) throw new Error(`${name} resolved outside node_modules: ${entry}`);
    folders.add(entry.slice(0, at + marker.length - 1));
  }
  return [...folders].join(delimiter);
}

async function startPinus(options: StartOptions): Promise<RunningTarget> {
  const specs = await serverSpecs(options.topology);
  const masterPort = await freePort();
  const folder = mkdtempSync(join(tmpdir(), 'shaddock-bench-pinus-'));
  cpSync(join(APPS, 'pinus'), folder, { recursive: true });
  const write = (name: string, content: unknown): void =>
    writeFileSync(join(folder, 'config', name), `${JSON.stringify(content, null, 2)}\n`);
  write('master.json', { id: 'master', host: HOST, port: masterPort });
  write('servers.json', serversJson(specs, true));
  const env = benchEnvironment({ NODE_PATH: pinusNodePath(), NODE_ENV: 'development' });
  const tail = new OutputTail();
  const children: ChildProcess[] = [];
  const processes: ServerProcess[] = [];
  const launch = (label: string, args: readonly string[]): ChildProcess => {
    const child = spawn(
      process.execPath,
      [...(options.nodeArgs ?? []), join(folder, 'app.js'), 'env=development', ...args],
      {
        cwd: folder, // pinus-admin reads config/ relative to the working directory
        env,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    tail.follow(child, label);
    children.push(child);
    return child;
  };
  const stop = (): Promise<void> =>
    stopAll(
      processes,
      children.map((child) => child.pid ?? 0),
      folder,
    );
  const ready = (child: ChildProcess, id: string): Promise<true> =>
    tail.waitFor(
      `the Pinus ${id}`,
      (line) => (READY.exec(line)?.[1] === id ? true : undefined),
      () => {
        const exit = exitOf(child);
        return exit === undefined ? undefined : `the Pinus ${id} ${exit}`;
      },
    );
  try {
    const master = launch('pinus master', ['mode=stand-alone']);
    processes.push({ id: 'master', frontend: false, pid: master.pid ?? 0 });
    await ready(master, 'master');
    const started = specs.map((spec) => {
      const fields: Record<string, string | number | boolean> = {
        id: spec.id,
        host: HOST,
        port: spec.port,
        serverType: spec.serverType,
        ...(spec.clientPort === undefined
          ? {}
          : { clientHost: HOST, clientPort: spec.clientPort, frontend: true }),
      };
      const child = launch(
        spec.id,
        Object.entries(fields).map(([key, value]) => `${key}=${String(value)}`),
      );
      processes.push({ id: spec.id, frontend: spec.clientPort !== undefined, pid: child.pid ?? 0 });
      return ready(child, spec.id);
    });
    await Promise.all(started);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    target: 'pinus',
    topology: options.topology,
    endpoints: endpointsOf(specs),
    processes,
    output: () => tail.text(),
    stop,
  };
}

// ---- raw ws ---------------------------------------------------------------------------------------

async function startRaw(options: StartOptions): Promise<RunningTarget> {
  const port = await freePort();
  const tail = new OutputTail();
  const child = spawn(process.execPath, [join(APPS, 'raw-ws', 'server.js'), String(port)], {
    cwd: tmpdir(),
    env: benchEnvironment({}),
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  tail.follow(child, 'raw-ws');
  const processes: ServerProcess[] = [{ id: 'raw-ws', frontend: true, pid: child.pid ?? 0 }];
  const stop = (): Promise<void> => stopAll(processes, [child.pid ?? 0], undefined);
  try {
    await tail.waitFor(
      'the raw ws server',
      (line) => (READY.test(line) ? true : undefined),
      () => exitOf(child),
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    target: 'raw',
    topology: options.topology,
    endpoints: [{ host: HOST, port }],
    processes,
    output: () => tail.text(),
    stop,
  };
}
