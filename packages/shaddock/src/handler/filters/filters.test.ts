import { setTimeout as sleep } from 'node:timers/promises';
import type { JsonObject } from '@shaddock/protocol';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ResponseCode } from '../../errors.js';
import type { Application } from '../../server/index.js';
import {
  HandlerPipeline,
  type SlowMessage,
  serialFilter,
  timeFilter,
  timeoutFilter,
  toobusyFilter,
} from '../index.js';
import { recordingLogger, memorySession as sessionOf, testApp } from '../test-kit.js';

const memorySession = (id: number) => sessionOf({ id, uid: `u${id}` });

/** A handler whose `slow` calls wait until the test releases them, counting how many run at once. */
function gatedPipeline(): {
  app: Application;
  pipeline: HandlerPipeline;
  state: { active: number; most: number; started: number[]; gates: (() => void)[] };
} {
  const app = testApp();
  const pipeline = new HandlerPipeline(app, { logger: recordingLogger().logger });
  const state = { active: 0, most: 0, started: [] as number[], gates: [] as (() => void)[] };
  pipeline.registerHandler('gated', {
    async slow(message: JsonObject): Promise<JsonObject> {
      state.active++;
      state.most = Math.max(state.most, state.active);
      state.started.push(Number(message['n']));
      await new Promise<void>((release) => state.gates.push(release));
      state.active--;
      return { n: message['n'] ?? null };
    },
    async fast(): Promise<JsonObject> {
      return { fast: true };
    },
  });
  return { app, pipeline, state };
}

const slow = (n: number, id = n) => ({ id, route: 'connector.gated.slow', body: { n } });
const fast = { id: 99, route: 'connector.gated.fast', body: {} };

describe('concurrency and serialFilter', () => {
  it('runs two requests of one session at once without a filter', async () => {
    const { pipeline, state } = gatedPipeline();
    const session = memorySession(1);
    const answers = [
      pipeline.handleClientMessage(session, slow(1)),
      pipeline.handleClientMessage(session, slow(2)),
    ];
    await vi.waitFor(() => expect(state.gates).toHaveLength(2));
    expect(state.most).toBe(2);
    for (const release of state.gates) release();
    expect(await Promise.all(answers)).toEqual([{ n: 1 }, { n: 2 }]);
  });

  it('runs the requests of one session one after the other, in order, with serialFilter', async () => {
    const { app, pipeline, state } = gatedPipeline();
    app.before(serialFilter());
    const session = memorySession(1);
    const answers = [1, 2, 3].map((n) => pipeline.handleClientMessage(session, slow(n)));
    const other = pipeline.handleClientMessage(memorySession(2), slow(4));
    await vi.waitFor(() => expect(state.gates).toHaveLength(2));
    await sleep(10);
    expect(state.started).toEqual([1, 4]);
    state.gates[0]!();
    await vi.waitFor(() => expect(state.started).toEqual([1, 4, 2]));
    state.gates[2]!();
    await vi.waitFor(() => expect(state.started).toEqual([1, 4, 2, 3]));
    state.gates[3]!();
    state.gates[1]!();
    expect(await Promise.all(answers)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    expect(await other).toEqual({ n: 4 });
    expect(state.most).toBe(2);
  });

  it('fails a request that waited longer than the serial timeout with 504', async () => {
    const { app, pipeline, state } = gatedPipeline();
    app.before(serialFilter({ timeout: 30 }));
    const session = memorySession(1);
    const first = pipeline.handleClientMessage(session, slow(1));
    const second = await pipeline.handleClientMessage(session, slow(2));
    expect(second).toMatchObject({ code: ResponseCode.Timeout });
    expect(state.started).toEqual([1]);
    state.gates[0]!();
    expect(await first).toEqual({ n: 1 });
    expect(await pipeline.handleClientMessage(session, fast)).toEqual({ fast: true });
  });
});

describe('timeoutFilter', () => {
  it('answers 504 when the handler takes longer, and drops its late result', async () => {
    const { app, pipeline, state } = gatedPipeline();
    app.before(timeoutFilter({ timeout: 30 }));
    const session = memorySession(1);
    expect(await pipeline.handleClientMessage(session, slow(1))).toMatchObject({
      code: ResponseCode.Timeout,
      message: expect.stringContaining('connector.gated.slow'),
    });
    state.gates[0]!();
    await sleep(0);
    expect(await pipeline.handleClientMessage(session, fast)).toEqual({ fast: true });
  });

  it('bounds a hung handler held by serialFilter, so the session goes on', async () => {
    const { app, pipeline, state } = gatedPipeline();
    app.before(serialFilter({ timeout: 5000 })).before(timeoutFilter({ timeout: 30 }));
    const session = memorySession(1);
    const [first, second] = await Promise.all([
      pipeline.handleClientMessage(session, slow(1)),
      pipeline.handleClientMessage(session, fast),
    ]);
    expect(first).toMatchObject({ code: ResponseCode.Timeout });
    expect(second).toEqual({ fast: true });
    state.gates[0]!();
  });
});

describe('toobusyFilter', () => {
  const filters: { stop(): void }[] = [];
  afterEach(() => {
    for (const filter of filters.splice(0)) filter.stop();
  });

  it('sheds requests with 503 while the event loop lags past the bound', async () => {
    const { app, pipeline } = gatedPipeline();
    const toobusy = toobusyFilter({ maxLagMs: 40, intervalMs: 10 });
    filters.push(toobusy);
    app.globalBefore(toobusy);
    const session = memorySession(1);
    expect(await pipeline.handleClientMessage(session, fast)).toEqual({ fast: true });
    await sleep(30);
    const end = performance.now() + 200;
    while (performance.now() < end) {
      // the loop is blocked: the lag sampler fires late
    }
    await sleep(1);
    expect(toobusy.lag).toBeGreaterThan(40);
    expect(await pipeline.handleClientMessage(session, fast)).toMatchObject({
      code: ResponseCode.Busy,
      message: expect.stringContaining('too busy'),
    });
    await vi.waitFor(
      async () => expect(await pipeline.handleClientMessage(session, fast)).toEqual({ fast: true }),
      {
        timeout: 2000,
      },
    );
  });
});

describe('timeFilter', () => {
  it('logs messages at least slowMs long, and only those', async () => {
    const app = testApp();
    const pipeline = new HandlerPipeline(app);
    pipeline.registerHandler('timed', {
      async slow(): Promise<JsonObject> {
        await sleep(60);
        return {};
      },
      async quick(): Promise<JsonObject> {
        return {};
      },
    });
    const logged: SlowMessage[] = [];
    app.before(timeFilter({ slowMs: 20, log: (_line, slowMessage) => void logged.push(slowMessage) }));
    const session = memorySession(1);
    await pipeline.handleClientMessage(session, { id: 5, route: 'connector.timed.slow', body: {} });
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ route: 'connector.timed.slow', id: 5 });
    expect(logged[0]!.ms).toBeGreaterThanOrEqual(20);

    const quiet = testApp();
    const quietPipeline = new HandlerPipeline(quiet);
    quietPipeline.registerHandler('timed', { quick: async () => ({}) });
    const none: SlowMessage[] = [];
    quiet.before(timeFilter({ slowMs: 10_000, log: (_line, slowMessage) => void none.push(slowMessage) }));
    await quietPipeline.handleClientMessage(session, { id: 6, route: 'connector.timed.quick', body: {} });
    expect(none).toEqual([]);
  });
});
