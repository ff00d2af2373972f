// The cluster-app fixture's `Remotes` augmentation (fixtures/cluster-app/remotes.d.ts) types
// `app.rpc` of the public `shaddock` package: right calls have the remote's argument and result
// types, wrong ones are compile errors.
import type { Application, RemoteError } from 'shaddock';
import { describe, expectTypeOf, it } from 'vitest';
import type { EchoReply, SlowReply } from './fixtures/cluster-app/remotes.js';

declare const app: Application;
const session = { uid: 'u1' };

describe('app.rpc typed by the cluster-app remotes', () => {
  it('types routed calls, toServer and broadcast from the remotes', () => {
    expectTypeOf(app.rpc.chat.chatRemote.echo(session, 'x')).toEqualTypeOf<Promise<EchoReply>>();
    expectTypeOf(app.rpc.chat.chatRemote.whoami(session)).toEqualTypeOf<Promise<string>>();
    expectTypeOf(app.rpc.chat.chatRemote.slow(session, 10)).toEqualTypeOf<Promise<SlowReply>>();
    expectTypeOf(app.rpc.chat.chatRemote.echo.toServer('chat-1')).toEqualTypeOf<
      (value: string) => Promise<EchoReply>
    >();
    expectTypeOf(app.rpc.chat.chatRemote.whoami.broadcast()).toEqualTypeOf<Promise<Record<string, string>>>();
    expectTypeOf(app.rpc.area.areaRemote.routeAll.toServer('area-1')).toEqualTypeOf<
      (uids: readonly string[]) => Promise<Record<string, string>>
    >();
    expectTypeOf<RemoteError['remoteCode']>().toEqualTypeOf<string | number | undefined>();
  });

  it('rejects wrong arguments and wrong uses of results', async () => {
    // @ts-expect-error echo takes a string
    void app.rpc.chat.chatRemote.echo(session, 42);
    // @ts-expect-error echo takes one argument after the route parameter
    void app.rpc.chat.chatRemote.echo(session);
    // @ts-expect-error the route parameter comes first: a bare string is the route parameter, the value is missing
    void app.rpc.chat.chatRemote.slow('chat-1');
    // @ts-expect-error toServer takes the arguments without the route parameter
    void app.rpc.chat.chatRemote.echo.toServer('chat-1')(session, 'x');
    // @ts-expect-error no such method
    void app.rpc.chat.chatRemote.shout(session, 'x');
    // @ts-expect-error no such remote
    void app.rpc.chat.roomRemote;
    // @ts-expect-error no such server type
    void app.rpc.gate;
    // @ts-expect-error echo answers an EchoReply, not a string
    const text: string = await app.rpc.chat.chatRemote.echo(session, 'x');
    // @ts-expect-error EchoReply has no such field
    void (await app.rpc.chat.chatRemote.echo(session, 'x')).sender;
    // @ts-expect-error the reply's value is a string
    (await app.rpc.chat.chatRemote.echo(session, 'x')).value.toFixed();
    // @ts-expect-error broadcast results are keyed by server id, each a string
    const all: Record<string, number> = await app.rpc.chat.chatRemote.whoami.broadcast();
    // @ts-expect-error the result is a Promise: no value without await
    void app.rpc.chat.chatRemote.echo(session, 'x').from;
    void text;
    void all;
  });
});
