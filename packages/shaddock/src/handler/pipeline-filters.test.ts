import { isJsonObject, type JsonObject } from '@shaddock/protocol';
import { describe, expect, it } from 'vitest';
import { ErrorCode, RequestError, ResponseCode } from '../errors.js';
import type { HandlerSession } from '../session/index.js';
import type { HandlerFilter } from './handler-filters.js';
import { memorySession, pipelineWith, request } from './test-kit.js';

describe('error handlers', () => {
  it('lets errorHandler answer an error, where the handler ran', async () => {
    const { app, pipeline } = pipelineWith();
    const seen: unknown[] = [];
    app.set('errorHandler', (error: unknown, message: JsonObject, session: HandlerSession) => {
      seen.push(error, message, session.uid);
      return { code: 1, message: `handled: ${(error as Error).message}` };
    });
    app.set('globalErrorHandler', () => ({ never: true }));
    const session = memorySession({ uid: 'bob' });
    expect(
      await pipeline.handleClientMessage(session, request('connector.entryHandler.fail', { a: 1 })),
    ).toEqual({
      code: 1,
      message: 'handled: no such room',
    });
    expect(seen[1]).toEqual({ a: 1 });
    expect(seen[2]).toBe('bob');
  });

  it('passes what errorHandler leaves to globalErrorHandler; a failing error handler is logged', async () => {
    const { app, pipeline, logger } = pipelineWith();
    app.set('errorHandler', () => undefined);
    app.set('globalErrorHandler', async (error: unknown) => ({ global: (error as Error).message }));
    const session = memorySession();
    expect(await pipeline.handleClientMessage(session, request('connector.entryHandler.fail'))).toEqual({
      global: 'no such room',
    });
    app.set('globalErrorHandler', () => {
      throw new Error('handler bug');
    });
    expect(await pipeline.handleClientMessage(session, request('connector.entryHandler.fail'))).toEqual({
      code: 500,
      message: 'no such room',
    });
    expect(logger.lines.join('\n')).toContain('handler bug');
  });

  it('gives globalErrorHandler the errors of global before filters', async () => {
    const { app, pipeline } = pipelineWith();
    app.globalBefore({
      before() {
        throw new RequestError(ErrorCode.HandlerFailed, 401, 'log in first');
      },
    });
    const seen: unknown[] = [];
    app.set('errorHandler', (error: unknown) => void seen.push(error));
    app.set('globalErrorHandler', (error: unknown, _message: JsonObject, _session: HandlerSession) => ({
      refused: (error as Error).message,
    }));
    expect(
      await pipeline.handleClientMessage(memorySession(), request('connector.entryHandler.hello')),
    ).toEqual({
      refused: 'log in first',
    });
    expect(seen).toEqual([]);
  });
});

describe('filters', () => {
  it('runs global before → before → handler → after (reversed) → global after', async () => {
    const { app, pipeline } = pipelineWith();
    const order: string[] = [];
    const filter = (name: string): HandlerFilter => ({
      before: (_message, _session, context) => void order.push(`${name} before ${context.route}`),
      after: (error, _message, _session, response) =>
        void order.push(`${name} after ${error === undefined ? 'ok' : 'error'} ${JSON.stringify(response)}`),
    });
    app.globalBefore(filter('global'));
    app.globalAfter(filter('global'));
    app.before(filter('a')).before(filter('b'));
    app.after(filter('a')).after(filter('b'));
    pipeline.registerHandler('spy', { go: async () => void order.push('handler') });
    expect(await pipeline.handleClientMessage(memorySession(), request('connector.spy.go'))).toEqual({});
    expect(order).toEqual([
      'global before connector.spy.go',
      'a before connector.spy.go',
      'b before connector.spy.go',
      'handler',
      'b after ok undefined',
      'a after ok undefined',
      'global after ok undefined',
    ]);
  });

  it('lets a before filter refuse: its error answers, the handler does not run, after filters see it', async () => {
    const { app, pipeline, handler } = pipelineWith();
    const seen: unknown[] = [];
    app.before({
      before(message) {
        if (isJsonObject(message) && message['banned'])
          throw Object.assign(new Error('banned'), { code: 403 });
      },
    });
    app.after({ after: (error, _message, _session, response) => void seen.push(error, response) });
    const session = memorySession();
    const refused = await pipeline.handleClientMessage(
      session,
      request('connector.entryHandler.hello', { banned: true }),
    );
    expect(refused).toEqual({ code: 403, message: 'banned' });
    expect(handler.calls).toBe(0);
    expect((seen[0] as Error).message).toBe('banned');
    expect(seen[1]).toEqual(refused);
    expect(
      await pipeline.handleClientMessage(session, request('connector.entryHandler.hello')),
    ).toMatchObject({
      hello: null,
    });
  });

  it('logs a failing after filter without changing the response', async () => {
    const { app, pipeline, logger } = pipelineWith();
    app.after({
      after() {
        throw new Error('after bug');
      },
    });
    expect(
      await pipeline.handleClientMessage(memorySession(), request('connector.entryHandler.ping')),
    ).toEqual({
      pong: true,
    });
    expect(logger.lines.join('\n')).toContain('after bug');
  });

  it('guards against a filter calling next() twice', async () => {
    const { app, pipeline, handler } = pipelineWith();
    app.before({
      async wrap(_message, _session, _context, next) {
        await next();
        return next();
      },
    });
    const response = await pipeline.handleClientMessage(
      memorySession(),
      request('connector.entryHandler.hello'),
    );
    expect(response).toMatchObject({ code: 500, message: expect.stringContaining('next() more than once') });
    expect(handler.calls).toBe(1);
  });

  it('recomposes when a filter is added after messages went through', async () => {
    const { app, pipeline } = pipelineWith();
    const session = memorySession();
    expect(await pipeline.handleClientMessage(session, request('connector.entryHandler.ping'))).toEqual({
      pong: true,
    });
    app.before({
      before() {
        throw new RequestError(ErrorCode.ServerBusy, ResponseCode.Busy, 'closed');
      },
    });
    expect(await pipeline.handleClientMessage(session, request('connector.entryHandler.ping'))).toEqual({
      code: 503,
      message: 'closed',
    });
  });

  it("lets a wrap change what the handler's response becomes", async () => {
    const { app, pipeline } = pipelineWith();
    app.globalBefore({
      async wrap(_message, _session, _context, next) {
        return { wrapped: (await next()) ?? null };
      },
    });
    expect(
      await pipeline.handleClientMessage(memorySession(), request('connector.entryHandler.ping')),
    ).toEqual({
      wrapped: { pong: true },
    });
  });
});
