// The attacker's side of attacks.test.ts, against the chat example's processes: raw RPC frames
// (the framing anyone can read in the source: a 4-byte length, then msgpack), a raw Pomelo client
// over TCP that sends any bytes as a body, a process's resident memory, and a real user logged in
// through the gate as the page does (who must notice nothing). The socket-level attacks shared
// with the framework's own security tests are in @shaddock/test-support.
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { type Client, connect } from '@shaddock/client';
import { decodePinusPackages, Message, Package, splitPackages } from '@shaddock/test-support';
import { FrameReader, FrameWriter } from 'shaddock/internal';
import type { ChatApi } from '../src/web/chat-api.js';
import { waitFor } from './chat-cluster.js';
import { enterAs, type Push } from './chat-user.js';

/** One frame of the RPC framing, `value` as msgpack. */
export function frame(value: unknown): Buffer {
  const writer = new FrameWriter();
  writer.frame((payload, message: unknown) => payload.value(message), value, undefined);
  return Buffer.concat(writer.take());
}

/** A plain TCP socket to an RPC port, what came back on it decoded, and when it closed. */
export interface RawLink {
  readonly socket: net.Socket;
  readonly frames: unknown[];
  /** Resolves once the server closed it, with the milliseconds since it connected. */
  readonly closed: Promise<number>;
}

/** Connects to `port` on 127.0.0.1 as anyone could: no secret, nothing said yet. */
export async function rawLink(port: number): Promise<RawLink> {
  const socket = net.connect({ host: '127.0.0.1', port });
  const frames: unknown[] = [];
  const reader = new FrameReader();
  socket.on('data', (chunk: Buffer) => {
    try {
      reader.push(chunk, (message) => {
        frames.push(message);
        return true;
      });
    } catch {
      frames.push('undecodable');
    }
  });
  socket.on('error', () => {});
  const openedAt = performance.now();
  const closed = new Promise<number>((resolve) =>
    socket.once('close', () => resolve(performance.now() - openedAt)),
  );
  await once(socket, 'connect');
  return { socket, frames, closed };
}

/** A process's resident memory in bytes (`VmRSS`), or 0 once it is gone. */
export function residentBytes(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** A decoded DATA message from the server. */
export interface ServerMessage {
  readonly id: number;
  readonly type: number;
  readonly body: unknown;
}

/**
 * A Pomelo client over raw TCP (pinus-protocol's codecs): it sends exactly the bytes it is given
 * as a body, and keeps what the server answers. No heartbeats, no reconnects.
 */
export class RawPomelo {
  readonly socket: net.Socket;
  readonly handshakes: unknown[] = [];
  readonly messages: ServerMessage[] = [];
  readonly kicked: unknown[] = [];
  readonly closed: Promise<void>;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('error', () => {});
    socket.on(
      'data',
      splitPackages((bytes) => {
        for (const pack of decodePinusPackages(bytes)) {
          const text = pack.body?.toString('utf8') ?? '';
          if (pack.type === Package.TYPE_HANDSHAKE) this.handshakes.push(JSON.parse(text));
          else if (pack.type === Package.TYPE_KICK) this.kicked.push(text);
          else if (pack.type === Package.TYPE_DATA && pack.body) {
            const message = Message.decode(pack.body);
            this.messages.push({
              id: message.id,
              type: message.type,
              body: JSON.parse(message.body.toString()),
            });
          }
        }
      }),
    );
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
  }

  static async open(port: number): Promise<RawPomelo> {
    const socket = net.connect({ host: '127.0.0.1', port });
    await once(socket, 'connect');
    return new RawPomelo(socket);
  }

  /** Sends `request` as the handshake and resolves with the server's answer. */
  async handshake(request: object): Promise<unknown> {
    this.socket.write(Package.encode(Package.TYPE_HANDSHAKE, Buffer.from(JSON.stringify(request))));
    return waitFor('the handshake answer', () => this.handshakes[0]);
  }

  /** A Pomelo client's handshake, then its ACK. */
  async open(): Promise<void> {
    const answer = (await this.handshake({ sys: { type: 'socket', version: '0.0.1' }, user: {} })) as {
      code: number;
    };
    if (answer.code !== 200) throw new Error(`handshake refused: ${JSON.stringify(answer)}`);
    this.socket.write(Package.encode(Package.TYPE_HANDSHAKE_ACK));
  }

  /** A request (`id` > 0) or notify (`id` 0) to `route` whose body is exactly `body`. */
  send(id: number, route: string, body: Uint8Array): void {
    const type = id === 0 ? Message.TYPE_NOTIFY : Message.TYPE_REQUEST;
    this.socket.write(Package.encode(Package.TYPE_DATA, Message.encode(id, type, false, route, body)));
  }

  /** The response to request `id`. */
  response(id: number): Promise<unknown> {
    return waitFor(`the response to request ${id}`, () =>
      this.messages.find((message) => message.id === id),
    ).then((message) => message.body);
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** A user in a room, through the gate as the page does, and every push it received. */
export interface ChatUser {
  readonly name: string;
  /** The client port of its connector. */
  readonly port: number;
  readonly client: Client<ChatApi>;
  readonly users: string[];
  readonly pushes: Push[];
  /** The reasons of the kicks it received. */
  readonly kicks: string[];
  /** Whether the connection is still open (a kick closes it). */
  open(): boolean;
}

/** Logs `name` in through the gate at `gatePort` and enters room `rid`; fails when refused. */
export async function enterRoom(gatePort: number, name: string, rid: string): Promise<ChatUser> {
  const gate = await connect<ChatApi>({ host: '127.0.0.1', port: gatePort });
  const entry = await gate.request('gate.gateHandler.queryEntry', { username: name });
  await gate.close();
  if (entry.code !== 200) throw new Error(`the gate refused ${name}: ${entry.message}`);
  const client = await connect<ChatApi>({ host: entry.host, port: entry.port });
  let open = true;
  const kicks: string[] = [];
  client.events.on('kick', ({ reason }) => kicks.push(reason));
  client.events.on('disconnected', () => {
    open = false;
  });
  const { users, pushes } = await enterAs(client, name, rid);
  return { name, port: entry.port, client, users, pushes, kicks, open: () => open };
}
