// RPC across processes: a child serves a remote, is called, then dies by SIGKILL with calls in
// flight. Every call must fail at once with ServerUnavailable, long before its deadline.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ServerUnavailable } from '../src/errors.js';
import { LocalMembership } from '../src/membership/index.js';
import { RpcClient, type RpcTarget } from '../src/rpc/index.js';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
let child: ChildProcess | undefined;
let client: RpcClient | undefined;

afterEach(() => {
  client?.close();
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

async function spawnRpcServer(): Promise<{ port: number; pid: number }> {
  child = spawn(
    process.execPath,
    ['--import', join(fixtures, 'rpc-typescript-loader.mjs'), join(fixtures, 'rpc-server.ts')],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: child.stdout! });
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`the rpc server fixture exited early (${String(code)})`);
  });
  const [line] = (await Promise.race([once(lines, 'line'), exited])) as [string];
  lines.close();
  return JSON.parse(line) as { port: number; pid: number };
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const chat = (method: string): RpcTarget => ({
  namespace: 'user',
  serverType: 'chat',
  remote: 'chatRemote',
  method,
});

describe('RPC to another process', () => {
  it('calls it, then fails every in-flight call at once when it is killed', async () => {
    const { port, pid } = await spawnRpcServer();
    const membership = new LocalMembership([
      { id: 'chat-child', serverType: 'chat', host: '127.0.0.1', port, frontend: false },
    ]);
    client = new RpcClient({ serverId: 'connector-1', membership, timeout: 60_000 });
    expect(await client.invoke('chat-child', chat('pid'), [])).toBe(pid);
    expect(await client.invoke('chat-child', chat('echo'), [{ hello: ['world'] }])).toEqual({
      hello: ['world'],
    });

    const calls = Array.from({ length: 200 }, () => client!.invoke('chat-child', chat('hold'), []));
    // replies come in order: once this echo is back, the child has every held call
    expect(await client.invoke('chat-child', chat('echo'), ['marker'])).toBe('marker');
    expect(client.pendingCount).toBe(200);

    const exited = once(child!, 'exit');
    child!.kill('SIGKILL');
    const outcomes = await Promise.allSettled(calls);
    for (const outcome of outcomes) {
      expect(outcome.status).toBe('rejected');
      expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(ServerUnavailable);
    }
    expect(client.pendingCount).toBe(0);

    const [, signal] = await exited;
    expect(signal).toBe('SIGKILL');
    expect(isRunning(pid)).toBe(false);
    await expect(client.invoke('chat-child', chat('echo'), [1])).rejects.toBeInstanceOf(ServerUnavailable);
  });
});
