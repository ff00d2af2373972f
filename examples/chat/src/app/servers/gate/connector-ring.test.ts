import { ConsistentHashRouter, LocalMembership, type ServerInfo } from 'shaddock';
import { describe, expect, it } from 'vitest';
import { type ConnectorAddress, ConnectorRing } from './connector-ring.js';

function connector(id: string, port: number, fields: Partial<ServerInfo> = {}): ServerInfo {
  return { id, serverType: 'connector', host: '10.0.0.1', clientPort: port, frontend: true, ...fields };
}

const servers = [connector('c-1', 3050), connector('c-2', 3051), connector('c-3', 3052)];
const names = Array.from({ length: 200 }, (_, index) => `user-${index}`);

function portOf(pick: ReturnType<ConnectorRing['pick']>): number | undefined {
  return pick.kind === 'found' ? pick.address.port : undefined;
}

describe('ConnectorRing', () => {
  it('picks what a consistent hash over membership picks, at the client address', () => {
    const membership = new LocalMembership([
      ...servers,
      { id: 'chat-1', serverType: 'chat', host: 'h', frontend: false },
    ]);
    const ring = new ConnectorRing(membership);
    const router = new ConsistentHashRouter(membership);
    for (const name of names) {
      const pick = ring.pick(name);
      expect(pick.kind === 'found' ? pick.server.id : undefined).toBe(router.routeKey('connector', name));
    }
    const withClientHost = new ConnectorRing(
      new LocalMembership([connector('c-1', 3050, { clientHost: 'chat.example.com' })]),
    );
    expect(withClientHost.pick('ann')).toMatchObject({ address: { host: 'chat.example.com', port: 3050 } });
  });

  it('moves only the names of a failed connector, each to the next one on the ring', () => {
    const ring = new ConnectorRing(new LocalMembership(servers));
    const failed: ConnectorAddress[] = [{ host: '10.0.0.1', port: 3051 }];
    // As if c-2 had left membership: what a ring of the other two picks.
    const without = new ConnectorRing(new LocalMembership(servers.filter((server) => server.id !== 'c-2')));
    let moved = 0;
    for (const name of names) {
      const before = portOf(ring.pick(name));
      const after = portOf(ring.pick(name, failed));
      expect(after).toBe(portOf(without.pick(name)));
      expect(after).not.toBe(3051);
      if (before === 3051) moved++;
      else expect(after).toBe(before);
    }
    expect(moved).toBeGreaterThan(0);
    // Host names compare without case; another port of the same host is another connector.
    expect(portOf(ring.pick(names[0] ?? '', [{ host: '10.0.0.1', port: 9999 }]))).toBe(
      portOf(ring.pick(names[0] ?? '')),
    );
    const upper = new ConnectorRing(
      new LocalMembership([connector('c-1', 3050, { clientHost: 'Chat.Example.com' })]),
    );
    expect(upper.pick('ann', [{ host: 'chat.example.COM', port: 3050 }])).toEqual({
      kind: 'none-left',
      running: 1,
    });
  });

  it('never picks a connector that is not in membership, nor one without a client port', () => {
    const membership = new LocalMembership([
      ...servers,
      { id: 'c-4', serverType: 'connector', host: '10.0.0.1', frontend: true },
    ]);
    const ring = new ConnectorRing(membership);
    membership.remove('c-1');
    for (const name of names) {
      const pick = ring.pick(name);
      expect(pick.kind === 'found' ? pick.server.id : undefined).toMatch(/^c-[23]$/);
    }
    membership.remove('c-2');
    membership.remove('c-3');
    expect(ring.pick('ann')).toEqual({ kind: 'none-running' });
    membership.add(servers[0] as ServerInfo);
    expect(ring.pick('ann', [{ host: '10.0.0.1', port: 3050 }])).toEqual({ kind: 'none-left', running: 1 });
    expect(portOf(ring.pick('ann'))).toBe(3050);
  });

  it('keeps a bounded number of rings, however many sets clients skip', () => {
    const many = Array.from({ length: 40 }, (_, index) => connector(`c-${index}`, 4000 + index));
    const ring = new ConnectorRing(new LocalMembership(many));
    for (let index = 0; index < 40; index++) {
      const pick = ring.pick('ann', [{ host: '10.0.0.1', port: 4000 + index }]);
      expect(portOf(pick)).not.toBe(4000 + index);
    }
  });
});
