import type { JsonObject } from '@shaddock/protocol';

/**
 * A description of a server's client-facing API, used only for types: which routes take
 * requests (with their request and response bodies) and which pushes arrive (with their
 * bodies). Handlers serve notifies too, so notify routes are the request routes unless the
 * description lists `notifies` of its own.
 *
 * @example
 * ```ts
 * interface ChatApi {
 *   requests: {
 *     'chat.chatHandler.send': { request: { content: string }; response: { code: number } };
 *   };
 *   pushes: { onChat: { from: string; content: string } };
 * }
 * const client = await connect<ChatApi>({ host, port });
 * const { code } = await client.request('chat.chatHandler.send', { content: 'hi' });
 * client.on('onChat', (message) => console.log(message.from));
 * ```
 */
export interface ClientApi {
  /** Route → `{ request, response }` body types. */
  readonly requests: object;
  /** Push route → body type. */
  readonly pushes: object;
}

/** The API a client has when none is described: any route, JSON object bodies. */
export interface AnyClientApi extends ClientApi {
  readonly requests: {
    readonly [route: string]: { readonly request: JsonObject; readonly response: JsonObject };
  };
  readonly pushes: { readonly [route: string]: JsonObject };
}

/** The routes `Api` accepts requests on. */
export type RequestRoute<Api extends ClientApi> = keyof Api['requests'] & string;

/** The request body of `Route`. */
export type RequestBody<
  Api extends ClientApi,
  Route extends RequestRoute<Api>,
> = Api['requests'][Route] extends {
  readonly request: infer Body;
}
  ? Body
  : never;

/** The response body of `Route`. */
export type ResponseBody<
  Api extends ClientApi,
  Route extends RequestRoute<Api>,
> = Api['requests'][Route] extends {
  readonly response: infer Body;
}
  ? Body
  : never;

type NotifyMap<Api extends ClientApi> = Api extends { readonly notifies: infer Notifies extends object }
  ? Notifies
  : { readonly [Route in RequestRoute<Api>]: RequestBody<Api, Route> };

/** The routes `Api` accepts notifies on: its `notifies` if it lists them, else its request routes. */
export type NotifyRoute<Api extends ClientApi> = keyof NotifyMap<Api> & string;

/** The notify body of `Route`. */
export type NotifyBody<Api extends ClientApi, Route extends NotifyRoute<Api>> = NotifyMap<Api>[Route];

/** The routes `Api` pushes on. */
export type PushRoute<Api extends ClientApi> = keyof Api['pushes'] & string;

/** The body of a push on `Route`. */
export type PushBody<Api extends ClientApi, Route extends PushRoute<Api>> = Api['pushes'][Route];
