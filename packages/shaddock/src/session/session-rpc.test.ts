import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, RemoteError, ServerUnavailable, ShaddockError } from '../errors.js';
import { LocalMembership } from '../membership/index.js';
import { RemoteRegistry, RpcClient, RpcServer } from '../rpc/index.js';
import {
  BackendSessionService,
  createSessionRemote,
  type SessionConnection,
  SessionService,
  type SingleSessionMode,
} from './index.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A frontend in this process: its sessions behind a real RPC server, listed in `membership`. */
async function startFrontend(
  membership: LocalMembership,
  id: string,
  singleSession: SingleSessionMode = false,
) {
  const sessions = new SessionService({ frontendId: id, singleSession });
  const remotes = new RemoteRegistry();
  remotes.registerSystemRemote('connector', 'sessionRemote', createSessionRemote(sessions));
  const server = new RpcServer({ host: '127.0.0.1', port: 0, serverId: id, remotes });
  const port = await server.start();
  cleanups.push(() => server.stop(0));
  membership.add({ id, serverType: 'connector', host: '127.0.0.1', port, frontend: true });
  /** Kicks by session id. */
  const kicks = new Map<number, string[]>();
  // connection ids run apart from session ids, so a test that mixes them up fails
  let nextConnectionId = 101;
  // the seam a connector fills: records kicks; its close reaches `remove` with the session's id, as the connector's does
  const open = (): number => {
    let sessionId = 0;
    const connection: SessionConnection = {
      id: nextConnectionId++,
      remoteAddress: { ip: '127.0.0.1', port: 50_000 },
      closed: false,
      kick(reason) {
        kicks.set(sessionId, [...(kicks.get(sessionId) ?? []), reason]);
        sessions.remove(sessionId, 'connection closed');
      },
      close(reason) {
        sessions.remove(sessionId, reason);
      },
    };
    sessionId = sessions.create(connection).id;
    return sessionId;
  };
  return { sessions, open, kicks };
}

function backend(membership: LocalMembership): BackendSessionService {
  const client = new RpcClient({ serverId: 'chat-1', membership });
  cleanups.push(() => client.close());
  return new BackendSessionService({ membership, rpcClient: client });
}

