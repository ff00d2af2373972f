import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../errors.js';
import { LocalMembership, type ServerInfo } from '../membership/index.js';
import { ConsistentHashRouter, hashString, routeKey } from './consistent-hash-router.js';

function chat(id: string): ServerInfo {
  return { id, serverType: 'chat', host: '127.0.0.1', port: 1, frontend: false };
}

const keys = Array.from({ length: 10_000 }, (_, index) => `user-${index}`);

describe('ConsistentHashRouter', () => {
  it('keys a session by uid and anything else by its string form', () => {
    expect(routeKey({ uid: 'u1', id: 5 })).toBe('u1');
    expect(routeKey({ uid: 42 })).toBe('42');
    expect(routeKey('room-1')).toBe('room-1');
    expect(routeKey(7)).toBe('7');
    expect(routeKey(null)).toBe('null');
  });

  it('hashes stably (the same on every process and run)', () => {
    // pinned: changing the hash would move every key between versions of a rolling upgrade
    expect(hashString('user-1')).toBe(2005895916);
    expect(hashString('chat-server-1#0')).toBe(4014152010);
  });

  it('sends the same key to the same server, and spreads keys evenly', () => {
    const membership = new LocalMembership(['chat-1', 'chat-2', 'chat-3', 'chat-4'].map(chat));
    const router = new ConsistentHashRouter(membership);
    const counts = new Map<string, number>();
    for (const key of keys) {
      const serverId = router.route('chat', { uid: key });
      expect(router.route('chat', { uid: key })).toBe(serverId);
      expect(router.routeKey('chat', key)).toBe(serverId);
      counts.set(serverId, (counts.get(serverId) ?? 0) + 1);
    }
    expect(counts.size).toBe(4);
    for (const count of counts.values()) expect(count / keys.length).toBeGreaterThan(0.15);
    // another router on the same membership agrees: routing holds across processes
    const other = new ConsistentHashRouter(
      new LocalMembership(['chat-4', 'chat-3', 'chat-2', 'chat-1'].map(chat)),
    );
    for (const key of keys.slice(0, 500))
      expect(other.routeKey('chat', key)).toBe(router.routeKey('chat', key));
    router.dispose();
    other.dispose();
  });

  it('moves only about 1/(N+1) of the keys, all to the new server, when a server joins', () => {
    const membership = new LocalMembership(['chat-1', 'chat-2', 'chat-3', 'chat-4'].map(chat));
    const router = new ConsistentHashRouter(membership);
    const before = keys.map((key) => router.routeKey('chat', key));
    membership.add(chat('chat-5'));
    const after = keys.map((key) => router.routeKey('chat', key));
    let moved = 0;
    after.forEach((serverId, index) => {
      if (serverId !== before[index]) {
        moved++;
        expect(serverId).toBe('chat-5');
      }
    });
    expect(moved / keys.length).toBeGreaterThan(0.1);
    expect(moved / keys.length).toBeLessThan(0.3);
    // and when it leaves again, every key goes back where it was
    membership.remove('chat-5');
    expect(keys.map((key) => router.routeKey('chat', key))).toEqual(before);
    router.dispose();
  });

  it('refuses a type with no server with NoServerForRoute', () => {
    const router = new ConsistentHashRouter(new LocalMembership([chat('chat-1')]));
    expect(() => router.route('area', { uid: 'u1' })).toThrow(
      expect.objectContaining({ code: ErrorCode.NoServerForRoute }),
    );
    router.dispose();
  });
});
