import type { RpcNamespace, RpcTarget } from './protocol.js';

/**
 * The application's remotes, by server type and remote name, declared by the application with
 * module augmentation. Each entry is the remote file's default export type: an object, a class,
 * or a factory returning one.
 *
 * @example
 * declare module 'shaddock' {
 *   interface Remotes {
 *     chat: { chatRemote: typeof import('./app/servers/chat/remote/chatRemote.js').default };
 *   }
 * }
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled in by the application's module augmentation
export interface Remotes {}

/** The framework's own remotes (namespace `sys`), filled in by augmentation inside the framework. */
// biome-ignore lint/suspicious/noEmptyInterface: filled in by augmentation
export interface SystemRemotes {}

/** The remote object a remote file's default export describes: a class's instance, a factory's result, or itself. */
export type RemoteInstance<Exported> = Exported extends abstract new (
  ...args: never[]
) => infer Instance
  ? Instance
  : Exported extends (...args: never[]) => infer Made
    ? Awaited<Made>
    : Exported;

/**
 * One remote method as the caller sees it. The first argument is the route parameter (usually
 * the session): it picks the server and is not passed to the remote.
 */
export interface RpcMethodProxy<Args extends unknown[], Result> {
  (routeParam: unknown, ...args: Args): Promise<Result>;
  /** The same method on one named server, skipping the route. */
  toServer(serverId: string): (...args: Args) => Promise<Result>;
  /** The same method on every server of the type; the results by server id (rejects with the first failure). */
  broadcast(...args: Args): Promise<Record<string, Result>>;
}

type MethodProxy<Method> = Method extends (...args: infer Args) => infer Result
  ? RpcMethodProxy<Args, Awaited<Result>>
  : never;

/** The callable methods of a remote, as proxies. */
export type RemoteProxy<Remote> = {
  readonly [Name in keyof Remote as Remote[Name] extends (...args: never[]) => unknown
    ? Name & string
    : never]: MethodProxy<Remote[Name]>;
};

/** `app.rpc`: `rpc.<serverType>.<remote>.<method>(routeParam, ...args)`, typed from a remotes description. */
export type RpcProxy<Described> = {
  readonly [ServerType in keyof Described]: {
    readonly [Remote in keyof Described[ServerType]]: RemoteProxy<
      RemoteInstance<Described[ServerType][Remote]>
    >;
  };
};

/** What a proxy calls: implemented by `RpcClient`. */
export interface RpcProxyInvoker {
  invokeRoute(target: RpcTarget, routeParam: unknown, args: unknown[]): Promise<unknown>;
  invoke(serverId: string, target: RpcTarget, args: unknown[]): Promise<unknown>;
  broadcast(target: RpcTarget, args: unknown[]): Promise<Record<string, unknown>>;
}

type UntypedMethod = ((routeParam: unknown, ...args: unknown[]) => Promise<unknown>) & {
  toServer(serverId: string): (...args: unknown[]) => Promise<unknown>;
  broadcast(...args: unknown[]): Promise<Record<string, unknown>>;
};

/**
 * Builds a typed RPC proxy over an invoker. Server types, remotes and methods are objects made
 * on first access and kept, so a call allocates only its argument list and its promise.
 * `then` is never a member, so a proxy is not mistaken for a promise.
 *
 * @example
 * app.attachRpc(createRpcProxy<Remotes>(client));
 * const users = await app.rpc.chat.chatRemote.add(session, uid, 'room');
 */
export function createRpcProxy<Described>(
  invoker: RpcProxyInvoker,
  namespace: RpcNamespace = 'user',
): RpcProxy<Described> {
  return cachingProxy((serverType) =>
    cachingProxy((remote) =>
      cachingProxy((method) => makeMethod(invoker, { namespace, serverType, remote, method })),
    ),
  ) as RpcProxy<Described>;
}

/** A Proxy level that makes each member on first use and keeps it (`then` is never one: not a thenable). */
export function cachingProxy<Member extends object>(make: (name: string) => Member): Record<string, Member> {
  const members = new Map<string, Member>();
  return new Proxy(Object.create(null) as Record<string, Member>, {
    get(_target, name) {
      if (typeof name !== 'string' || name === 'then') return undefined;
      let member = members.get(name);
      if (member === undefined) {
        member = make(name);
        members.set(name, member);
      }
      return member;
    },
  });
}

function makeMethod(invoker: RpcProxyInvoker, target: RpcTarget): UntypedMethod {
  const byServer = new Map<string, (...args: unknown[]) => Promise<unknown>>();
  const method = (routeParam: unknown, ...args: unknown[]): Promise<unknown> =>
    invoker.invokeRoute(target, routeParam, args);
  return Object.assign(method, {
    toServer(serverId: string): (...args: unknown[]) => Promise<unknown> {
      let call = byServer.get(serverId);
      if (call === undefined) {
        call = (...args: unknown[]) => invoker.invoke(serverId, target, args);
        byServer.set(serverId, call);
      }
      return call;
    },
    broadcast: (...args: unknown[]): Promise<Record<string, unknown>> => invoker.broadcast(target, args),
  });
}
