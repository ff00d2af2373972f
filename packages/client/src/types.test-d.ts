import { describe, expectTypeOf, it } from 'vitest';
import { type Client, type ClientError, connect, type JsonObject } from './index.js';

interface ChatApi {
  requests: {
    'connector.entryHandler.enter': {
      request: { username: string };
      response: { code: number; users?: string[] };
    };
    'chat.chatHandler.send': { request: { content: string; target: string }; response: { code: number } };
  };
  pushes: {
    onChat: { from: string; msg: string };
    onAdd: { user: string };
  };
}

interface ApiWithNotifies extends ChatApi {
  notifies: { 'area.playerHandler.move': { x: number; y: number } };
}

declare const client: Client<ChatApi>;
declare const untyped: Client;

describe('Client<Api>', () => {
  it('types request bodies and responses by route', () => {
    expectTypeOf(client.request('chat.chatHandler.send', { content: 'hi', target: '*' })).toEqualTypeOf<
      Promise<{ code: number }>
    >();
    expectTypeOf(
      client.request('connector.entryHandler.enter', { username: 'a' }, { timeout: 500 }),
    ).resolves.toEqualTypeOf<{
      code: number;
      users?: string[];
    }>();
    // @ts-expect-error: an unknown route
    void client.request('chat.chatHandler.sned', { content: 'hi', target: '*' });
    // @ts-expect-error: a body field missing
    void client.request('chat.chatHandler.send', { content: 'hi' });
    // @ts-expect-error: a body field of the wrong type
    void client.request('connector.entryHandler.enter', { username: 42 });
    // @ts-expect-error: an unknown option
    void client.request('connector.entryHandler.enter', { username: 'a' }, { timeuot: 5 });
  });

  it('types push listeners by route', () => {
    client.on('onChat', (message) => {
      expectTypeOf(message).toEqualTypeOf<{ from: string; msg: string }>();
    });
    client.once('onAdd', (message) => expectTypeOf(message.user).toBeString());
    // @ts-expect-error: an unknown push route
    client.on('onChta', () => {});
    // @ts-expect-error: a listener expecting another push's body
    client.off('onAdd', (message: { from: string; msg: string }) => message);
  });

  it('takes notifies on request routes, or on the routes the API lists as notifies', () => {
    client.notify('chat.chatHandler.send', { content: 'hi', target: '*' });
    // @ts-expect-error: a notify body of the wrong shape
    client.notify('chat.chatHandler.send', { text: 'hi' });
    const withNotifies = {} as Client<ApiWithNotifies>;
    withNotifies.notify('area.playerHandler.move', { x: 1, y: 2 });
    // @ts-expect-error: with `notifies` listed, request routes are not notify routes
    withNotifies.notify('chat.chatHandler.send', { content: 'hi', target: '*' });
  });

  it('accepts any route with JSON object bodies when no API is described', () => {
    expectTypeOf(
      untyped.request('any.route.here', { a: [1, 'two', null] }),
    ).resolves.toEqualTypeOf<JsonObject>();
    untyped.on('onAnything', (body) => expectTypeOf(body).toEqualTypeOf<JsonObject>());
    // @ts-expect-error: a body must be a JSON object
    void untyped.request('any.route.here', 'text');
    // @ts-expect-error: a body must hold JSON values only
    void untyped.request('any.route.here', { when: new Date() });
  });

  it('types connect() and the lifecycle events', () => {
    expectTypeOf(connect<ChatApi>({ host: 'h', port: 1 })).resolves.toEqualTypeOf<Client<ChatApi>>();
    expectTypeOf(connect({ host: 'h', port: 1 })).resolves.toEqualTypeOf<Client>();
    client.events.on('kick', ({ reason }) => expectTypeOf(reason).toBeString());
    client.events.on('reconnecting', ({ attempt, delay }) => expectTypeOf(attempt + delay).toBeNumber());
    client.events.on('error', (error) => expectTypeOf(error).toEqualTypeOf<ClientError>());
    // @ts-expect-error: an unknown lifecycle event
    client.events.on('reconnect', () => {});
    // @ts-expect-error: an unknown connect option
    void connect({ host: 'h', port: 1, transprot: 'tcp' });
    // @ts-expect-error: tcp or ws only
    void connect({ host: 'h', port: 1, transport: 'udp' });
  });
});
