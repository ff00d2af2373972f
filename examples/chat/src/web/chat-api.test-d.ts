import type { Client } from '@shaddock/client';
import { describe, expectTypeOf, it } from 'vitest';
import type { ChatFailure } from '../app/chat-protocol.js';
import type { ChatApi } from './chat-api.js';

declare const client: Client<ChatApi>;

describe('ChatApi, built from the handlers', () => {
  it('has every handler method as a route, with its body and its answer', () => {
    expectTypeOf<keyof ChatApi['requests']>().toEqualTypeOf<
      'gate.gateHandler.queryEntry' | 'connector.entryHandler.enter' | 'chat.chatHandler.send'
    >();
    expectTypeOf(client.request('gate.gateHandler.queryEntry', { username: 'ann' })).resolves.toEqualTypeOf<
      { code: 200; host: string; port: number } | ChatFailure
    >();
    expectTypeOf(
      client.request('gate.gateHandler.queryEntry', {
        username: 'ann',
        failed: [{ host: '127.0.0.1', port: 3051 }],
      }),
    ).resolves.toEqualTypeOf<{ code: 200; host: string; port: number } | ChatFailure>();
    expectTypeOf(
      client.request('connector.entryHandler.enter', { username: 'ann', rid: 'lobby' }),
    ).resolves.toEqualTypeOf<{ code: 200; users: string[] } | ChatFailure>();
    expectTypeOf(
      client.request('chat.chatHandler.send', { content: 'hi', target: '*' }),
    ).resolves.toEqualTypeOf<{ code: 200 } | ChatFailure>();
  });

  it('refuses a wrong route or body', () => {
    // @ts-expect-error: no such route
    void client.request('chat.chatHandler.sned', { content: 'hi', target: '*' });
    // @ts-expect-error: a handler that is not there
    void client.request('connector.chatHandler.send', { content: 'hi', target: '*' });
    // @ts-expect-error: `target` missing
    void client.request('chat.chatHandler.send', { content: 'hi' });
    // @ts-expect-error: `rid` of the wrong type
    void client.request('connector.entryHandler.enter', { username: 'ann', rid: 7 });
    // @ts-expect-error: the gate takes `username`, not Pomelo's `uid`
    void client.request('gate.gateHandler.queryEntry', { uid: 'ann' });
    // @ts-expect-error: failed connectors are `{ host, port }`, not `host:port`
    void client.request('gate.gateHandler.queryEntry', { username: 'ann', failed: ['127.0.0.1:3051'] });
  });

  it('narrows an answer by its code', async () => {
    const reply = await client.request('connector.entryHandler.enter', { username: 'ann', rid: 'lobby' });
    // @ts-expect-error: `users` is there only once the code says 200
    void reply.users;
    if (reply.code === 200) expectTypeOf(reply.users).toEqualTypeOf<string[]>();
    else expectTypeOf(reply.message).toBeString();
  });

  it('types the pushes', () => {
    client.on('onChat', (message) =>
      expectTypeOf(message).toEqualTypeOf<{ from: string; target: string; msg: string }>(),
    );
    client.on('onAdd', ({ user }) => expectTypeOf(user).toBeString());
    client.on('onLeave', ({ user }) => expectTypeOf(user).toBeString());
    // @ts-expect-error: no such push
    client.on('onKick', () => {});
    // @ts-expect-error: onAdd carries `user`, not `from`
    client.on('onAdd', ({ from }: { from: string }) => from);
  });
});
