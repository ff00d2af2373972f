import type { JsonObject } from '@shaddock/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type Client,
  ClientErrorCode,
  connect,
  type Endpoint,
  fromGate,
  fromList,
  type ResolveContext,
  type Resolver,
} from '../src/index.js';
import { closedPort, deferred, nextEvent, pause, rawServer, record } from './support/helpers.js';
import { startTestServer, type TestServer, type TestServerOptions } from './support/pomelo-test-server.js';

const cleanup: (() => Promise<unknown>)[] = [];

afterEach(async () => {
  for (const dispose of cleanup.splice(0).reverse()) await dispose();
});

async function server(options: TestServerOptions = {}): Promise<TestServer> {
  const started = await startTestServer({ handlers: { 'a.b.echo': (body) => body }, ...options });
  cleanup.push(() => started.close());
  return started;
}

function track<T extends Client>(client: T): T {
  cleanup.push(() => client.close());
  return client;
}

const at = ({ host, port }: Endpoint): Endpoint => ({ host, port });
const name = ({ host, port }: Endpoint): string => `${host}:${port}`;

async function dead(): Promise<Endpoint> {
  return { host: '127.0.0.1', port: await closedPort() };
}

/** `resolve`, recording every context it is asked with. */
function recorded(resolve: Resolver): { resolve: Resolver; contexts: ResolveContext[] } {
  const contexts: ResolveContext[] = [];
  return {
    contexts,
    resolve: (context) => {
      contexts.push(context);
      return resolve(context);
    },
  };
}

/** Quick reconnect rounds whose delays are exact. */
const quick = { initialDelay: 5, maxDelay: 5_000, jitter: 0 } as const;

