// The NATS control plane against a real NATS (127.0.0.1:4222, or SHADDOCK_TEST_NATS_URL): orders
// reach a server's control subject as NatsMembership takes them, an order to nobody fails at once
// with ServerUnavailable, requests between masters carry answers and coded failures, and a campaign
// through the plane is given up on close().
import { Socket } from 'node:net';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { ErrorCode, RemoteError, ServerUnavailable, ShaddockError } from 'shaddock';
import { recordingLogger, waitUntil } from 'shaddock/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { takeOrders } from './membership-orders.js';
import { RepeatedLog } from './membership-repeats.js';
import { NatsControlPlane } from './nats-control-plane.js';
import { controlSubject, leaderBucket } from './subjects.js';

const NATS_URL = process.env['SHADDOCK_TEST_NATS_URL'] ?? 'nats://127.0.0.1:4222';
const reachable = await isListening(NATS_URL);
if (!reachable && process.env['CI'] !== 'true') {
  console.log(
    `[nats-control-plane.test] skipped: no NATS with JetStream at ${NATS_URL} (start nats-server -js)`,
  );
}
if (!reachable && process.env['CI'] === 'true') {
  it('has NATS to test against', () => {
    throw new Error(`no NATS with JetStream at ${NATS_URL}: CI must provide one`);
  });
}

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

describe.skipIf(!reachable)('NatsControlPlane', () => {
  it('carries stop and kill orders to the control subject a member takes them on', async () => {
    const cluster = uniqueCluster();
    const server = await connection();
    const stops: number[] = [];
    const exits: number[] = [];
    const subscription = takeOrders({
      connection: server,
      subject: controlSubject(cluster, 'chat-server-1'),
      orders: {
        stop: async (deadlineMs) => {
          stops.push(deadlineMs);
        },
      },
      logger: log.logger,
      repeats: new RepeatedLog(log.logger),
      exit: (code) => exits.push(code),
    });
    cleanups.push(async () => subscription.unsubscribe());
    await server.flush();
    const { plane: control } = await plane(cluster);
    await control.order('chat-server-1', { order: 'stop', deadlineMs: 1_234 }, 2_000);
    await waitUntil(() => stops.length === 1, 2_000, 'the server stops');
    expect(stops).toEqual([1_234]);
    await control.order('chat-server-1', { order: 'kill' }, 2_000);
    await waitUntil(() => exits.length === 1, 2_000, 'the server exits');
    expect(exits).toEqual([1]);
  });

  it('rejects an order to a server nobody runs with ServerUnavailable at once', async () => {
    const { plane: control } = await plane(uniqueCluster());
    const startedAt = performance.now();
    const failure = await control
      .order('chat-server-9', { order: 'stop', deadlineMs: 10 }, 5_000)
      .catch((e) => e);
    expect(failure).toBeInstanceOf(ServerUnavailable);
    expect((failure as ServerUnavailable).serverId).toBe('chat-server-9');
    expect(String(failure)).toMatch(/nobody answers/);
    expect(performance.now() - startedAt).toBeLessThan(1_000);
  });

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

  it('serves requests between masters: answers, coded failures, nobody, stopped serving', async () => {
    const cluster = uniqueCluster();
    const { plane: first } = await plane(cluster);
    const { plane: second } = await plane(cluster);
    const stopServing = await first.serve('master-1', async (request) => {
      if (request === 'fail') throw new ShaddockError(ErrorCode.MasterState, 'not the leader');
      if (request === 'boom') throw new Error('plain failure');
      return { echo: request };
    });
    await expect(second.request('master-1', { n: 1 }, 2_000)).resolves.toEqual({ echo: { n: 1 } });
    const coded = await second.request('master-1', 'fail', 2_000).catch((e) => e);
    expect(coded).toBeInstanceOf(ShaddockError);
    expect(coded).toMatchObject({ code: ErrorCode.MasterState, message: 'not the leader' });
    await expect(second.request('master-1', 'boom', 2_000)).rejects.toMatchObject({
      code: ErrorCode.AdminCommandFailed,
      message: 'plain failure',
    });
    await expect(second.request('master-2', 'x', 2_000)).rejects.toBeInstanceOf(ServerUnavailable);
    await stopServing();
    await expect(second.request('master-1', 'x', 2_000)).rejects.toBeInstanceOf(ServerUnavailable);
  });

  it('times out a request nobody answers in time', async () => {
    const cluster = uniqueCluster();
    const { plane: first } = await plane(cluster);
    const { plane: second } = await plane(cluster);
    await first.serve('slow-1', () => new Promise((resolve) => setTimeout(() => resolve(null), 2_000)));
    const failure = await second.request('slow-1', null, 200).catch((e) => e);
    expect(failure).toBeInstanceOf(ServerUnavailable);
    expect(String(failure)).toMatch(/no answer within 200 ms/);
  });

  it('campaigns through the plane; close() resigns (the standby leads at once) and gives the connection back', async () => {
    const cluster = uniqueCluster();
    cleanups.push(async () => {
      const admin = await connect({ servers: NATS_URL });
      await (await new Kvm(admin).open(leaderBucket(cluster))).destroy().catch(() => {});
      await admin.close();
    });
    const { plane: first, released } = await plane(cluster);
    const { plane: second } = await plane(cluster);
    const seen: (string | undefined)[] = [];
    const leading = await first.campaign({ id: 'master-1' }, () => {});
    const standby = await second.campaign({ id: 'master-2' }, (leader) => seen.push(leader?.id));
    expect(leading.isLeader()).toBe(true);
    expect(standby.leader()?.id).toBe('master-1');
    await first.close();
    expect(released()).toBe(1);
    await waitUntil(() => standby.isLeader(), 1_000, 'the standby leads');
    // between the two: no leader, for the moment the deletion is seen
    expect(seen.filter((id) => id !== undefined)).toEqual(['master-1', 'master-2']);
    await expect(first.order('x', { order: 'kill' }, 100)).rejects.toMatchObject({
      code: ErrorCode.MasterState,
    });
  });

  it('refuses ids that cannot name a subject', async () => {
    const { plane: control } = await plane(uniqueCluster());
    await expect(control.order('a b', { order: 'kill' }, 100)).rejects.toThrow(/cannot name a NATS subject/);
    await expect(control.request('x.*', null, 100)).rejects.toThrow(/cannot name a NATS subject/);
  });
});

async function isListening(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (result: boolean): void => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('error', () => done(false));
    socket.connect(Number(port) || 4222, hostname, () => done(true));
  });
}
