import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../errors.js';
import { type SessionConnection, SessionService } from './index.js';

/**
 * The seam a connector fills, as a plain object: records kicks; its close reaches `remove` with
 * the session's id (1), as the connector's does. Its own id (7) is not the session's.
 */
function setup() {
  const service = new SessionService({ frontendId: 'connector-1' });
  const kicks: string[] = [];
  const connection: SessionConnection = {
    id: 7,
    remoteAddress: { ip: '10.0.0.9', port: 51_000 },
    closed: false,
    kick(reason) {
      kicks.push(reason);
      service.remove(session.id, 'connection closed');
    },
    close() {},
  };
  const session = service.create(connection);
  return { service, session, kicks };
}

describe('FrontendSession', () => {
  it('is a copy: set and remove stay local until push', async () => {
    const { service, session } = setup();
    service.import(session.id, { room: 'lobby', level: 1 });
    const handler = service.frontendSession(session);
    expect(handler.get('room')).toBe('lobby');
    handler.set('room', 'arena');
    handler.remove('level');
    expect(handler.get('room')).toBe('arena');
    expect(handler.get('level')).toBeUndefined();
    expect(session.get('room')).toBe('lobby');
    expect(session.get('level')).toBe(1);
    expect(service.frontendSession(session).get('room')).toBe('lobby');
    await handler.push('room');
    expect(session.get('room')).toBe('arena');
    expect(session.get('level')).toBe(1);
    await handler.push('level');
    expect(session.get('level')).toBeUndefined();
  });

  it('pushAll replaces the real settings with the copy', async () => {
    const { service, session } = setup();
    service.import(session.id, { a: 1, b: 2 });
    const handler = service.frontendSession(session);
    handler.remove('a');
    handler.set('c', 3);
    await handler.pushAll();
    expect(session.settings).toEqual({ b: 2, c: 3 });
  });

  it('gives each handler its own copy of object values, and never changes the real session in place', () => {
    const { service, session } = setup();
    service.import(session.id, { bag: { items: ['sword'] } });
    const first = service.frontendSession(session);
    const second = service.frontendSession(session);
    const bag = first.get('bag') as { items: string[] };
    bag.items.push('shield');
    expect(first.get('bag')).toEqual({ items: ['sword', 'shield'] });
    expect(second.get('bag')).toEqual({ items: ['sword'] });
    expect(session.get('bag')).toEqual({ items: ['sword'] });
    const before = session.settings;
    session.set('gold', 10);
    expect(before).toEqual({ bag: { items: ['sword'] } });
    expect(first.get('gold')).toBeUndefined();
  });

  it('reads only own settings, never inherited properties', () => {
    const { service, session } = setup();
    const handler = service.frontendSession(session);
    expect(handler.get('constructor')).toBeUndefined();
    expect(handler.get('__proto__')).toBeUndefined();
    handler.set('__proto__', 'plain');
    expect(handler.get('__proto__')).toBe('plain');
    expect(Object.getPrototypeOf(handler.export().settings)).toBe(Object.prototype);
  });

  it('binds, unbinds and kicks the real session', async () => {
    const { service, session, kicks } = setup();
    const handler = service.frontendSession(session);
    await handler.bind('alice');
    expect(handler.uid).toBe('alice');
    expect(service.getByUid('alice')).toEqual([session]);
    await expect(handler.bind('bob')).rejects.toMatchObject({ code: ErrorCode.SessionAlreadyBound });
    await handler.unbind('alice');
    expect(session.uid).toBeUndefined();
    const reasons: string[] = [];
    handler.onClosed((_, reason) => reasons.push(reason));
    await handler.kick('bye');
    expect(kicks).toEqual(['bye']);
    expect(reasons).toEqual(['bye']);
    expect(handler.closed).toBe(true);
    await expect(handler.push('x')).rejects.toMatchObject({ code: ErrorCode.SessionNotFound });
  });

  it('exports a snapshot that later changes to the copy leave alone', async () => {
    const { service, session } = setup();
    await service.frontendSession(session).bind('alice');
    service.import(session.id, { room: 'lobby' });
    const handler = service.frontendSession(session);
    handler.set('room', 'arena');
    const snapshot = handler.export();
    handler.set('room', 'cellar');
    // the session's id (the service's first), not its connection's (7)
    expect(snapshot).toEqual({ id: 1, frontendId: 'connector-1', uid: 'alice', settings: { room: 'arena' } });
    expect(handler.remoteAddress).toEqual({ ip: '10.0.0.9', port: 51_000 });
  });
});