describe('resolve: a list of connectors', () => {
  it('skips a refused candidate at once, and after a loss goes to a live one, not the dead', async () => {
    const refused = await dead();
    const a = await server();
    const b = await server();
    const list = recorded(fromList([refused, at(a), at(b)], { start: 'first' }));
    const client = track(await connect({ resolve: list.resolve, reconnect: quick }));
    expect(client.endpoint).toEqual(at(a));
    expect(list.contexts.map(({ attempt }) => attempt)).toEqual([0]);
    expect([a.handshakes.length, b.handshakes.length]).toEqual([1, 0]);

    const failures = record(client.events, 'endpoint-failed');
    const reconnecting = record(client.events, 'reconnecting');
    const reconnected = nextEvent(client.events, 'reconnected');
    await a.close();
    expect(await reconnected).toEqual({ attempt: 1 });
    expect(client.endpoint).toEqual(at(b));
    // The dead one failed on the first connect, the lost one just now: both go after b.
    expect(failures).toEqual([]);
    expect(reconnecting).toEqual([{ attempt: 1, delay: 5 }]);
    const failed = list.contexts[1]?.failed ?? [];
    expect(failed.map(({ endpoint, error }) => [name(endpoint), error.code])).toEqual([
      [name(refused), ClientErrorCode.ConnectFailed],
      [name(a), ClientErrorCode.ConnectionLost],
    ]);
    expect(await client.request('a.b.echo', { on: 'b' })).toEqual({ on: 'b' });
  });

  it('tries the next candidate in the same round when one is refused: no backoff step', async () => {
    const refused = await dead();
    const a = await server();
    const b = await server();
    const client = track(
      await connect({ resolve: fromList([at(a), refused, at(b)], { start: 'first' }), reconnect: quick }),
    );
    const failures = record(client.events, 'endpoint-failed');
    const reconnecting = record(client.events, 'reconnecting');
    const reconnected = nextEvent(client.events, 'reconnected');
    await a.close();
    expect(await reconnected).toEqual({ attempt: 1 });
    expect(client.endpoint).toEqual(at(b));
    expect(failures).toEqual([
      {
        attempt: 1,
        endpoint: refused,
        error: expect.objectContaining({ code: ClientErrorCode.ConnectFailed }),
      },
    ]);
    expect(reconnecting).toEqual([{ attempt: 1, delay: 5 }]);
  });

  it('spends only the connect timeout on a candidate that does not answer', async () => {
    const mute = await rawServer((socket) => socket.resume());
    cleanup.push(() => mute.close());
    const a = await server();
    const b = await server();
    const client = track(
      await connect({
        resolve: fromList([at(a), at(mute), at(b)], { start: 'first' }),
        connectTimeout: 200,
        reconnect: quick,
      }),
    );
    const failures = record(client.events, 'endpoint-failed');
    const reconnecting = record(client.events, 'reconnecting');
    const reconnected = nextEvent(client.events, 'reconnected');
    const lostAt = performance.now();
    await a.close();
    await reconnected;
    const took = performance.now() - lostAt;
    expect(client.endpoint).toEqual(at(b));
    expect(failures.map(({ endpoint, error }) => [endpoint, error.code])).toEqual([
      [at(mute), ClientErrorCode.ConnectTimeout],
    ]);
    expect(reconnecting).toHaveLength(1);
    expect(took).toBeGreaterThanOrEqual(190);
    expect(took).toBeLessThan(5_000);
  });

  it('over tcp, skips a server that closes before the handshake and one that is not Pomelo', async () => {
    const closer = await rawServer((socket) => socket.destroy());
    const garbage = await rawServer((socket) => socket.end(Uint8Array.from([9, 0, 0, 0])));
    cleanup.push(
      () => closer.close(),
      () => garbage.close(),
    );
    const a = await server({ transport: 'tcp' });
    const b = await server({ transport: 'tcp' });
    const client = track(
      await connect({
        transport: 'tcp',
        resolve: fromList([at(a), at(closer), at(garbage), at(b)], { start: 'first' }),
        reconnect: quick,
      }),
    );
    const failures = record(client.events, 'endpoint-failed');
    const reconnected = nextEvent(client.events, 'reconnected');
    await a.close();
    expect(await reconnected).toEqual({ attempt: 1 });
    expect(client.endpoint).toEqual(at(b));
    expect(failures.map(({ endpoint, error }) => [endpoint, error.code])).toEqual([
      [at(closer), ClientErrorCode.ConnectionLost],
      [at(garbage), ClientErrorCode.Protocol],
    ]);
  });

  it('backs off between rounds when every candidate is dead, capped, then gives up', async () => {
    const a = await server();
    const deadOnes = [await dead(), await dead()];
    const client = track(
      await connect({
        resolve: fromList([at(a), ...deadOnes], { start: 'first' }),
        reconnect: { maxAttempts: 4, initialDelay: 2, maxDelay: 8, jitter: 0 },
      }),
    );
    const failures = record(client.events, 'endpoint-failed');
    const reconnecting = record(client.events, 'reconnecting');
    const error = nextEvent(client.events, 'error');
    const closed = nextEvent(client.events, 'closed');
    await a.close();
    const failure = await error;
    expect(failure).toMatchObject({ code: ClientErrorCode.ReconnectFailed });
    expect((await closed).error).toBe(failure);
    expect(reconnecting.map(({ delay }) => delay)).toEqual([2, 4, 8, 8]);
    // Each round tries every candidate once.
    expect(failures.map(({ attempt }) => attempt)).toEqual([1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4]);
    expect(new Set(failures.slice(0, 3).map(({ endpoint }) => name(endpoint)))).toEqual(
      new Set([at(a), ...deadOnes].map(name)),
    );
    const round = failure.cause;
    expect(round).toMatchObject({ code: ClientErrorCode.ConnectFailed });
    expect((round as Error).cause).toBeInstanceOf(AggregateError);
    expect(((round as Error).cause as AggregateError).errors).toHaveLength(3);
    expect(client.state).toBe('closed');
  });

  it('rejects the first connect with every failure named when no candidate answers', async () => {
    const [one, two] = [await dead(), await dead()];
    const error = await connect({ resolve: fromList([one, two]) }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: ClientErrorCode.ConnectFailed });
    expect((error as Error).message).toContain(name(one));
    expect((error as Error).message).toContain(name(two));
  });

  it('stops at a refused handshake: every connector runs the same checks', async () => {
    const refusing = await server({ handshakeCode: 501 });
    const a = await server();
    await expect(
      connect({ resolve: fromList([at(refusing), at(a)], { start: 'first' }) }),
    ).rejects.toMatchObject({ code: ClientErrorCode.HandshakeRejected, handshakeCode: 501 });
    expect(a.handshakes).toHaveLength(0);
  });
});

