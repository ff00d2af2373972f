import type { JsonObject } from '@shaddock/protocol';
import { describe, expect, it } from 'vitest';
import { ErrorCode, RequestError, ResponseCode } from '../errors.js';
import type { Application } from '../server/index.js';
import type { HandlerSession, SessionData } from '../session/index.js';
import { parseRoute } from './index.js';
import { memorySession, pipelineWith, request, testApp } from './test-kit.js';

describe('routes', () => {
  it('parses exactly three non-empty parts', () => {
    expect(parseRoute('chat.chatHandler.send')).toEqual({
      serverType: 'chat',
      handler: 'chatHandler',
      method: 'send',
    });
    for (const bad of ['chat.send', 'a.b.c.d', '.h.m', 'chat..m', 'chat.h.', '', 'chat', '...']) {
      expect(parseRoute(bad), bad).toBeUndefined();
    }
  });

  it("lists the handler's own and class methods, never Object.prototype's", () => {
    const { pipeline } = pipelineWith();
    expect([...pipeline.routes()].sort()).toEqual(
      [
        'connector.entryHandler.fail',
        'connector.entryHandler.failSync',
        'connector.entryHandler.hello',
        'connector.entryHandler.numberAnswer',
        'connector.entryHandler.ping',
        'connector.entryHandler.quiet',
      ].sort(),
    );
  });

  it('answers 404 to a malformed, unknown or Object.prototype route', async () => {
    const { pipeline, handler } = pipelineWith();
    const session = memorySession();
    const routes = [
      'connector.entryHandler',
      'connector.entryHandler.hello.extra',
      'connector..hello',
      'connector.entryHandler.',
      '.entryHandler.hello',
      'connector.entryHandler.nope',
      'connector.nobody.hello',
      'connector.entryHandler.constructor',
      'connector.entryHandler.__proto__',
      'connector.entryHandler.toString',
      'connector.entryHandler.hasOwnProperty',
      'connector.entryHandler.valueOf',
      'connector.entryHandler.calls',
    ];
    for (const route of routes) {
      const response = await pipeline.handleClientMessage(session, request(route));
      expect(response, route).toMatchObject({ code: ResponseCode.UnknownRoute });
      expect(String(response?.['message'])).toContain('no handler');
    }
    expect(handler.calls).toBe(0);
  });

  it('routes a method inherited from a user class', async () => {
    const { pipeline } = pipelineWith();
    const response = await pipeline.handleClientMessage(
      memorySession(),
      request('connector.entryHandler.ping'),
    );
    expect(response).toEqual({ pong: true });
  });

  it('refuses bad handler names and duplicates', () => {
    const { pipeline } = pipelineWith();
    expect(() => pipeline.registerHandler('entryHandler', {})).toThrow(
      expect.objectContaining({ code: ErrorCode.HandlerInvalid }),
    );
    for (const name of ['', 'a.b', 'constructor', '__proto__']) {
      expect(() => pipeline.registerHandler(name, {})).toThrow(
        expect.objectContaining({ code: ErrorCode.HandlerInvalid }),
      );
    }
    expect(() => pipeline.registerHandler('asyncFactory', async () => ({}))).toThrow(/not a promise/);
  });

  it('builds handlers from classes and factories with the app', async () => {
    const { app, pipeline } = pipelineWith();
    pipeline.registerHandler('made', (made: Application) => ({
      id: async () => ({ server: made.serverId }),
    }));
    pipeline.registerHandler(
      'classy',
      class {
        readonly app: Application;
        constructor(app: Application) {
          this.app = app;
        }
        async id(): Promise<JsonObject> {
          return { server: this.app.serverId };
        }
      },
    );
    const session = memorySession();
    expect(await pipeline.handleClientMessage(session, request('connector.made.id'))).toEqual({
      server: app.serverId,
    });
    expect(await pipeline.handleClientMessage(session, request('connector.classy.id'))).toEqual({
      server: app.serverId,
    });
  });
});

