import { describe, expectTypeOf, it } from 'vitest';
import type { RpcProxy } from './index.js';

class ChatRemote {
  async add(uid: string, room: string): Promise<string[]> {
    return [uid, room];
  }
  kick(uid: string, reason?: string): boolean {
    return uid !== reason;
  }
  readonly rooms = new Map<string, string[]>();
}

interface Session {
  uid: string;
}

/** A remote as a factory (Pomelo's `module.exports = (app) => …`), a class, and a plain object. */
interface TestRemotes {
  chat: {
    chatRemote: typeof ChatRemote;
    factoryRemote: (app: { name: string }) => { count(room: string): Promise<number> };
  };
  area: { areaRemote: { move(x: number, y: number): Promise<{ x: number; y: number }> } };
}

declare const rpc: RpcProxy<TestRemotes>;
declare const session: Session;

describe('RpcProxy types', () => {
  it('types arguments and results from the remote', async () => {
    expectTypeOf(rpc.chat.chatRemote.add(session, 'u1', 'room')).toEqualTypeOf<Promise<string[]>>();
    expectTypeOf(rpc.chat.chatRemote.kick(session, 'u1')).toEqualTypeOf<Promise<boolean>>();
    expectTypeOf(rpc.chat.factoryRemote.count(session, 'room')).toEqualTypeOf<Promise<number>>();
    expectTypeOf(rpc.area.areaRemote.move(session, 1, 2)).resolves.toEqualTypeOf<{ x: number; y: number }>();
    const users: string[] = await rpc.chat.chatRemote.add(session, 'u1', 'room');
    expectTypeOf(users).toEqualTypeOf<string[]>();
  });

  it('types toServer and broadcast', () => {
    expectTypeOf(rpc.chat.chatRemote.add.toServer('chat-1')).toEqualTypeOf<
      (uid: string, room: string) => Promise<string[]>
    >();
    expectTypeOf(rpc.chat.chatRemote.add.broadcast('u1', 'room')).toEqualTypeOf<
      Promise<Record<string, string[]>>
    >();
  });

  it('rejects wrong calls at compile time', async () => {
    // @ts-expect-error wrong argument type
    void rpc.chat.chatRemote.add(session, 42, 'room');
    // @ts-expect-error too few arguments
    void rpc.chat.chatRemote.add(session, 'u1');
    // @ts-expect-error too many arguments
    void rpc.chat.chatRemote.add(session, 'u1', 'room', 'extra');
    // @ts-expect-error the route parameter is required
    void rpc.chat.chatRemote.kick();
    // @ts-expect-error unknown method
    void rpc.chat.chatRemote.remove(session, 'u1');
    // @ts-expect-error a data field is not a method
    void rpc.chat.chatRemote.rooms;
    // @ts-expect-error unknown remote
    void rpc.chat.nopeRemote;
    // @ts-expect-error unknown server type
    void rpc.battle;
    // @ts-expect-error the result is a string[], not a number
    const count: number = await rpc.chat.chatRemote.add(session, 'u1', 'room');
    // @ts-expect-error toServer takes the arguments without the route parameter
    void rpc.chat.chatRemote.add.toServer('chat-1')(session, 'u1', 'room');
    // @ts-expect-error broadcast results are keyed by server id, each a string[]
    const all: Record<string, number> = await rpc.chat.chatRemote.add.broadcast('u1', 'room');
    // @ts-expect-error the remote returns a Promise: its value is not there without await
    rpc.chat.chatRemote.add(session, 'u1', 'room').push('x');
    void count;
    void all;
  });
});
