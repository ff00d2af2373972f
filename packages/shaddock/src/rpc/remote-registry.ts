import { ErrorCode, ShaddockError } from '../errors.js';
import type { RpcNamespace } from './protocol.js';

/** A callable method of a registered remote, resolved once at registration. */
export interface RemoteMethodEntry {
  readonly instance: object;
  readonly method: (this: unknown, ...args: unknown[]) => unknown;
}

type MethodTable = ReadonlyMap<string, RemoteMethodEntry>;

/**
 * The remotes this process serves, per namespace (`user` for the application's, `sys` for the
 * framework's), server type and name. Each remote's callable methods are listed when it is
 * registered: its own enumerable functions and the functions of its class prototype chain up to,
 * not including, `Object.prototype`; `constructor` and everything inherited from `Object` are
 * never callable. Methods added to a remote after registration are not seen.
 *
 * @example
 * const remotes = new RemoteRegistry();
 * remotes.registerRemote('chat', 'chatRemote', { async add(uid: string, room: string) { return [uid]; } });
 */
export class RemoteRegistry {
  readonly #namespaces: Record<RpcNamespace, Map<string, Map<string, MethodTable>>> = {
    user: new Map(),
    sys: new Map(),
  };

  /** Registers an application remote (namespace `user`). Throws `RemoteInvalid` on a duplicate or a non-object. */
  registerRemote(serverType: string, name: string, remote: object): void {
    this.#register('user', serverType, name, remote);
  }

  /** Registers one of the framework's own remotes (namespace `sys`), kept apart from the application's. */
  registerSystemRemote(serverType: string, name: string, remote: object): void {
    this.#register('sys', serverType, name, remote);
  }

  /** The callable method, or `undefined` when there is no such remote or method. */
  find(
    namespace: RpcNamespace,
    serverType: string,
    remote: string,
    method: string,
  ): RemoteMethodEntry | undefined {
    return this.#namespaces[namespace].get(serverType)?.get(remote)?.get(method);
  }

  /** The names of the remotes registered for a server type. */
  remoteNames(namespace: RpcNamespace, serverType: string): string[] {
    return [...(this.#namespaces[namespace].get(serverType)?.keys() ?? [])];
  }

  /** The callable method names of a remote. */
  methodNames(namespace: RpcNamespace, serverType: string, remote: string): string[] {
    return [...(this.#namespaces[namespace].get(serverType)?.get(remote)?.keys() ?? [])];
  }

  /**
   * Runs a method in this process, as a server would for a call that arrived by socket.
   * Rejects with an `UnknownRemote` error, or with whatever the method threw.
   */
  async dispatch(
    namespace: RpcNamespace,
    serverType: string,
    remote: string,
    method: string,
    args: unknown[],
  ): Promise<unknown> {
    const entry = this.find(namespace, serverType, remote, method);
    if (!entry) throw unknownRemote(namespace, serverType, remote, method);
    return entry.method.apply(entry.instance, args);
  }

  #register(namespace: RpcNamespace, serverType: string, name: string, remote: object): void {
    if ((typeof remote !== 'object' && typeof remote !== 'function') || remote === null) {
      throw new ShaddockError(ErrorCode.RemoteInvalid, `remote ${serverType}.${name} is not an object`);
    }
    let remotes = this.#namespaces[namespace].get(serverType);
    if (!remotes) {
      remotes = new Map();
      this.#namespaces[namespace].set(serverType, remotes);
    }
    if (remotes.has(name)) {
      throw new ShaddockError(
        ErrorCode.RemoteInvalid,
        `remote ${namespace} ${serverType}.${name} is already registered`,
      );
    }
    remotes.set(name, listMethods(remote));
  }
}

/** The error for a call naming no callable method. */
export function unknownRemote(
  namespace: RpcNamespace,
  serverType: string,
  remote: string,
  method: string,
): ShaddockError {
  return new ShaddockError(
    ErrorCode.UnknownRemote,
    `no remote method ${namespace} ${serverType}.${remote}.${method}`,
  );
}

function listMethods(remote: object): MethodTable {
  const methods = new Map<string, RemoteMethodEntry>();
  const add = (holder: object, name: string): void => {
    // a data property only: reading an accessor would run user code at registration
    const value: unknown = Object.getOwnPropertyDescriptor(holder, name)?.value;
    if (typeof value === 'function' && !methods.has(name)) {
      methods.set(name, { instance: remote, method: value as RemoteMethodEntry['method'] });
    }
  };
  for (const name of Object.keys(remote)) add(remote, name);
  for (
    let prototype: object | null = Object.getPrototypeOf(remote);
    prototype !== null && prototype !== Object.prototype && prototype !== Function.prototype;
    prototype = Object.getPrototypeOf(prototype)
  ) {
    for (const name of Object.getOwnPropertyNames(prototype)) {
      if (name !== 'constructor' && name !== '__proto__') add(prototype, name);
    }
  }
  return methods;
}
