// Attacks on a cluster's NATS subjects, by a client of the same NATS that does not know the cluster
// secret (127.0.0.1:4222, or SHADDOCK_TEST_NATS_URL): forged and replayed orders on a server's
// control subject, forged and replayed requests between masters, and RPC connections opened
// without the secret or with a recorded opening. Each is refused with nothing run, and logged.
import { randomBytes } from 'node:crypto';
import { connect, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { natsUnavailable, TEST_NATS_URL } from '@shaddock/test-support';
import { Packr } from 'msgpackr';
import { LocalMembership, ServerUnavailable } from 'shaddock';
import { RemoteRegistry, RpcClient, RpcServer } from 'shaddock/internal';
import { recordingLogger, waitUntil } from 'shaddock/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { takeOrders } from './membership-orders.js';
import { RepeatedLog } from './membership-repeats.js';
import { NatsControlPlane } from './nats-control-plane.js';
import { NatsRpcLink } from './nats-rpc-link.js';
import { HEADER_LENGTH, MessageKind, writeHeader } from './rpc-link-wire.js';
import { SignedPurpose, signRequest } from './signed-requests.js';
import { controlSubject, masterSubject } from './subjects.js';

const NATS_URL = TEST_NATS_URL;
const SECRET = 'the-cluster-secret-of-this-test-0123456789';
const WRONG = 'another-cluster-secret-entirely-0123456789';

const available = (await natsUnavailable('the NATS security tests')) === undefined;

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

let clusters = 0;
function uniqueCluster(): string {
  return `sec-${process.pid}-${Date.now().toString(36)}-${++clusters}`;
}

async function natsConnection(): Promise<NatsConnection> {
  const nc = await connect({ servers: NATS_URL });
  cleanups.push(() => (nc.isClosed() ? undefined : nc.close()));
  return nc;
}

const msgpack = new Packr({ useRecords: false, moreTypes: false });

/** One length-prefixed frame, as the links carry them. */
function encodeFrame(message: unknown): Uint8Array {
  const payload = msgpack.pack(message);
  const frame = Buffer.alloc(4 + payload.length);
  frame.writeUInt32BE(payload.length);
  payload.copy(frame, 4);
  return frame;
}

/** A server taking orders on its control subject with the cluster secret, and what it did. */
async function orderTaker(cluster: string, serverId: string) {
  const log = recordingLogger('info');
  const stops: number[] = [];
  const kills: number[] = [];
  const nc = await natsConnection();
  const subject = controlSubject(cluster, serverId);
  const subscription = takeOrders({
    connection: nc,
    subject,
    orders: { stop: async (deadlineMs) => void stops.push(deadlineMs) },
    logger: log.logger,
    repeats: new RepeatedLog(log.logger),
    exit: (code) => void kills.push(code),
    secret: SECRET,
  });
  cleanups.push(() => subscription.unsubscribe());
  await nc.flush();
  return { subject, stops, kills, log };
}

describe.skipIf(!available)('orders and requests on NATS subjects', () => {
  it('refuses a forged order (no proof, another secret) and logs it, once per reason', async () => {
    const cluster = uniqueCluster();
    const server = await orderTaker(cluster, 'chat-1');
    const attacker = await natsConnection();
    const answers: unknown[] = [];
    for (const body of [
      JSON.stringify({ order: 'stop' }),
      JSON.stringify({ order: 'kill' }),
      msgpack.pack({ order: 'kill' }),
      JSON.stringify(
        signRequest(WRONG, SignedPurpose.Order, server.subject, JSON.stringify({ order: 'kill' })),
      ),
      JSON.stringify(
        signRequest(undefined, SignedPurpose.Order, server.subject, JSON.stringify({ order: 'kill' })),
      ),
    ]) {
      const reply = await attacker.request(server.subject, body, { timeout: 2_000 });
      answers.push(reply.data[0] === 0x7b ? reply.json() : msgpack.unpack(reply.data));
    }
    expect(answers).toEqual([
      { ok: false, error: 'refused: unsigned' },
      { ok: false, error: 'refused: unsigned' },
      { ok: false, error: 'refused: unsigned' },
      { ok: false, error: 'refused: wrong proof' },
      { ok: false, error: 'refused: wrong proof' },
    ]);
    expect(server.stops).toEqual([]);
    expect(server.kills).toEqual([]);
    const refusals = server.log.lines().filter((line) => /^refused an order/.test(String(line['msg'])));
    expect(refusals.map((line) => line['reason'])).toEqual(['unsigned', 'wrong proof']);
  });

  it('refuses a recorded order replayed to its server, and to another', async () => {
    const cluster = uniqueCluster();
    const first = await orderTaker(cluster, 'chat-1');
    const second = await orderTaker(cluster, 'chat-2');
    // a spy on the control subjects records what the control plane sends
    const spy = await natsConnection();
    const recorded: Msg[] = [];
    spy.subscribe(`shaddock.${cluster}.control.>`, { callback: (_error, msg) => void recorded.push(msg) });
    await spy.flush();
    const plane = new NatsControlPlane({
      cluster,
      connection: natsConnection,
      logger: recordingLogger().logger,
      secret: SECRET,
    });
    cleanups.push(() => plane.close());
    await plane.order('chat-1', { order: 'stop', deadlineMs: 1_234 }, 2_000);
    await waitUntil(
      () => first.stops.length === 1 && recorded.length === 1,
      2_000,
      'the order is carried out',
    );

    const bytes = recorded[0]!.data;
    const again = await spy.request(first.subject, bytes, { timeout: 2_000 });
    expect(again.json()).toEqual({ ok: false, error: 'refused: replayed' });
    const elsewhere = await spy.request(second.subject, bytes, { timeout: 2_000 });
    expect(elsewhere.json()).toEqual({ ok: false, error: 'refused: wrong proof' });
    expect(first.stops).toEqual([1_234]);
    expect(second.stops).toEqual([]);
    expect(first.log.lines().some((line) => line['reason'] === 'replayed')).toBe(true);

    // the control plane's next order is new: it passes
    await plane.order('chat-1', { order: 'kill' }, 2_000);
    await waitUntil(() => first.kills.length === 1, 2_000, 'the second order is carried out');
  });

  it('refuses forged and replayed requests between masters; the handler runs for the real one only', async () => {
    const cluster = uniqueCluster();
    const log = recordingLogger('info');
    const master = new NatsControlPlane({
      cluster,
      connection: natsConnection,
      logger: log.logger,
      secret: SECRET,
    });
    const other = new NatsControlPlane({
      cluster,
      connection: natsConnection,
      logger: recordingLogger().logger,
      secret: SECRET,
    });
    cleanups.push(
      () => master.close(),
      () => other.close(),
    );
    const handled: unknown[] = [];
    await master.serve('master-1', async (request) => {
      handled.push(request);
      return 'done';
    });
    const spy = await natsConnection();
    const subject = masterSubject(cluster, 'master-1');
    const recorded: Msg[] = [];
    spy.subscribe(subject, { callback: (_error, msg) => void recorded.push(msg) });
    await spy.flush();

    expect(await other.request('master-1', { command: 'list' }, 2_000)).toBe('done');
    await waitUntil(() => recorded.length === 1, 2_000, 'the request is recorded');
    const forged = await spy.request(subject, JSON.stringify({ command: 'kill' }), { timeout: 2_000 });
    expect(forged.json()).toMatchObject({ ok: false, message: 'refused: unsigned' });
    const replayed = await spy.request(subject, recorded[0]!.data, { timeout: 2_000 });
    expect(replayed.json()).toMatchObject({ ok: false, message: 'refused: replayed' });
    const wrong = new NatsControlPlane({
      cluster,
      connection: natsConnection,
      logger: log.logger,
      secret: WRONG,
    });
    cleanups.push(() => wrong.close());
    await expect(wrong.request('master-1', { command: 'kill' }, 2_000)).rejects.toThrow(
      /refused: wrong proof/,
    );
    expect(handled).toEqual([{ command: 'list' }]);
    const reasons = log.lines().filter((line) => /^refused a request/.test(String(line['msg'])));
    expect(reasons.map((line) => line['reason']).sort()).toEqual(['replayed', 'unsigned', 'wrong proof']);
  });
});

/** An RPC server over the NATS link whose `mark` remote records each run, and a client with the secret. */
async function natsRpc(cluster: string) {
  const serverLog = recordingLogger('info');
  const serverLink = new NatsRpcLink({
    cluster,
    connection: natsConnection,
    name: 'chat-1',
    logger: serverLog.logger,
  });
  const clientLink = new NatsRpcLink({
    cluster,
    connection: natsConnection,
    name: 'connector-1',
    logger: recordingLogger().logger,
  });
  cleanups.push(
    () => serverLink.close(),
    () => clientLink.close(),
  );
  const marks: unknown[] = [];
  const remotes = new RemoteRegistry();
  remotes.registerRemote('chat', 'chatRemote', {
    mark: (tag: unknown) => marks.push(tag),
  });
  const server = new RpcServer({
    host: '',
    port: 0,
    serverId: 'chat-1',
    remotes,
    link: serverLink,
    secret: SECRET,
    logger: serverLog.logger,
  });
  await server.start();
  cleanups.push(() => server.stop(0));
  const membership = new LocalMembership([
    { id: 'chat-1', serverType: 'chat', host: '', port: 0, frontend: false },
  ]);
  const client = (secret: string) => {
    const made = new RpcClient({
      serverId: 'connector-1',
      membership,
      link: clientLink,
      secret,
      timeout: 3_000,
    });
    cleanups.push(() => made.close());
    return made;
  };
  return { serverLink, clientLink, marks, serverLog, client };
}

const mark = { namespace: 'user', serverType: 'chat', remote: 'chatRemote', method: 'mark' } as const;

/** A data message of the link: header, then frames. */
function dataMessage(
  kind: number,
  id: number,
  sequence: number,
  body: Uint8Array = new Uint8Array(0),
): Uint8Array {
  const message = new Uint8Array(HEADER_LENGTH + body.length);
  message.set(body, HEADER_LENGTH);
  writeHeader(message, kind as MessageKind, id, sequence);
  return message;
}

describe.skipIf(!available)('RPC connections over NATS', () => {
  it('runs nothing for a connection opened without the secret, whatever its first message', async () => {
    const cluster = uniqueCluster();
    const rpc = await natsRpc(cluster);
    expect(await rpc.client(SECRET).invoke('chat-1', mark, ['legit'])).toBe(1);

    const attacker = await natsConnection();
    const inbox = `shaddock.${cluster}.rpc.caller.evil`;
    const received: Uint8Array[] = [];
    attacker.subscribe(inbox, { callback: (_error, msg) => void received.push(msg.data) });
    const call = encodeFrame([1, 'user', 'chat', 'chatRemote', 'mark', ['forged']]);
    const firstMessages = [
      // calls straight away
      (id: number) => dataMessage(MessageKind.Data, id, 0, call),
      // an Opened with a proof it cannot make
      (id: number) => dataMessage(MessageKind.Opened, id, 0, randomBytes(32)),
    ];
    for (const first of firstMessages) {
      const open = msgpack.pack({
        subject: inbox,
        id: 7,
        from: 'evil',
        confirmWithin: 5_000,
        nonce: randomBytes(32),
      });
      const reply = msgpack.unpack(
        (await attacker.request(`shaddock.${cluster}.rpc.chat-1.open`, open, { timeout: 2_000 })).data,
      ) as { subject: string; id: number };
      attacker.publish(reply.subject, first(reply.id));
      attacker.publish(reply.subject, dataMessage(MessageKind.Data, reply.id, 1, call));
      await attacker.flush();
    }
    await waitUntil(
      () => rpc.serverLog.lines().filter((line) => /^refused an RPC/.test(String(line['msg']))).length === 2,
      2_000,
      'both connections are refused',
    );
    // the server sent nothing, not even a Close, to the subject a peer named before it proved itself
    expect(received).toEqual([]);
    expect(rpc.serverLink.connectionCount).toBe(1);

    // Shaddock's own client with another secret: its connection fails, nothing runs
    await expect(rpc.client(WRONG).invoke('chat-1', mark, ['wrong'])).rejects.toBeInstanceOf(
      ServerUnavailable,
    );
    expect(await rpc.client(SECRET).invoke('chat-1', mark, ['legit again'])).toBe(2);
    expect(rpc.marks).toEqual(['legit', 'legit again']);
    const refused = rpc.serverLog
      .lines()
      .filter((line) => /^refused an RPC connection/.test(String(line['msg'])));
    expect(refused.map((line) => line['reason']).sort()).toEqual([
      'first frame is not a handshake answer',
      'wrong proof',
    ]);
  });

  it('runs nothing injected into a live connection by whoever sees its subjects: forged or replayed', async () => {
    const cluster = uniqueCluster();
    const rpc = await natsRpc(cluster);
    const spy = await natsConnection();
    const toServer: Msg[] = [];
    spy.subscribe(`shaddock.${cluster}.rpc.chat-1.*`, {
      callback: (_error, msg) => {
        if (!msg.subject.endsWith('.open')) toServer.push(msg);
      },
    });
    await spy.flush();
    const legit = rpc.client(SECRET);
    expect(await legit.invoke('chat-1', mark, ['once'])).toBe(1);
    await waitUntil(() => toServer.length >= 2, 2_000, 'the call is recorded');
    const call = toServer.find((msg) => msg.data[0] === MessageKind.Data)!;
    const id = new DataView(call.data.buffer, call.data.byteOffset).getUint32(1);
    const sequence = new DataView(call.data.buffer, call.data.byteOffset).getUint32(5);

    // the recorded call again (its MAC is right, its sequence old), and a call of its own at the next
    // sequence (its MAC made up)
    spy.publish(call.subject, call.data);
    const forged = dataMessage(
      MessageKind.Data,
      id,
      sequence + 1,
      encodeFrame([2, 'user', 'chat', 'chatRemote', 'mark', ['forged']]),
    );
    spy.publish(call.subject, forged);
    await spy.flush();
    await waitUntil(() => rpc.serverLink.droppedMessages >= 2, 2_000, 'both are dropped');
    expect(rpc.marks).toEqual(['once']);
    // the connection was neither run nor closed by them
    expect(await legit.invoke('chat-1', mark, ['twice'])).toBe(2);
    expect(rpc.marks).toEqual(['once', 'twice']);
    expect(rpc.serverLink.connectionCount).toBe(1);
  });

  it('opens nothing with a recorded opening replayed: the server nonce is new', async () => {
    const cluster = uniqueCluster();
    const rpc = await natsRpc(cluster);
    const spy = await natsConnection();
    const opens: Msg[] = [];
    const toServer: Uint8Array[] = [];
    spy.subscribe(`shaddock.${cluster}.rpc.chat-1.>`, {
      callback: (_error, msg) => {
        if (msg.subject.endsWith('.open')) opens.push(msg);
        else toServer.push(msg.data);
      },
    });
    await spy.flush();
    const legit = rpc.client(SECRET);
    expect(await legit.invoke('chat-1', mark, ['recorded'])).toBe(1);
    await waitUntil(() => opens.length === 1 && toServer.length >= 2, 2_000, 'the opening is recorded');
    const dropped = rpc.clientLink.droppedMessages;

    // the recorded open request again, then the recorded Opened and call, aimed at the new connection
    const reply = msgpack.unpack(
      (await spy.request(opens[0]!.subject, opens[0]!.data, { timeout: 2_000 })).data,
    ) as { subject: string; id: number };
    for (const recorded of toServer) {
      const replayed = Uint8Array.from(recorded);
      writeHeader(replayed, replayed[0] as MessageKind, reply.id, new DataView(replayed.buffer).getUint32(5));
      spy.publish(reply.subject, replayed);
    }
    await spy.flush();
    await waitUntil(
      () => rpc.serverLog.lines().some((line) => line['reason'] === 'wrong proof'),
      2_000,
      'the replayed opening is refused',
    );
    expect(rpc.marks).toEqual(['recorded']);
    // the real client's connection (whose subject and id the replayed open named) is untouched
    expect(await legit.invoke('chat-1', mark, ['after'])).toBe(2);
    expect(rpc.clientLink.connectionCount).toBe(1);
    expect(rpc.clientLink.droppedMessages).toBe(dropped);
  });
});