describe('handler outcomes', () => {
  it('answers the response, and {} for a request whose handler answers nothing', async () => {
    const { pipeline } = pipelineWith();
    const session = memorySession({ uid: 'alice' });
    expect(
      await pipeline.handleClientMessage(session, request('connector.entryHandler.hello', { name: 'x' })),
    ).toEqual({
      hello: 'x',
      uid: 'alice',
    });
    expect(await pipeline.handleClientMessage(session, request('connector.entryHandler.quiet'))).toEqual({});
  });

  it('turns a throwing or rejecting handler into a 500 body; the next request still works', async () => {
    const { pipeline } = pipelineWith();
    const session = memorySession();
    session.set('room', 'lobby');
    expect(await pipeline.handleClientMessage(session, request('connector.entryHandler.fail'))).toEqual({
      code: 500,
      message: 'no such room',
    });
    expect(await pipeline.handleClientMessage(session, request('connector.entryHandler.failSync'))).toEqual({
      code: 500,
      message: 'thrown before any await',
    });
    expect(
      await pipeline.handleClientMessage(session, request('connector.entryHandler.numberAnswer')),
    ).toMatchObject({
      code: 500,
    });
    expect(await pipeline.handleClientMessage(session, request('connector.entryHandler.ping'))).toEqual({
      pong: true,
    });
    expect(session.get('room')).toBe('lobby');
  });

  it("keeps a numeric error code, and a RequestError's response code", async () => {
    const { pipeline } = pipelineWith();
    pipeline.registerHandler('refusing', {
      async go() {
        throw new RequestError(ErrorCode.HandlerFailed, 429, 'slow down');
      },
    });
    const session = memorySession();
    expect(
      await pipeline.handleClientMessage(session, request('connector.entryHandler.fail', { code: 1001 })),
    ).toEqual({
      code: 1001,
      message: 'no such room',
    });
    expect(await pipeline.handleClientMessage(session, request('connector.refusing.go'))).toEqual({
      code: 429,
      message: 'slow down',
    });
  });

  it('gives a notify no response, even on error, and logs its failure', async () => {
    const { pipeline, logger } = pipelineWith();
    const session = memorySession();
    expect(
      await pipeline.handleClientMessage(session, request('connector.entryHandler.hello', {}, 0)),
    ).toBeUndefined();
    expect(
      await pipeline.handleClientMessage(session, request('connector.entryHandler.fail', {}, 0)),
    ).toBeUndefined();
    expect(
      await pipeline.handleClientMessage(session, request('connector.entryHandler.nope', {}, 0)),
    ).toBeUndefined();
    expect(logger.lines).toHaveLength(2);
    expect(logger.lines[0]).toContain('no such room');
    expect(logger.lines[1]).toContain('connector.entryHandler.nope');
  });
});

describe('handleForwarded (backend)', () => {
  it('runs the handler with the session made from the snapshot', async () => {
    const { pipeline } = pipelineWith(testApp('chat'));
    pipeline.registerHandler('chatHandler', {
      hello: async (_m: JsonObject, s: HandlerSession) => ({ uid: s.uid ?? null }),
    });
    const data: SessionData = { id: 7, frontendId: 'connector-1', uid: 'carol', settings: {} };
    expect(await pipeline.handleForwarded(request('chat.chatHandler.hello'), data)).toEqual({
      response: { uid: 'carol' },
    });
    expect(await pipeline.handleForwarded(request('chat.chatHandler.hello', {}, 0), data)).toEqual({
      response: undefined,
    });
  });

  it('answers failures with their body and error, notifies with the error only', async () => {
    const { app, pipeline } = pipelineWith(testApp('chat'));
    const data: SessionData = { id: 7, frontendId: 'connector-1', uid: undefined, settings: {} };
    const failed = { code: 500, message: 'no such room' };
    expect(await pipeline.handleForwarded(request('chat.entryHandler.fail'), data)).toEqual({
      response: failed,
      error: failed,
    });
    expect(await pipeline.handleForwarded(request('chat.entryHandler.fail', {}, 0), data)).toEqual({
      response: undefined,
      error: failed,
    });
    expect(await pipeline.handleForwarded(request('chat.entryHandler.nope'), data)).toMatchObject({
      error: { code: 404 },
    });
    app.before({ before: () => undefined });
    app.set('errorHandler', () => ({ soft: true }));
    expect(await pipeline.handleForwarded(request('chat.entryHandler.fail'), data)).toEqual({
      response: { soft: true },
    });
  });
});
