import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, RequestError, ResponseCode } from '../errors.js';
import { LocalMembership } from '../membership/index.js';
import { recordingLogger } from '../testing/index.js';
import { RemoteRegistry, RpcClient, RpcServer, type RpcTarget } from './index.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const target = (method: string): RpcTarget => ({
  namespace: 'user',
  serverType: 'chat',
  remote: 'roomRemote',
  method,
});

async function serve() {
  const recording = recordingLogger();
  const remotes = new RemoteRegistry();
  remotes.registerRemote('chat', 'roomRemote', {
    async broken(): Promise<never> {
      throw new Error('the room table is gone');
    },
    async refuse(): Promise<never> {
      throw new RequestError(ErrorCode.HandlerFailed, ResponseCode.HandlerError, 'you are not in room');
    },
  });
  const server = new RpcServer({
    host: '127.0.0.1',
    port: 0,
    serverId: 'chat-1',
    remotes,
    logger: recording.logger,
  });
  const port = await server.start();
  cleanups.push(() => server.stop(1_000));
  const membership = new LocalMembership([
    { id: 'chat-1', serverType: 'chat', host: '127.0.0.1', port, frontend: false },
  ]);
  const client = new RpcClient({ serverId: 'connector-1', membership });
  cleanups.push(() => client.close());
  return { client, lines: recording.lines };
}

describe('RPC server logs', () => {
  it('logs a remote that throws with its route and stack, once for a burst of the same failure', async () => {
    const { client, lines } = await serve();
    const calls = Array.from({ length: 200 }, () => client.invoke('chat-1', target('broken'), []));
    const outcomes = await Promise.allSettled(calls);
    expect(outcomes.every((outcome) => outcome.status === 'rejected')).toBe(true);
    const errors = lines().filter((line) => line['level'] === 50);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ remote: 'user chat.roomRemote.broken', serverId: 'test-1' });
    const err = errors[0]?.['err'] as { message: string; stack: string };
    expect(err.message).toBe('the room table is gone');
    expect(err.stack).toContain('rpc-server-logging.test.ts');
  });

  it('does not log a RequestError the remote threw on purpose', async () => {
    const { client, lines } = await serve();
    await expect(client.invoke('chat-1', target('refuse'), [])).rejects.toThrow('you are not in room');
    expect(lines()).toEqual([]);
  });
});
