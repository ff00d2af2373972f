import { describe, expect, it } from 'vitest';
import { ErrorCode, ShaddockError } from '../errors.js';
import { createLogger } from '../logging/index.js';
import {
  type Session,
  type SessionConnection,
  type SessionData,
  SessionService,
  type SessionServiceOptions,
} from './index.js';

/**
 * The seam a connector fills: records what the sessions did to it; its close reaches `remove`
 * with its session's id, as the connector's does. Its own id is never the session's.
 */
class TestConnection implements SessionConnection {
  readonly remoteAddress: { ip: string; port: number };
  closed = false;
  readonly kicks: string[] = [];
  readonly closes: string[] = [];
  /** The session it carries, set once the service made it. */
  sessionId: number | undefined;
  constructor(
    readonly id: number,
    private readonly onClose: (sessionId: number, reason: string) => void,
  ) {
    this.remoteAddress = { ip: '127.0.0.1', port: 40_000 + id };
  }
  kick(reason: string): void {
    this.kicks.push(reason);
    this.close(reason);
  }
  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.closes.push(reason);
    if (this.sessionId !== undefined) this.onClose(this.sessionId, 'connection closed');
  }
}

/** The lines a logger wrote at `error` and above, parsed. */
function recordingLogger() {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    serverId: 'connector-1',
    serverType: 'connector',
    level: 'error',
    stream: { write: (line: string) => lines.push(JSON.parse(line)) } as unknown as NodeJS.WritableStream,
  });
  return { logger, lines };
}

function frontend(options: Partial<SessionServiceOptions> = {}) {
  const { logger, lines: errors } = recordingLogger();
  const service = new SessionService({ frontendId: 'connector-1', logger, ...options });
  // connection ids run apart from session ids (as with connections refused before their
  // handshake), so a test that mixes them up fails
  let nextConnectionId = 101;
  const connect = (): TestConnection =>
    new TestConnection(nextConnectionId++, (sessionId, reason) => service.remove(sessionId, reason));
  const open = (): { session: Session; connection: TestConnection } => {
    const connection = connect();
    const session = service.create(connection);
    connection.sessionId = session.id;
    return { session, connection };
  };
  return { service, open, connect, errors };
}

function codeOf(action: () => void): string | undefined {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(ShaddockError);
    return (error as ShaddockError).code;
  }
  return undefined;
}

