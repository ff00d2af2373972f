import { describe, expect, it } from 'vitest';
import { ErrorCode, RequestError } from '../errors.js';
import { testApplication } from '../testing/index.js';
import { GENERIC_FAILURE_MESSAGE, HandlerPipeline } from './index.js';
import { EntryHandler, memorySession, pipelineWith, recordingLogger, request, testApp } from './test-kit.js';

const ERROR = 50;

describe('a failed message: one log line on the server, a body for the client', () => {
  it('logs a throwing handler once, with route, uid and stack; production clients read a generic message', async () => {
    const { pipeline, logger } = pipelineWith(testApp('connector', { env: 'production' }));
    const session = memorySession({ uid: 'alice' });
    expect(await pipeline.handleClientMessage(session, request('connector.entryHandler.fail'))).toEqual({
      code: 500,
      message: GENERIC_FAILURE_MESSAGE,
    });
    expect(logger.records).toHaveLength(1);
    expect(logger.records[0]).toMatchObject({
      level: ERROR,
      category: 'handler',
      route: 'connector.entryHandler.fail',
      uid: 'alice',
      code: 500,
      err: { message: 'no such room', stack: expect.stringContaining('at ') },
    });
  });

  it("keeps a RequestError's message in production, and logs it without a stack", async () => {
    const { pipeline, logger } = pipelineWith(testApp('connector', { env: 'production' }));
    pipeline.registerHandler('refusing', {
      async go() {
        throw new RequestError(ErrorCode.HandlerFailed, 409, 'the room is full');
      },
    });
    expect(await pipeline.handleClientMessage(memorySession(), request('connector.refusing.go'))).toEqual({
      code: 409,
      message: 'the room is full',
    });
    expect(logger.lines.join('\n')).not.toContain('"stack"');
  });

  it('keeps the message outside production', async () => {
    const { pipeline } = pipelineWith(testApp('connector', { env: 'development' }));
    expect(
      await pipeline.handleClientMessage(memorySession(), request('connector.entryHandler.fail')),
    ).toEqual({ code: 500, message: 'no such room' });
  });

  it('writes at most two lines for 1,000 failing notifies (one in full, one with the count)', async () => {
    const { pipeline, logger } = pipelineWith();
    const session = memorySession({ uid: 'bob' });
    for (let i = 0; i < 1000; i++) {
      expect(
        await pipeline.handleClientMessage(session, request('connector.entryHandler.fail', {}, 0)),
      ).toBeUndefined();
    }
    pipeline.flushLog();
    expect(logger.records.length).toBeLessThanOrEqual(2);
    expect(logger.records[0]).toMatchObject({ level: ERROR, route: 'connector.entryHandler.fail' });
    expect(logger.records[1]).toMatchObject({ repeated: 999 });
    expect(logger.records[1]).not.toHaveProperty('err');
  });

  it('never logs a stack for a hammered unknown route, nor a line per message', async () => {
    const { pipeline, logger } = pipelineWith();
    const session = memorySession();
    for (let i = 0; i < 500; i++) {
      const response = await pipeline.handleClientMessage(
        session,
        request(`connector.nobody.m${i}`, {}, i % 2),
      );
      if (i % 2 === 1) expect(response).toMatchObject({ code: 404 });
      await pipeline.handleClientMessage(session, request(`not a route ${i}`));
    }
    pipeline.flushLog();
    expect(logger.records.length).toBeLessThanOrEqual(2);
    expect(logger.lines.join('\n')).not.toContain('"stack"');
    expect(logger.records.every((line) => (line['level'] as number) < ERROR)).toBe(true);
  });

  it('logs a notify failure that an error handler answered not at all', async () => {
    const { app, pipeline, logger } = pipelineWith();
    app.set('errorHandler', () => ({ handled: true }));
    await pipeline.handleClientMessage(memorySession(), request('connector.entryHandler.fail', {}, 0));
    expect(logger.records).toEqual([]);
  });

  it('logs an error handler that throws, with its stack, and answers the error body', async () => {
    const { app, pipeline, logger } = pipelineWith();
    app.set('globalErrorHandler', () => {
      throw new Error('handler bug');
    });
    expect(
      await pipeline.handleClientMessage(memorySession(), request('connector.entryHandler.fail')),
    ).toEqual({ code: 500, message: 'no such room' });
    const hook = logger.records.find((line) => line['hook'] === 'globalErrorHandler');
    expect(hook).toMatchObject({ level: ERROR, err: { message: 'handler bug' } });
  });

  it("logs on the app's logger by default", async () => {
    const log = recordingLogger();
    const pipeline = new HandlerPipeline(testApplication('connector', { logger: log.logger }), {
      createSession: memorySession,
    });
    pipeline.registerHandler('entryHandler', new EntryHandler());
    await pipeline.handleClientMessage(memorySession(), request('connector.entryHandler.failSync'));
    expect(log.records).toHaveLength(1);
    expect(log.records[0]).toMatchObject({
      category: 'handler',
      err: { message: 'thrown before any await' },
    });
  });
});
