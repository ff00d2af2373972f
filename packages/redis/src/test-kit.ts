// What this package's tests share: the Redis they run against, unique cluster names, and a
// redis-server of their own to kill and restart. Test code only (not exported by the package).
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { freePort, skipUnlessCi } from '@shaddock/test-support';
import { Redis } from 'ioredis';

/** The Redis the tests use: `SHADDOCK_TEST_REDIS_URL`, else the development machine's. */
export const TEST_REDIS_URL = process.env['SHADDOCK_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/**
 * Why the tests cannot use Redis at `url`, or `undefined` when they can. Unreachable Redis is a
 * reason to skip (printed) on a development machine, and a failure under CI (`CI=true`).
 */
export async function redisUnavailable(url = TEST_REDIS_URL): Promise<string | undefined> {
  const client = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 1_000,
  });
  client.on('error', () => {});
  let reason: string | undefined;
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    reason = `Redis at ${url} is unreachable (${error instanceof Error ? error.message : String(error)})`;
  } finally {
    client.disconnect();
  }
  return skipUnlessCi('the @shaddock/redis tests', reason);
}

let clusters = 0;

/** A cluster name no other test (nor another run at the same time) uses. */
export function uniqueCluster(label: string): string {
  clusters++;
  return `t-${label}-${process.pid}-${clusters}-${Math.random().toString(36).slice(2, 8)}`.slice(0, 64);
}

/** A plain client for looking at (and spoiling) what the stores wrote. */
export function rawClient(url = TEST_REDIS_URL): Redis {
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  client.on('error', () => {});
  return client;
}

/** Deletes every key of `cluster`; answers how many there were. */
export async function deleteClusterKeys(cluster: string, url = TEST_REDIS_URL): Promise<number> {
  const client = rawClient(url);
  try {
    const keys = await clusterKeys(client, cluster);
    return keys.length > 0 ? await client.unlink(...keys) : 0;
  } finally {
    client.disconnect();
  }
}

/** The keys of `cluster`, sorted. */
export async function clusterKeys(client: Redis, cluster: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, found] = await client.scan(cursor, 'MATCH', `shaddock:${cluster}:*`, 'COUNT', 1_000);
    cursor = next;
    keys.push(...found);
  } while (cursor !== '0');
  return keys.sort();
}

/** A redis-server of a test's own, on a free port, that the test stops and starts again. */
export interface OwnRedis {
  readonly url: string;
  readonly port: number;
  /** Kills it (SIGKILL: as a crash), and waits until it is gone. */
  kill(): Promise<void>;
  /** Starts it again on the same port (empty), and waits until it answers. */
  start(): Promise<void>;
}

/** Starts a redis-server on a free port, or answers why it cannot (no `redis-server` here). */
export async function startOwnRedis(): Promise<OwnRedis | string> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async (): Promise<void> => {
    const started = spawn(
      'redis-server',
      ['--port', String(port), '--save', '', '--appendonly', 'no', '--bind', '127.0.0.1'],
      { stdio: 'ignore' },
    );
    child = started;
    const failed = once(started, 'error').then(([error]) => {
      throw error;
    });
    await Promise.race([failed, answers(port, 5_000)]);
  };
  try {
    await start();
  } catch (error) {
    child?.kill('SIGKILL');
    const reason = `redis-server cannot be started (${error instanceof Error ? error.message : String(error)})`;
    return skipUnlessCi('the @shaddock/redis outage test', reason) ?? reason;
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async kill() {
      const running = child;
      if (running === undefined || running.exitCode !== null || running.signalCode !== null) return;
      const exited = once(running, 'exit');
      running.kill('SIGKILL');
      await exited;
    },
    start,
  };
}

export { freePort };

/** Resolves once a Redis on `port` answers PING; rejects after `timeoutMs`. */
async function answers(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await pings(port)) return;
    if (Date.now() > deadline) throw new Error(`nothing answers on port ${port} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function pings(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let reply = '';
    socket.setTimeout(500, () => socket.destroy());
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (data) => {
      reply += data.toString();
      if (reply.includes('\r\n')) socket.end();
    });
    socket.on('error', () => {});
    socket.on('close', () => resolve(reply.startsWith('+PONG')));
  });
}