describe('SessionService', () => {
  it('gives sessions their own ids, not their connections', () => {
    const { service, open } = frontend();
    const { session, connection } = open();
    const second = open();
    expect([session.id, second.session.id]).toEqual([1, 2]);
    expect([connection.id, second.connection.id]).toEqual([101, 102]);
    expect(session.frontendId).toBe('connector-1');
    expect(session.connection).toBe(connection);
    expect(session.remoteAddress).toEqual({ ip: '127.0.0.1', port: 40_101 });
    expect(service.get(session.id)).toBe(session);
    expect(service.get(connection.id)).toBeUndefined();
    expect(service.sessionCount).toBe(2);
    expect(service.boundCount).toBe(0);
  });

  it('moves a session to another connection: detach, then attach', () => {
    const { service, open, connect } = frontend();
    const { session, connection } = open();
    service.bind(session.id, 'alice');
    expect(session.detach()).toBe(connection);
    expect(session.connection).toBeUndefined();
    // detached: it keeps its uid and the last address
    expect(service.getByUid('alice')).toEqual([session]);
    expect(session.remoteAddress).toEqual(connection.remoteAddress);
    const next = connect();
    session.attach(next);
    next.sessionId = session.id;
    expect(session.connection).toBe(next);
    expect(session.remoteAddress).toEqual(next.remoteAddress);
    expect(codeOf(() => session.attach(connect()))).toBe(ErrorCode.SessionExists);
    service.kickBySessionId(session.id, 'bye');
    expect(next.kicks).toEqual(['bye']);
    expect(connection.kicks).toEqual([]);
    expect(codeOf(() => session.attach(connect()))).toBe(ErrorCode.SessionNotFound);
  });

  it('kicks a detached session by closing it: no connection to kick', () => {
    const { service, open } = frontend();
    const { session, connection } = open();
    session.detach();
    const reasons: string[] = [];
    service.onClosed((_, reason) => reasons.push(reason));
    service.kickBySessionId(session.id, 'maintenance');
    expect(reasons).toEqual(['maintenance']);
    expect(connection.kicks).toEqual([]);
    expect(service.sessionCount).toBe(0);
  });

  it('binds, finds by uid, and unbinds', () => {
    const { service, open } = frontend();
    const a = open().session;
    const b = open().session;
    service.bind(a.id, 'alice');
    service.bind(b.id, 'alice');
    service.bind(a.id, 'alice'); // same uid again: nothing
    expect(a.uid).toBe('alice');
    expect(service.getByUid('alice')).toEqual([a, b]);
    expect(service.boundCount).toBe(2);
    expect(service.uidCount).toBe(1);
    service.unbind(a.id, 'alice');
    expect(a.uid).toBeUndefined();
    expect(service.getByUid('alice')).toEqual([b]);
    service.unbind(b.id, 'alice');
    expect(service.getByUid('alice')).toEqual([]);
    expect(service.boundCount).toBe(0);
    expect(service.uidCount).toBe(0);
  });

  it('refuses to bind an unknown session, a session bound to another uid, or to unbind a wrong uid', () => {
    const { service, open } = frontend();
    const { session } = open();
    expect(codeOf(() => service.bind(99, 'alice'))).toBe(ErrorCode.SessionNotFound);
    service.bind(session.id, 'alice');
    expect(codeOf(() => service.bind(session.id, 'bob'))).toBe(ErrorCode.SessionAlreadyBound);
    expect(codeOf(() => service.unbind(session.id, 'bob'))).toBe(ErrorCode.SessionNotBound);
    expect(codeOf(() => service.unbind(99, 'alice'))).toBe(ErrorCode.SessionNotFound);
    expect(service.getByUid('bob')).toEqual([]);
    expect(session.uid).toBe('alice');
  });

  it("singleSession 'reject' refuses a second session for a uid", () => {
    const { service, open } = frontend({ singleSession: 'reject' });
    const first = open();
    const second = open();
    service.bind(first.session.id, 'alice');
    expect(codeOf(() => service.bind(second.session.id, 'alice'))).toBe(ErrorCode.SessionUidTaken);
    expect(second.session.uid).toBeUndefined();
    expect(first.connection.kicks).toEqual([]);
    service.unbind(first.session.id, 'alice');
    service.bind(second.session.id, 'alice');
    expect(service.getByUid('alice')).toEqual([second.session]);
  });

  it("singleSession 'replace' kicks the older session, then binds", () => {
    const { service, open } = frontend({ singleSession: 'replace' });
    const first = open();
    const second = open();
    const closed: [SessionData, string][] = [];
    service.onClosed((session, reason) => closed.push([session, reason]));
    service.bind(first.session.id, 'alice');
    service.bind(second.session.id, 'alice');
    expect(first.connection.kicks).toEqual(['replaced']);
    expect(first.connection.closed).toBe(true);
    expect(service.get(first.session.id)).toBeUndefined();
    expect(service.getByUid('alice')).toEqual([second.session]);
    expect(closed.map(([session, reason]) => [session.id, session.uid, reason])).toEqual([
      [first.session.id, 'alice', 'replaced'],
    ]);
    expect(service.boundCount).toBe(1);
  });

  it('kicks every session of a uid, and one session by id', () => {
    const { service, open } = frontend();
    const a = open();
    const b = open();
    const c = open();
    service.bind(a.session.id, 'alice');
    service.bind(b.session.id, 'alice');
    service.kick('alice', 'maintenance');
    expect(a.connection.kicks).toEqual(['maintenance']);
    expect(b.connection.kicks).toEqual(['maintenance']);
    expect(c.connection.kicks).toEqual([]);
    expect(service.getByUid('alice')).toEqual([]);
    expect(service.sessionCount).toBe(1);
    service.kickBySessionId(c.session.id);
    expect(c.connection.kicks).toEqual(['kick']);
    expect(service.sessionCount).toBe(0);
    service.kick('nobody');
    service.kickBySessionId(42);
  });

  it('remove cleans the indexes and calls closed listeners once, with the uid the session had', () => {
    const { service, open } = frontend();
    const { session } = open();
    service.bind(session.id, 'alice');
    const appClosed: [SessionData, string][] = [];
    const sessionClosed: string[] = [];
    const unbound: string[] = [];
    service.onClosed((data, reason) => appClosed.push([data, reason]));
    service.onUnbind((_, uid) => unbound.push(uid));
    session.onClosed((data, reason) => sessionClosed.push(`${data.uid}:${reason}`));
    service.remove(session.id, 'client gone');
    service.remove(session.id, 'again');
    expect(sessionClosed).toEqual(['alice:client gone']);
    expect(appClosed).toHaveLength(1);
    expect(appClosed[0]?.[0]).toMatchObject({ id: session.id, frontendId: 'connector-1', uid: 'alice' });
    expect(appClosed[0]?.[1]).toBe('client gone');
    expect(unbound).toEqual([]);
    expect(session.closed).toBe(true);
    expect(session.closeReason).toBe('client gone');
    expect(service.get(session.id)).toBeUndefined();
    expect(service.getByUid('alice')).toEqual([]);
    expect([service.sessionCount, service.boundCount, service.uidCount]).toEqual([0, 0, 0]);
  });

  it('calls a closed listener added after the close, once, in a microtask', async () => {
    const { service, open } = frontend();
    const { session } = open();
    service.remove(session.id, 'gone');
    const reasons: string[] = [];
    session.onClosed((_, reason) => reasons.push(reason));
    session.onClosed(() => reasons.push('removed'))();
    expect(reasons).toEqual([]);
    await Promise.resolve();
    expect(reasons).toEqual(['gone']);
  });

  it('reports bind and unbind to the session and the service, and stops a removed listener', () => {
    const { service, open } = frontend();
    const { session } = open();
    const events: string[] = [];
    const stop = service.onBind((bound, uid) => events.push(`service bind ${bound.id} ${uid}`));
    service.onUnbind((_, uid) => events.push(`service unbind ${uid}`));
    session.onBind((uid) => events.push(`session bind ${uid}`));
    session.onUnbind((uid) => events.push(`session unbind ${uid}`));
    service.bind(session.id, 'alice');
    service.unbind(session.id, 'alice');
    stop();
    service.bind(session.id, 'bob');
    expect(events).toEqual([
      'session bind alice',
      `service bind ${session.id} alice`,
      'session unbind alice',
      'service unbind alice',
      'session bind bob',
    ]);
  });

  it('keeps calling listeners after one throws, and reports the error', () => {
    const { service, open, errors } = frontend();
    const { session } = open();
    const seen: string[] = [];
    service.onClosed(() => {
      throw new Error('listener bug');
    });
    service.onClosed((_, reason) => seen.push(reason));
    service.remove(session.id, 'gone');
    expect(seen).toEqual(['gone']);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ msg: 'a session listener failed', err: { message: 'listener bug' } });
  });

  it('imports settings: merge (push, with removals) and replace (pushAll), as copies', () => {
    const { service, open } = frontend();
    const { session } = open();
    const room = { name: 'lobby' };
    service.import(session.id, { room, level: 3, gone: true });
    room.name = 'changed by the caller';
    expect(session.get('room')).toEqual({ name: 'lobby' });
    service.import(session.id, { level: 4 }, ['gone']);
    expect(session.settings).toEqual({ room: { name: 'lobby' }, level: 4 });
    service.importAll(session.id, { only: 'this' });
    expect(session.settings).toEqual({ only: 'this' });
    expect(codeOf(() => service.import(99, {}))).toBe(ErrorCode.SessionNotFound);
    expect(codeOf(() => service.importAll(99, {}))).toBe(ErrorCode.SessionNotFound);
  });

  it('visits every session, and every bound one', () => {
    const { service, open } = frontend();
    const a = open().session;
    const b = open().session;
    open();
    service.bind(a.id, 'alice');
    service.bind(b.id, 'bob');
    const all: number[] = [];
    const bound: string[] = [];
    service.forEachSession((session) => all.push(session.id));
    service.forEachBoundSession((session) => bound.push(session.uid ?? ''));
    expect(all).toHaveLength(3);
    expect(bound.sort()).toEqual(['alice', 'bob']);
  });
});