describe('resolve: a gate', () => {
  it('asks the gate again at once when its connector is dead, first connect and reconnect alike', async () => {
    const refused = await dead();
    const a = await server();
    const b = await server();
    const answers: Endpoint[] = [refused, at(a), at(a), at(b)];
    const requests: JsonObject[] = [];
    const gate = await server({
      handlers: {
        'gate.gateHandler.queryEntry': (body) => {
          requests.push(body);
          const next = answers.shift();
          return next ? { code: 200, host: next.host, port: next.port } : { code: 500 };
        },
      },
    });
    const resolve = fromGate({
      host: gate.host,
      port: gate.port,
      body: ({ attempt, failed }) => ({
        username: 'ada',
        attempt,
        avoid: failed.map(({ endpoint }) => name(endpoint)),
      }),
    });
    const client = track(await connect({ resolve, reconnect: quick }));
    expect(client.endpoint).toEqual(at(a));

    const failures = record(client.events, 'endpoint-failed');
    const reconnecting = record(client.events, 'reconnecting');
    const reconnected = nextEvent(client.events, 'reconnected');
    await a.close();
    expect(await reconnected).toEqual({ attempt: 1 });
    expect(client.endpoint).toEqual(at(b));
    expect(reconnecting).toHaveLength(1);
    expect(failures.map(({ endpoint, error }) => [endpoint, error.code])).toEqual([
      [at(a), ClientErrorCode.ConnectFailed],
    ]);
    expect(requests).toEqual([
      { username: 'ada', attempt: 0, avoid: [] },
      { username: 'ada', attempt: 0, avoid: [name(refused)] },
      { username: 'ada', attempt: 1, avoid: [name(refused), name(a)] },
      { username: 'ada', attempt: 1, avoid: [name(refused), name(a)] },
    ]);
    // Each query was a short-lived connection of its own, closed since.
    expect(gate.peers).toHaveLength(4);
    await Promise.all(gate.peers.map((peer) => peer.closed));
  });

  it('retries a gate that does not answer, with backoff, within one ask', async () => {
    const a = await server();
    let asked = 0;
    const gate = await server({
      handlers: {
        'gate.gateHandler.queryEntry': () =>
          ++asked < 3 ? new Promise<undefined>(() => {}) : { code: 200, host: a.host, port: a.port },
      },
    });
    const client = track(
      await connect({
        resolve: fromGate({
          host: gate.host,
          port: gate.port,
          requestTimeout: 30,
          retry: { maxAttempts: 3, initialDelay: 1 },
        }),
      }),
    );
    expect(client.endpoint).toEqual(at(a));
    expect(asked).toBe(3);
  });

  it('fails with ResolveFailed when the gate cannot be reached, after its retries', async () => {
    const port = await closedPort();
    const error = await connect({
      resolve: fromGate({ host: '127.0.0.1', port, retry: { maxAttempts: 2, initialDelay: 1 } }),
    }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({
      code: ClientErrorCode.ResolveFailed,
      cause: expect.objectContaining({ code: ClientErrorCode.ConnectFailed }),
    });
  });

  it('fails with ResolveFailed, without retrying, when the gate names no connector', async () => {
    let asked = 0;
    const gate = await server({
      handlers: {
        'gate.gateHandler.queryEntry': () => {
          asked++;
          return { code: 500, message: 'no connector is running' };
        },
      },
    });
    const error = await connect({ resolve: fromGate({ host: gate.host, port: gate.port }) }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toMatchObject({ code: ClientErrorCode.ResolveFailed });
    expect((error as Error).message).toContain('no connector is running');
    expect(asked).toBe(1);
  });
});

describe('resolve: a function', () => {
  it.each([
    [
      'throws',
      (): never => {
        throw new Error('no directory');
      },
    ],
    ['rejects', () => Promise.reject(new Error('no directory'))],
  ])('that %s fails the first connect with ResolveFailed', async (_name, resolve) => {
    const error = await connect({ resolve }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({
      code: ClientErrorCode.ResolveFailed,
      cause: expect.objectContaining({ message: 'no directory' }),
    });
  });

  it.each([
    ['nothing', []],
    ['a bad endpoint', { host: '', port: 3010 }],
    ['a bad port', [{ host: '127.0.0.1', port: 70_000 }]],
  ])('that answers %s fails with ResolveFailed', async (_name, answer) => {
    const resolve = (() => answer) as unknown as Resolver;
    await expect(connect({ resolve })).rejects.toMatchObject({ code: ClientErrorCode.ResolveFailed });
  });

  it('that throws while reconnecting: resolve-failed each round, then ReconnectFailed', async () => {
    const a = await server();
    const resolve: Resolver = ({ attempt }) => {
      if (attempt === 0) return at(a);
      throw new Error(`down in round ${attempt}`);
    };
    const client = track(await connect({ resolve, reconnect: { ...quick, maxAttempts: 2 } }));
    const failures = record(client.events, 'resolve-failed');
    const error = nextEvent(client.events, 'error');
    await a.close();
    expect(await error).toMatchObject({
      code: ClientErrorCode.ReconnectFailed,
      cause: expect.objectContaining({ code: ClientErrorCode.ResolveFailed }),
    });
    expect(
      failures.map(({ attempt, error }) => [attempt, error.code, (error.cause as Error).message]),
    ).toEqual([
      [1, ClientErrorCode.ResolveFailed, 'down in round 1'],
      [2, ClientErrorCode.ResolveFailed, 'down in round 2'],
    ]);
  });

  it('stops a resolver that hangs when the client closes, and ignores its late rejection', async () => {
    const a = await server();
    let signal: AbortSignal | undefined;
    const asked = deferred<void>();
    const resolve: Resolver = (context) => {
      if (context.attempt === 0) return at(a);
      signal = context.signal;
      asked.resolve();
      return new Promise((_resolve, reject) => setTimeout(() => reject(new Error('too late')), 30));
    };
    const client = await connect({ resolve, reconnect: { initialDelay: 0 } });
    const errors = record(client.events, 'error');
    const closed = nextEvent(client.events, 'closed');
    await a.close();
    await asked.promise;
    expect(client.state).toBe('reconnecting');
    await client.close();
    expect(signal?.aborted).toBe(true);
    expect(await closed).toEqual({ error: undefined });
    await pause(50);
    expect(errors).toEqual([]);
  });
});

describe('resolve: options', () => {
  it('takes host and port, or resolve, not both', async () => {
    const resolve = fromList([{ host: '127.0.0.1', port: 1 }]);
    // @ts-expect-error: host and port, or resolve
    await expect(connect({ host: '127.0.0.1', port: 1, resolve })).rejects.toMatchObject({
      code: ClientErrorCode.InvalidOptions,
    });
  });

  it('checks the ready-made resolvers at once', () => {
    expect(() => fromList([])).toThrow(expect.objectContaining({ code: ClientErrorCode.InvalidOptions }));
    expect(() => fromList([{ host: 'h', port: 0 }])).toThrow(
      expect.objectContaining({ code: ClientErrorCode.InvalidOptions }),
    );
    expect(() => fromGate({ host: '', port: 3014 })).toThrow(
      expect.objectContaining({ code: ClientErrorCode.InvalidOptions }),
    );
    expect(() => fromGate({ host: 'h', port: 3014, retry: { maxAttempts: 0 } })).toThrow(
      expect.objectContaining({ code: ClientErrorCode.InvalidOptions }),
    );
  });
});
