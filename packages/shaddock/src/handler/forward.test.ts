import type { JsonObject } from '@shaddock/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, ResponseCode } from '../errors.js';
import type { ServerInfo } from '../membership/index.js';
import {
  createRpcProxy,
  RemoteRegistry,
  type Remotes,
  RpcClient,
  RpcServer,
  type SystemRemotes,
} from '../rpc/index.js';
import type { Application } from '../server/index.js';
import type { HandlerSession } from '../session/index.js';
import type { TestApplication } from '../testing/index.js';
import { createMessageRemote, HandlerPipeline } from './index.js';
import { memorySession, type RecordingLogger, recordingLogger, testApp } from './test-kit.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A chat backend: its own app and pipeline, serving `messageRemote` on a real RPC server. */
async function startChat(id: string): Promise<{ app: Application; info: ServerInfo; log: RecordingLogger }> {
  const app = testApp({ id, serverType: 'chat', host: '127.0.0.1', frontend: false });
  const log = recordingLogger();
  const pipeline = new HandlerPipeline(app, { createSession: memorySession, logger: log.logger });
  pipeline.registerHandler('chatHandler', {
    async send(message: JsonObject, session: HandlerSession): Promise<JsonObject> {
      return { server: id, echo: message, uid: session.uid ?? null, room: session.get('room') ?? null };
    },
    async fail(): Promise<never> {
      throw Object.assign(new Error('room is full'), { code: 1234 });
    },
  });
  const remotes = new RemoteRegistry();
  remotes.registerSystemRemote('chat', 'messageRemote', createMessageRemote(pipeline));
  const server = new RpcServer({ host: '127.0.0.1', port: 0, serverId: id, remotes });
  const port = await server.start();
  cleanups.push(() => server.stop(0));
  return { app, info: { id, serverType: 'chat', host: '127.0.0.1', port, frontend: false }, log };
}

/** A connector frontend whose RPC client reaches `backends`; `area` is configured but never runs. */
function startConnector(
  backends: ServerInfo[],
  maxFrameLength?: number,
): {
  app: TestApplication;
  pipeline: HandlerPipeline;
  log: RecordingLogger;
} {
  const area: ServerInfo = { id: 'area-1', serverType: 'area', host: '127.0.0.1', port: 1, frontend: false };
  const app = testApp('connector', { configured: [area] });
  for (const backend of backends) app.membership.add(backend);
  const client = new RpcClient({
    serverId: app.serverId,
    membership: app.membership,
    routes: app.routes,
    timeout: 2000,
    ...(maxFrameLength === undefined ? {} : { maxFrameLength }),
  });
  cleanups.push(() => client.close());
  app.services.provide('rpcClient', client);
  app.services.provide('rpc', createRpcProxy<Remotes>(client));
  app.services.provide('sysrpc', createRpcProxy<SystemRemotes>(client, 'sys'));
  const log = recordingLogger();
  const pipeline = new HandlerPipeline(app, { logger: log.logger });
  return { app, pipeline, log };
}

function clientSession(uid: string): HandlerSession {
  const session = memorySession({ id: 3, frontendId: 'connector-1', uid, settings: {} });
  session.set('room', 'lobby');
  return session;
}

