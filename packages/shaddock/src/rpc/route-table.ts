import { packValue } from '../transport/index.js';
import { MAX_ROUTE_ID, type RpcNamespace, type RpcTarget } from './protocol.js';

/** A target as the client sends it: its route id (-1: none) and its four names already in msgpack. */
export interface WireRoute extends RpcTarget {
  /** The same for every call to this target from this client; -1 once the table is full. */
  readonly id: number;
  /** `namespace`, `serverType`, `remote` and `method`, msgpack-encoded one after the other. */
  readonly names: Buffer;
}

type Level<Next> = Map<string, Next>;

/**
 * A client's targets, each given a route id once, so a call names its target by a number (see
 * `protocol.ts`) and the names are encoded once. Found by its four names, the last one found
 * first, as calls often come in runs to one target. Not by object identity: the framework makes
 * a target object per call on some paths (a WeakMap entry per call costs more than the name
 * lookups), and a caller may change a target object between calls. Bounded: past
 * {@link MAX_ROUTE_ID} targets a new one gets no id and its calls carry the names.
 */
export class RouteTable {
  readonly #byName = new Map<RpcNamespace, Level<Level<Level<WireRoute>>>>();
  #nextId = 0;
  #last: WireRoute | undefined;

  /** The route of `target`; made on first sight. */
  resolve(target: RpcTarget): WireRoute {
    const last = this.#last;
    if (
      last !== undefined &&
      target.method === last.method &&
      target.remote === last.remote &&
      target.serverType === last.serverType &&
      target.namespace === last.namespace
    ) {
      return last;
    }
    const route = this.#byNames(target);
    this.#last = route;
    return route;
  }

  #byNames(target: RpcTarget): WireRoute {
    const { namespace, serverType, remote, method } = target;
    const found = this.#byName.get(namespace)?.get(serverType)?.get(remote)?.get(method);
    if (found !== undefined) return found;
    if (this.#nextId > MAX_ROUTE_ID) return makeRoute(target, -1);
    const route = makeRoute(target, this.#nextId++);
    const remotes = level(level(this.#byName, namespace), serverType);
    level(remotes, remote).set(method, route);
    return route;
  }
}

function level<Next>(parent: Map<string, Level<Next>>, name: string): Level<Next> {
  let child = parent.get(name);
  if (child === undefined) {
    child = new Map();
    parent.set(name, child);
  }
  return child;
}

function makeRoute(target: RpcTarget, id: number): WireRoute {
  const { namespace, serverType, remote, method } = target;
  const names = Buffer.concat([namespace, serverType, remote, method].map((name) => packValue(name)));
  return { namespace, serverType, remote, method, id, names };
}