describe('BackendSession over RPC', () => {
  it('gets sessions by id and uid from the frontend, as snapshots', async () => {
    const membership = new LocalMembership();
    const frontend = await startFrontend(membership, 'connector-1');
    const sessionId = frontend.open();
    frontend.sessions.bind(sessionId, 'alice');
    frontend.sessions.import(sessionId, { room: 'lobby' });
    const unboundId = frontend.open();
    const service = backend(membership);

    const session = await service.get('connector-1', sessionId);
    expect(session?.export()).toEqual({
      id: sessionId,
      frontendId: 'connector-1',
      uid: 'alice',
      settings: { room: 'lobby' },
    });
    expect((await service.get('connector-1', unboundId))?.uid).toBeUndefined();
    expect(await service.get('connector-1', 999)).toBeUndefined();
    expect((await service.getByUid('connector-1', 'alice')).map((found) => found.id)).toEqual([sessionId]);
    expect(await service.getByUid('connector-1', 'nobody')).toEqual([]);
  });

  it('push, pushAll, bind, unbind and kick travel to the frontend session', async () => {
    const membership = new LocalMembership();
    const frontend = await startFrontend(membership, 'connector-1');
    const sessionId = frontend.open();
    frontend.sessions.import(sessionId, { level: 1, stale: true });
    const service = backend(membership);
    const session = service.create(frontend.sessions.get(sessionId)!.export());

    session.set('room', 'arena');
    session.remove('stale');
    expect(frontend.sessions.get(sessionId)?.get('room')).toBeUndefined();
    await session.push('room', 'stale');
    expect(frontend.sessions.get(sessionId)?.settings).toEqual({ level: 1, room: 'arena' });

    session.set('level', 2);
    await session.pushAll();
    expect(frontend.sessions.get(sessionId)?.settings).toEqual({ level: 2, room: 'arena' });

    await session.bind('alice');
    expect(session.uid).toBe('alice');
    expect(frontend.sessions.getByUid('alice').map((found) => found.id)).toEqual([sessionId]);
    await session.unbind('alice');
    expect(session.uid).toBeUndefined();
    expect(frontend.sessions.boundCount).toBe(0);

    await session.kick('banned');
    expect(frontend.kicks.get(sessionId)).toEqual(['banned']);
    expect(frontend.sessions.get(sessionId)).toBeUndefined();
  });

  it('kicks by session id and by uid', async () => {
    const membership = new LocalMembership();
    const frontend = await startFrontend(membership, 'connector-1');
    const [a, b, c] = [frontend.open(), frontend.open(), frontend.open()];
    frontend.sessions.bind(a, 'alice');
    frontend.sessions.bind(b, 'alice');
    const service = backend(membership);
    await service.kickByUid('connector-1', 'alice', 'maintenance');
    await service.kickBySessionId('connector-1', c);
    expect([frontend.kicks.get(a), frontend.kicks.get(b), frontend.kicks.get(c)]).toEqual([
      ['maintenance'],
      ['maintenance'],
      ['kick'],
    ]);
    expect(frontend.sessions.sessionCount).toBe(0);
  });

  it("keeps the frontend's session error codes", async () => {
    const membership = new LocalMembership();
    const frontend = await startFrontend(membership, 'connector-1', 'reject');
    const [a, b] = [frontend.open(), frontend.open()];
    frontend.sessions.bind(a, 'alice');
    const service = backend(membership);
    const taken = await service.bind('connector-1', b, 'alice').catch((error: unknown) => error);
    expect(taken).toBeInstanceOf(ShaddockError);
    expect(taken).toMatchObject({ code: ErrorCode.SessionUidTaken });
    expect((taken as ShaddockError).cause).toBeInstanceOf(RemoteError);
    const session = service.create(frontend.sessions.get(a)!.export());
    await expect(session.bind('bob')).rejects.toMatchObject({ code: ErrorCode.SessionAlreadyBound });
    expect(session.uid).toBe('alice');
    await expect(service.pushAll('connector-1', 999, {})).rejects.toMatchObject({
      code: ErrorCode.SessionNotFound,
    });
  });

  it('fails with ServerUnavailable when the frontend is not in membership', async () => {
    const membership = new LocalMembership();
    const service = backend(membership);
    const session = service.create({ id: 1, frontendId: 'connector-9', uid: 'alice', settings: {} });
    await expect(session.push('room')).rejects.toBeInstanceOf(ServerUnavailable);
    await expect(session.kick()).rejects.toBeInstanceOf(ServerUnavailable);
    await expect(service.get('connector-9', 1)).rejects.toMatchObject({
      code: ErrorCode.ServerUnavailable,
      serverId: 'connector-9',
    });
  });

  it('finds a uid on every frontend, skipping one that is gone', async () => {
    const membership = new LocalMembership();
    const first = await startFrontend(membership, 'connector-1');
    const second = await startFrontend(membership, 'connector-2');
    first.sessions.bind(first.open(), 'alice');
    second.sessions.bind(second.open(), 'alice');
    second.sessions.bind(second.open(), 'alice');
    first.sessions.bind(first.open(), 'bob');
    const gone = new RpcServer({
      host: '127.0.0.1',
      port: 0,
      serverId: 'connector-3',
      remotes: new RemoteRegistry(),
    });
    const port = await gone.start();
    await gone.stop(0);
    membership.add({ id: 'connector-3', serverType: 'connector', host: '127.0.0.1', port, frontend: true });
    membership.add({ id: 'chat-1', serverType: 'chat', host: '127.0.0.1', port, frontend: false });
    const service = backend(membership);
    const found = await service.findByUid('alice');
    expect(found.map((session) => `${session.frontendId}/${session.uid}`).sort()).toEqual([
      'connector-1/alice',
      'connector-2/alice',
      'connector-2/alice',
    ]);
    expect(await service.findByUid('nobody')).toEqual([]);
  });
});
