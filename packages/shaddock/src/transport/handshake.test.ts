import { afterEach, describe, expect, it } from 'vitest';
import { connectFramed } from './connect.js';
import type { FramedSocket } from './framed-socket.js';
import { type HandshakeRefusal, RefusalReason } from './handshake.js';
import { type FramedListener, listenFramed } from './listen.js';

const SECRET = 'h'.repeat(40);
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A server `chat-1` that greets each authenticated peer at once, and what it refused. */
async function greeter(): Promise<{
  listener: FramedListener;
  refused: HandshakeRefusal[];
  accepted: number;
}> {
  const refused: HandshakeRefusal[] = [];
  const state = { accepted: 0 };
  const listener = await listenFramed({
    host: '127.0.0.1',
    port: 0,
    authenticate: {
      secret: SECRET,
      self: 'chat-1',
      purpose: 'test',
      onRefused: (refusal) => refused.push(refusal),
    },
    onConnection: (socket) => {
      state.accepted++;
      socket.send('hello');
      return { onMessage: (message) => socket.send(['echo', message]) };
    },
  });
  cleanups.push(() => listener.close());
  return {
    listener,
    refused,
    get accepted() {
      return state.accepted;
    },
  };
}

describe('the framed handshake', () => {
  it('hands the connection over once both ends proved the secret; frames wait until the caller has it', async () => {
    const server = await greeter();
    const received: unknown[] = [];
    let socket: FramedSocket | undefined;
    socket = await connectFramed({
      host: '127.0.0.1',
      port: server.listener.port,
      authenticate: { secret: SECRET, self: 'connector-1', peer: 'chat-1', purpose: 'test' },
      onMessage: (message) => {
        // the server's hello came with its welcome, in one chunk: still, the caller has the socket first
        expect(socket).toBeDefined();
        received.push(message);
      },
    });
    cleanups.push(() => socket?.destroy());
    socket.send('ping');
    await expect.poll(() => received).toEqual(['hello', ['echo', 'ping']]);
    expect(server.accepted).toBe(1);
    expect(server.refused).toEqual([]);
  });

  it('fails a client that reaches another server at the address, or under another purpose, or secret', async () => {
    const server = await greeter();
    for (const [peer, purpose, secret] of [
      ['chat-2', 'test', SECRET],
      ['chat-1', 'other', SECRET],
      ['chat-1', 'test', 'w'.repeat(40)],
    ] as const) {
      await expect(
        connectFramed({
          host: '127.0.0.1',
          port: server.listener.port,
          authenticate: { secret, self: 'connector-1', peer, purpose },
          onMessage: () => {},
        }),
      ).rejects.toThrow(/chat-|closed during the handshake/);
    }
    expect(server.accepted).toBe(0);
    await expect
      .poll(() => server.refused.map((refusal) => refusal.reason))
      .toEqual([RefusalReason.WrongProof, RefusalReason.WrongProof, RefusalReason.WrongProof]);
  });

  it('fails a client whose server sends no challenge', async () => {
    const plain = await listenFramed({
      host: '127.0.0.1',
      port: 0,
      onConnection: (socket) => {
        socket.send({ not: 'a challenge' });
        return { onMessage: () => {} };
      },
    });
    cleanups.push(() => plain.close());
    await expect(
      connectFramed({
        host: '127.0.0.1',
        port: plain.port,
        authenticate: { secret: SECRET, self: 'connector-1', peer: 'chat-1', purpose: 'test' },
        onMessage: () => {},
      }),
    ).rejects.toThrow(/chat-1 did not prove it belongs to the cluster: its first frame is not a challenge/);
  });
});
