// Two ends of one NATS link connection wired through a host that may lose, repeat or forge a
// message on the way: what each end does with it, once the connection's MAC key is set.
import { recordingLogger } from 'shaddock/testing';
import { describe, expect, it } from 'vitest';
import { type ConnectionHost, NatsLinkConnection } from './rpc-link-connection.js';
import type { DropReason } from './rpc-link-drops.js';

/** A client end (id 1) and a server end (id 2), and every message that passed between them. */
function pair(key = 'k'.repeat(43)) {
  const sent: { subject: string; message: Uint8Array }[] = [];
  const dropped: DropReason[] = [];
  let lose = false;
  const ends = new Map<string, NatsLinkConnection>();
  const host: ConnectionHost = {
    maxPayload: () => 1024 * 1024,
    logger: recordingLogger().logger,
    publish: (subject, message) => {
      const copy = Uint8Array.from(message);
      sent.push({ subject, message: copy });
      if (!lose) ends.get(subject)?.receive(copy);
    },
    schedule: (connection) =>
      queueMicrotask(() => {
        connection.queued = false;
        connection.flush();
      }),
    forget: () => {},
    dropped: (reason) => void dropped.push(reason),
  };
  const client = new NatsLinkConnection(host, 1, 'chat-1');
  const server = new NatsLinkConnection(host, 2, 'connector-1');
  ends.set('to-client', client);
  ends.set('to-server', server);
  client.open('to-server', 2);
  server.open('to-client', 1);
  client.secure(key, 'client');
  server.secure(key, 'server');
  const received: string[] = [];
  server.attach({
    onPayload: (source, start, end) => void received.push(source.toString('utf8', start + 1, end)),
  });
  client.attach({ onPayload: () => {} });
  return {
    client,
    server,
    sent,
    dropped,
    received,
    losing: (value: boolean) => {
      lose = value;
    },
  };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('a NATS link connection with its MAC key', () => {
  it('carries messages, and drops a replayed one and a forged one without closing', async () => {
    const { client, server, sent, dropped, received } = pair();
    client.send('a');
    await tick();
    client.send('b');
    await tick();
    expect(received).toEqual(['a', 'b']);
    server.receive(sent[0]!.message);
    const forged = Uint8Array.from(sent[1]!.message);
    forged[forged.length - 1] = (forged.at(-1) ?? 0) ^ 1;
    forged[5] = 0;
    forged[8] = 2;
    server.receive(forged);
    expect(dropped).toEqual(['forged', 'forged']);
    expect(server.gone).toBe(false);
    client.send('c');
    await tick();
    expect(received).toEqual(['a', 'b', 'c']);
  });

  it('refuses messages under another key', async () => {
    const honest = pair('k'.repeat(43));
    const other = pair('o'.repeat(43));
    other.client.send('evil');
    await tick();
    honest.server.receive(other.sent[0]!.message);
    expect(honest.dropped).toEqual(['forged']);
    expect(honest.received).toEqual([]);
  });

  it('closes on a real gap: a message NATS lost', async () => {
    const { client, server, received, losing } = pair();
    losing(true);
    client.send('lost');
    await tick();
    losing(false);
    client.send('after');
    await tick();
    expect(received).toEqual([]);
    expect(server.gone).toBe(true);
    expect(await server.closed).toMatchObject({ message: /were lost on the way/ });
  });
});
