import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Membership, ServerInfo } from '../membership/index.js';
import { waitUntil } from './wait.js';

/** What the membership contract suite needs from a driver: a cluster to join, and a way to crash. */
export interface MembershipHarness {
  /** A membership for `server` in this cluster, not started. */
  create(server: ServerInfo): Membership;
  /** Ends `membership` as a crash would: no goodbye (its connection cut, its heartbeats stopped). */
  crash(membership: Membership): Promise<void> | void;
  /** The most a crash may take to reach the others, in milliseconds. */
  readonly failureDetectionMs: number;
  /** Ends the cluster (every membership it made is stopped by the suite first). */
  close(): Promise<void>;
}

/**
 * The ONE contract suite of the {@link Membership} interface: every driver (the master's registry,
 * NATS) passes it. `makeHarness` is called once per test.
 *
 * @example
 * describeMembershipContract('master registry', async () => masterHarness());
 */
export function describeMembershipContract(
  name: string,
  makeHarness: () => Promise<MembershipHarness>,
): void {
  describe(`Membership contract: ${name}`, () => {
    let harness: MembershipHarness;
    let started: Membership[] = [];

    beforeEach(async () => {
      harness = await makeHarness();
      started = [];
    });

    afterEach(async () => {
      await Promise.allSettled(started.map((membership) => membership.stop()));
      await harness.close();
    });

    /** Starts (and by default announces) a member. */
    async function join(server: ServerInfo, announce = true): Promise<Membership> {
      const membership = harness.create(server);
      started.push(membership);
      await membership.start();
      if (announce) await membership.ready();
      return membership;
    }

    it('shows every announced member to every member, with its fields as given', async () => {
      const a = await join(server('connector-1', 'connector', { frontend: true, clientPort: 3050 }));
      const b = await join(server('chat-2', 'chat', { area: 7, tags: ['x'] }));
      const c = await join(server('chat-1', 'chat'));
      for (const view of [a, b, c]) {
        await waitUntil(() => view.servers().length === 3, 5_000, 'every member sees three servers');
        expect(view.byType('chat').map((member) => member.id)).toEqual(['chat-1', 'chat-2']);
        expect(view.byType('gate')).toEqual([]);
        expect(view.get('chat-2')).toMatchObject({ serverType: 'chat', area: 7, tags: ['x'], port: 4000 });
        expect(view.get('connector-1')).toMatchObject({ frontend: true, clientPort: 3050 });
        expect(view.get('nobody')).toBeUndefined();
      }
    });

    it('announces a member to the others only once it is ready', async () => {
      const observer = await join(server('gate-1', 'gate'));
      const added: string[] = [];
      observer.on('add', (member) => added.push(member.id));
      const late = await join(server('chat-1', 'chat'), false);
      // the late member sees the cluster at once, so its components can call others while they start
      expect(late.get('gate-1')?.serverType).toBe('gate');
      await pause(200);
      expect(observer.get('chat-1')).toBeUndefined();
      await late.ready();
      await waitUntil(() => observer.get('chat-1') !== undefined, 5_000, 'the observer sees chat-1');
      expect(added).toEqual(['chat-1']);
    });

    it('removes a member that stops, at once, with one remove event', async () => {
      const observer = await join(server('gate-1', 'gate'));
      const leaving = await join(server('chat-1', 'chat'));
      await waitUntil(() => observer.get('chat-1') !== undefined, 5_000, 'the observer sees chat-1');
      const removed: string[] = [];
      observer.on('remove', (member) => removed.push(member.id));
      const stoppedAt = Date.now();
      await leaving.stop();
      await waitUntil(() => removed.length > 0, 2_000, 'the observer hears chat-1 left');
      expect(Date.now() - stoppedAt).toBeLessThan(2_000);
      expect(removed).toEqual(['chat-1']);
      expect(observer.get('chat-1')).toBeUndefined();
      expect(observer.byType('chat')).toEqual([]);
    });

    it('removes a member that crashes without a word', async () => {
      const observer = await join(server('gate-1', 'gate'));
      const crashing = await join(server('chat-1', 'chat'));
      await waitUntil(() => observer.get('chat-1') !== undefined, 5_000, 'the observer sees chat-1');
      const crashedAt = Date.now();
      await harness.crash(crashing);
      started = started.filter((membership) => membership !== crashing);
      await waitUntil(
        () => observer.get('chat-1') === undefined,
        harness.failureDetectionMs + 2_000,
        'the observer drops chat-1',
      );
      expect(Date.now() - crashedAt).toBeLessThanOrEqual(harness.failureDetectionMs + 500);
    });

    it('takes back a member that comes back under the same id, without a restart of the others', async () => {
      const observer = await join(server('gate-1', 'gate'));
      const first = await join(server('chat-1', 'chat'));
      await waitUntil(() => observer.get('chat-1') !== undefined, 5_000, 'the observer sees chat-1');
      await first.stop();
      await waitUntil(() => observer.get('chat-1') === undefined, 5_000, 'the observer drops chat-1');
      const events: string[] = [];
      observer.on('add', (member) => events.push(`add ${member.id} ${String(member['generation'])}`));
      await join(server('chat-1', 'chat', { generation: 2 }));
      await waitUntil(() => events.length > 0, 5_000, 'the observer sees chat-1 again');
      expect(events).toEqual(['add chat-1 2']);
      expect(observer.get('chat-1')?.['generation']).toBe(2);
    });

    it('stops calling a listener once it is unsubscribed', async () => {
      const observer = await join(server('gate-1', 'gate'));
      const added: string[] = [];
      const unsubscribe = observer.on('add', (member) => added.push(member.id));
      await join(server('chat-1', 'chat'));
      await waitUntil(() => added.length === 1, 5_000, 'the listener hears chat-1');
      unsubscribe();
      await join(server('chat-2', 'chat'));
      await waitUntil(() => observer.get('chat-2') !== undefined, 5_000, 'the observer sees chat-2');
      expect(added).toEqual(['chat-1']);
    });
  });
}

function server(id: string, serverType: string, fields: Partial<ServerInfo> = {}): ServerInfo {
  // nothing listens on the port: membership only carries it
  return { id, serverType, host: '127.0.0.1', port: 4000, frontend: false, ...fields };
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
