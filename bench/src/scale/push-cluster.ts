/**
 * The global-push benchmark's cluster: the app in `bench/apps/shaddock-scale` (its master spawns two
 * connectors and one `chat` backend) in a fresh folder with generated config and free ports, as the
 * frontend benchmark starts its Shaddock target. It reports its processes' pids and stops for sure.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  benchEnvironment,
  exitOf,
  freePort,
  HOST,
  OutputTail,
  type ServerProcess,
  stopAll,
} from '../frontend/target-processes.js';
import type { RunningTarget } from '../frontend/targets.js';
import { SCALE_APP } from './scripts.js';

/** How to start the cluster. */
export interface ScaleClusterOptions {
  readonly connectors: number;
  /** The Redis of the global channel. */
  readonly redisUrl: string;
  /** The global channel's keys start with `shaddock:<cluster>:`. */
  readonly cluster: string;
}

/** The running cluster: a frontend-benchmark target whose processes are its servers (not the master). */
export interface ScaleCluster extends RunningTarget {
  readonly masterPid: number;
}

const READY = /BENCH_READY (\S+) (\d+)\s*$/;

/** Starts the cluster; rejects (having stopped what started) on failure. */
export async function startScaleCluster(options: ScaleClusterOptions): Promise<ScaleCluster> {
  const connectors = [];
  for (let index = 1; index <= options.connectors; index++) {
    connectors.push({
      id: `connector-${index}`,
      host: HOST,
      port: await freePort(),
      clientPort: await freePort(),
      frontend: true,
    });
  }
  const chat = [{ id: 'chat-1', host: HOST, port: await freePort() }];
  const folder = mkdtempSync(join(tmpdir(), 'shaddock-bench-scale-'));
  mkdirSync(join(folder, 'config'));
  const write = (name: string, content: unknown): void =>
    writeFileSync(join(folder, 'config', name), `${JSON.stringify(content, null, 2)}\n`);
  write('servers.json', { bench: { connector: connectors, chat } });
  write('master.json', { bench: { id: 'master', host: HOST, port: await freePort() } });
  write('dictionary.json', ['onChat']);
  symlinkSync(join(SCALE_APP, 'app'), join(folder, 'app'), 'dir');
  const env = benchEnvironment({
    SHADDOCK_BENCH_BASE: folder,
    SHADDOCK_BENCH_REDIS_URL: options.redisUrl,
    SHADDOCK_BENCH_CLUSTER: options.cluster,
  });
  const tail = new OutputTail();
  const master = spawn(process.execPath, [join(SCALE_APP, 'app.js'), 'env=bench'], {
    cwd: folder,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  tail.follow(master, 'shaddock-scale');
  const masterPid = master.pid ?? 0;
  const processes: ServerProcess[] = [];
  const stop = (): Promise<void> =>
    stopAll([{ id: 'master', frontend: false, pid: masterPid }, ...processes], [masterPid], folder);
  try {
    const pending = new Set([...connectors, ...chat].map((server) => server.id));
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
    topology: { connectors: options.connectors, chats: 1 },
    endpoints: connectors.map((connector) => ({ host: HOST, port: connector.clientPort })),
    processes,
    masterPid,
    output: () => tail.text(),
    stop,
  };
}