describe('forwarding to a backend over RPC', () => {
  it("runs the backend's handler with the session snapshot and answers its response", async () => {
    const chat = await startChat('chat-1');
    const { pipeline } = startConnector([chat.info]);
    const response = await pipeline.handleClientMessage(clientSession('alice'), {
      id: 1,
      route: 'chat.chatHandler.send',
      body: { text: 'hi' },
    });
    expect(response).toEqual({ server: 'chat-1', echo: { text: 'hi' }, uid: 'alice', room: 'lobby' });
  });

  it("answers the backend's error body; globalErrorHandler on the frontend sees it", async () => {
    const chat = await startChat('chat-1');
    const { app, pipeline, log } = startConnector([chat.info]);
    const session = clientSession('bob');
    expect(
      await pipeline.handleClientMessage(session, { id: 1, route: 'chat.chatHandler.fail', body: {} }),
    ).toEqual({
      code: 1234,
      message: 'room is full',
    });
    expect(
      await pipeline.handleClientMessage(session, { id: 0, route: 'chat.chatHandler.fail', body: {} }),
    ).toBeUndefined();
    // The backend logged the failure where it ran, with its stack; the frontend only notes it at debug.
    expect(chat.log.records.filter((line) => line['level'] === 50)).toHaveLength(1);
    expect(chat.log.records[0]).toMatchObject({
      route: 'chat.chatHandler.fail',
      uid: 'bob',
      err: { message: 'room is full', stack: expect.stringContaining('room is full') },
    });
    expect(log.records.every((line) => line['level'] === 20 && line['err'] === undefined)).toBe(true);
    expect(log.lines.join('\n')).toContain('room is full');
    app.set('globalErrorHandler', (error: unknown) => ({ wrapped: (error as Error).message }));
    expect(
      await pipeline.handleClientMessage(session, { id: 2, route: 'chat.chatHandler.fail', body: {} }),
    ).toEqual({
      wrapped: 'room is full',
    });
    expect(
      await pipeline.handleClientMessage(session, { id: 3, route: 'chat.chatHandler.nope', body: {} }),
    ).toEqual({
      wrapped: 'no handler for route chat.chatHandler.nope',
    });
  });

  it('runs global filters around the forward, and the route filters on the backend only', async () => {
    const chat = await startChat('chat-1');
    const { app, pipeline } = startConnector([chat.info]);
    const order: string[] = [];
    app.globalBefore({ before: () => void order.push('global before') });
    app.globalAfter({
      after: (_error, _message, _session, response) =>
        void order.push(`global after ${response?.['server']}`),
    });
    app.before({ before: () => void order.push('frontend before') });
    chat.app.before({
      before: (_message, _session, context) => void order.push(`backend before ${context.route}`),
    });
    chat.app.after({ after: () => void order.push('backend after') });
    await pipeline.handleClientMessage(clientSession('carol'), {
      id: 1,
      route: 'chat.chatHandler.send',
      body: {},
    });
    expect(order).toEqual([
      'global before',
      'backend before chat.chatHandler.send',
      'backend after',
      'global after chat-1',
    ]);
  });

  it("picks the backend with the type's route function", async () => {
    const chat1 = await startChat('chat-1');
    const chat2 = await startChat('chat-2');
    const { app, pipeline } = startConnector([chat1.info, chat2.info]);
    const seen: unknown[] = [];
    app.route('chat', (routeParam, servers) => {
      seen.push((routeParam as HandlerSession).uid);
      return servers[servers.length - 1]!.id;
    });
    const response = await pipeline.handleClientMessage(clientSession('dave'), {
      id: 1,
      route: 'chat.chatHandler.send',
      body: {},
    });
    expect(response).toMatchObject({ server: 'chat-2' });
    expect(seen).toEqual(['dave']);
  });

  it('answers 502 when no server of the type runs or the chosen one is unreachable, 404 for an unknown type', async () => {
    const { app, pipeline } = startConnector([]);
    const session = clientSession('erin');
    expect(
      await pipeline.handleClientMessage(session, { id: 1, route: 'area.areaHandler.move', body: {} }),
    ).toMatchObject({
      code: ResponseCode.ServerUnavailable,
    });
    expect(
      await pipeline.handleClientMessage(session, { id: 1, route: 'nosuch.handler.method', body: {} }),
    ).toMatchObject({
      code: ResponseCode.UnknownRoute,
    });
    expect(
      await pipeline.handleClientMessage(session, { id: 1, route: 'master.handler.method', body: {} }),
    ).toMatchObject({
      code: ResponseCode.UnknownRoute,
    });
    const gone = await startChat('chat-9');
    app.membership.add(gone.info);
    await cleanups.pop()?.();
    expect(
      await pipeline.handleClientMessage(session, { id: 1, route: 'chat.chatHandler.send', body: {} }),
    ).toMatchObject({
      code: ResponseCode.ServerUnavailable,
    });
  });

  it("answers a body the RPC layer cannot carry with 400 (the client's error, logged at debug); the next message goes through", async () => {
    const chat = await startChat('chat-1');
    const { pipeline, log } = startConnector([chat.info]);
    let deep: JsonObject = {};
    for (let level = 1; level < 5000; level++) deep = { a: deep };
    const session = clientSession('alice');
    expect(
      await pipeline.handleClientMessage(session, { id: 1, route: 'chat.chatHandler.send', body: deep }),
    ).toEqual({ code: ResponseCode.BadRequest, message: expect.stringContaining('cannot be forwarded') });
    expect(log.records).toEqual([
      expect.objectContaining({ level: 20, code: ResponseCode.BadRequest, route: 'chat.chatHandler.send' }),
    ]);
    expect(
      await pipeline.handleClientMessage(session, { id: 2, route: 'chat.chatHandler.send', body: { n: 2 } }),
    ).toMatchObject({ server: 'chat-1', echo: { n: 2 } });
    expect(chat.log.records).toEqual([]);
  });

  it("answers a body too large for the cluster's RPC frames with 400 and a named code, unsent; the link goes on", async () => {
    const chat = await startChat('chat-1');
    const { app, pipeline, log } = startConnector([chat.info], 64 * 1024);
    const session = clientSession('alice');
    // one message through first: the link is up, and must stay so
    expect(
      await pipeline.handleClientMessage(session, { id: 1, route: 'chat.chatHandler.send', body: { n: 1 } }),
    ).toMatchObject({ echo: { n: 1 } });
    const big = { text: 'x'.repeat(100 * 1024) };
    const answered = await pipeline.handleClientMessage(session, {
      id: 2,
      route: 'chat.chatHandler.send',
      body: big,
    });
    expect(answered).toEqual({
      code: ResponseCode.BadRequest,
      message: expect.stringMatching(
        /^chat\.chatHandler\.send: the body cannot be forwarded: its RPC frame of \d+ bytes is over the cluster's limit of 65536/,
      ),
    });
    expect(log.records).toEqual([
      expect.objectContaining({ level: 20, code: ResponseCode.BadRequest, route: 'chat.chatHandler.send' }),
    ]);
    // a notify with it is dropped the same way; the error a handler sees carries the named code
    await pipeline.handleClientMessage(session, { id: 0, route: 'chat.chatHandler.send', body: big });
    app.set('globalErrorHandler', (error: unknown) => ({ named: (error as { code: string }).code }));
    expect(
      await pipeline.handleClientMessage(session, { id: 4, route: 'chat.chatHandler.send', body: big }),
    ).toEqual({ named: ErrorCode.BodyNotForwardable });
    // then the same link serves the next message
    expect(
      await pipeline.handleClientMessage(session, { id: 3, route: 'chat.chatHandler.send', body: { n: 3 } }),
    ).toMatchObject({ server: 'chat-1', echo: { n: 3 } });
    expect(chat.log.records).toEqual([]);
  });
});
