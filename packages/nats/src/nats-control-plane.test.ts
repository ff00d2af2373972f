// The NATS control plane against a real NATS (127.0.0.1:4222, or SHADDOCK_TEST_NATS_URL): the
// ControlPlane contract suite (orders to a stand-in server taking them with takeOrders, as
// NatsMembership does; leadership on the KV lease; requests between masters), then what is NATS's
// own: a refused order, an uncoded failure, the reasons given, the connection given back, ids that
// cannot name a subject.
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { natsUnavailable, TEST_NATS_URL } from '@shaddock/test-support';
import { type ControlPlane, ErrorCode, RemoteError, ServerUnavailable } from 'shaddock';
import { type ControlPlaneHarness, describeControlPlaneContract, recordingLogger } from 'shaddock/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_LEASE_TIMING } from './leadership.js';
import { takeOrders } from './membership-orders.js';
import { RepeatedLog } from './membership-repeats.js';
import { NatsControlPlane } from './nats-control-plane.js';
import { controlSubject, leaderBucket } from './subjects.js';

const NATS_URL = TEST_NATS_URL;
const reachable = (await natsUnavailable('the NatsControlPlane tests')) === undefined;
const log = recordingLogger('info');
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});

function uniqueCluster(): string {
  return `t${Date.now().toString(36)}${Math.floor(Math.random() * 1e9).toString(36)}`;
}

async function connection(): Promise<NatsConnection> {
  const made = await connect({ servers: NATS_URL });
  cleanups.push(() => made.close());
  return made;
}

/** A control plane on a connection of its own; `released` counts the connection given back. */
async function plane(cluster: string): Promise<{ plane: NatsControlPlane; released: () => number }> {
  let released = 0;
  const made = new NatsControlPlane({
    cluster,
    connection: connection,
    release: async () => {
      released += 1;
    },
    logger: log.logger,
  });
  cleanups.push(() => made.close());
  return { plane: made, released: () => released };
}

/**
 * A cluster of its own: each plane on a connection of its own (a crash closes it, without a
 * resignation), stand-in servers taking orders with `takeOrders` on their control subjects.
 */
async function natsHarness(): Promise<ControlPlaneHarness> {
  const cluster = uniqueCluster();
  const planes = new Map<ControlPlane, NatsConnection>();
  const others: NatsConnection[] = [];
  return {
    async create(processId) {
      const own = await connect({ servers: NATS_URL, name: processId });
      const made = new NatsControlPlane({ cluster, connection: async () => own, logger: log.logger });
      planes.set(made, own);
      return made;
    },
    async member(serverId, orders) {
      const own = await connect({ servers: NATS_URL, name: serverId });
      others.push(own);
      let subscription: Subscription | undefined = takeOrders({
        connection: own,
        subject: controlSubject(cluster, serverId),
        orders,
        logger: log.logger,
        repeats: new RepeatedLog(log.logger),
        exit: () => orders.kill(),
      });
      await own.flush();
      return async () => {
        subscription?.unsubscribe();
        subscription = undefined;
        // the server forgets the subscription before anyone is told it is gone
        if (!own.isClosed()) await own.flush();
      };
    },
    async crash(plane) {
      await planes.get(plane)?.close();
    },
    // a lease (1.5 s) and a check (0.1 s) after the last renewal seen, and room for a loaded machine
    takeoverMs: DEFAULT_LEASE_TIMING.leaseMs + 1_000,
    async close() {
      // the planes the suite closed stay closed; the crashed ones stop their clocks
      await Promise.allSettled([...planes.keys()].map((plane) => plane.close()));
      await Promise.allSettled([...planes.values(), ...others].map((own) => own.close()));
      const admin = await connect({ servers: NATS_URL });
      try {
        await (await new Kvm(admin).open(leaderBucket(cluster))).destroy();
      } catch {
        // no campaign made it
      } finally {
        await admin.close();
      }
    },
  };
}

describe.skipIf(!reachable)('NatsControlPlane', () => {
  describeControlPlaneContract('nats', natsHarness);

  it('reports an order the server refused', async () => {
    const cluster = uniqueCluster();
    const server = await connection();
    const subscription = server.subscribe(controlSubject(cluster, 'odd-1'), {
      callback: (_error, message) => {
        message.respond(JSON.stringify({ ok: false, error: 'unknown order' }));
      },
    });
    cleanups.push(async () => subscription.unsubscribe());
    await server.flush();
    const { plane: control } = await plane(cluster);
    const failure = await control.order('odd-1', { order: 'kill' }, 2_000).catch((e) => e);
    expect(failure).toBeInstanceOf(RemoteError);
    expect(String(failure)).toMatch(/unknown order/);
  });

  it('carries a handler failure without a code as AdminCommandFailed', async () => {
    const cluster = uniqueCluster();
    const { plane: first } = await plane(cluster);
    const { plane: second } = await plane(cluster);
    await first.serve('master-1', async () => {
      throw new Error('plain failure');
    });
    await expect(second.request('master-1', 'boom', 2_000)).rejects.toMatchObject({
      code: ErrorCode.AdminCommandFailed,
      message: 'plain failure',
    });
  });

  it('says why nobody answered: nobody under that id, or not within the timeout', async () => {
    const cluster = uniqueCluster();
    const { plane: first } = await plane(cluster);
    const { plane: second } = await plane(cluster);
    const nobody = await second.order('chat-server-9', { order: 'kill' }, 5_000).catch((e) => e);
    expect(nobody).toBeInstanceOf(ServerUnavailable);
    expect(String(nobody)).toMatch(/nobody answers/);
    let answer: (value: null) => void = () => {};
    await first.serve('slow-1', () => new Promise((resolve) => (answer = resolve)));
    const late = await second.request('slow-1', null, 200).catch((e) => e);
    answer(null);
    expect(late).toBeInstanceOf(ServerUnavailable);
    expect(String(late)).toMatch(/no answer within 200 ms/);
  });

  it('close() gives the connection it obtained back, and refuses calls from then on', async () => {
    const cluster = uniqueCluster();
    cleanups.push(async () => {
      const admin = await connect({ servers: NATS_URL });
      await (await new Kvm(admin).open(leaderBucket(cluster))).destroy().catch(() => {});
      await admin.close();
    });
    const { plane: control, released } = await plane(cluster);
    const { plane: unused, released: releasedUnused } = await plane(cluster);
    await control.campaign({ id: 'master-1' }, () => {});
    await control.close();
    await control.close();
    expect(released()).toBe(1);
    await unused.close();
    expect(releasedUnused()).toBe(0);
    await expect(control.order('x', { order: 'kill' }, 100)).rejects.toMatchObject({
      code: ErrorCode.MasterState,
    });
    await expect(control.campaign({ id: 'master-1' }, () => {})).rejects.toMatchObject({
      code: ErrorCode.MasterState,
    });
  });

  it('refuses ids that cannot name a subject', async () => {
    const { plane: control } = await plane(uniqueCluster());
    await expect(control.order('a b', { order: 'kill' }, 100)).rejects.toThrow(/cannot name a NATS subject/);
    await expect(control.request('x.*', null, 100)).rejects.toThrow(/cannot name a NATS subject/);
  });
});
