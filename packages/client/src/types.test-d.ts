import { describe, expectTypeOf, it } from 'vitest';
import {
  type Client,
  type ClientError,
  connect,
  type Endpoint,
  type EndpointFailure,
  fromGate,
  fromList,
  type JsonObject,
  type Resolver,
} from './index.js';

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

  it('types the resolve option: a function, fromList or fromGate, instead of host and port', () => {
    expectTypeOf(connect<ChatApi>({ resolve: fromList([{ host: 'h', port: 1 }]) })).resolves.toEqualTypeOf<
      Client<ChatApi>
    >();
    void connect({
      resolve: fromGate({ host: 'gate', port: 3014, body: { username: 'a' } }),
      reconnect: true,
    });
    void connect({
      transport: 'tcp',
      resolve: async ({ attempt, failed, signal }) => {
        expectTypeOf(attempt).toBeNumber();
        expectTypeOf(failed).toEqualTypeOf<readonly EndpointFailure[]>();
        expectTypeOf(failed[0]?.error).toEqualTypeOf<ClientError | undefined>();
        expectTypeOf(signal).toEqualTypeOf<AbortSignal>();
        return [
          { host: 'a', port: 1 },
          { host: 'b', port: 2 },
        ];
      },
    });
    void connect({ resolve: () => ({ host: 'a', port: 1 }) });
    // @ts-expect-error: host and port, or resolve, not both
    void connect({ host: 'h', port: 1, resolve: () => ({ host: 'a', port: 1 }) });
    // @ts-expect-error: neither host and port nor resolve
    void connect({ transport: 'ws' });
    // @ts-expect-error: a resolver answers endpoints
    void connect({ resolve: () => 'h:1' });
    // @ts-expect-error: an endpoint's port is a number
    void connect({ resolve: async () => ({ host: 'a', port: '1' }) });
    // @ts-expect-error: fromList takes endpoints
    fromList(['h:1']);
    fromGate({
      host: 'gate',
      port: 3014,
      transport: 'tcp',
      route: 'gate.gateHandler.queryEntry',
      retry: { maxAttempts: 5 },
      body: ({ failed }) => ({ avoid: failed.map(({ endpoint }) => `${endpoint.host}:${endpoint.port}`) }),
    });
    // @ts-expect-error: a gate body is a JSON object
    fromGate({ host: 'gate', port: 3014, body: { when: new Date() } });
    // @ts-expect-error: a gate query does not reconnect
    fromGate({ host: 'gate', port: 3014, reconnect: true });
    expectTypeOf(fromList([{ host: 'h', port: 1 }])).toEqualTypeOf<Resolver>();
  });

  it('types where a client is connected, and why a candidate failed', () => {
    expectTypeOf(client.endpoint).toEqualTypeOf<Endpoint | undefined>();
    client.events.on('connected', ({ endpoint }) => expectTypeOf(endpoint).toEqualTypeOf<Endpoint>());
    client.events.on('endpoint-failed', ({ attempt, endpoint, error }) => {
      expectTypeOf(attempt).toBeNumber();
      expectTypeOf(endpoint).toEqualTypeOf<Endpoint>();
      expectTypeOf(error).toEqualTypeOf<ClientError>();
    });
    client.events.on('resolve-failed', ({ error }) => expectTypeOf(error).toEqualTypeOf<ClientError>());
  });
});
