import type { CallTable } from './call-table.js';
import type { Deadlined } from './deadline-queue.js';
import type { WireRoute } from './route-table.js';

// One executor for every call's promise, handing its settle functions over through these two, so
// that making a call's promise allocates no closure of ours.
let takenResolve: (result: unknown) => void = () => {};
let takenReject: (error: Error) => void = () => {};
function takeSettlers(resolve: (result: unknown) => void, reject: (error: Error) => void): void {
  takenResolve = resolve;
  takenReject = reject;
}

/** One call in flight: the promise's settle functions, its deadline and where it was sent. */
export class PendingCall implements Deadlined {
  /** The request id on its connection (0 until sent, and for local calls). */
  id = 0;
  settled = false;
  /** The connection it was sent on, whose `pending` map holds it (none for local calls). */
  connection: { readonly pending: CallTable<PendingCall> } | undefined;
  readonly serverId: string;
  /** The target, with its route id and encoded names. */
  readonly route: WireRoute;
  readonly args: unknown[];
  readonly timeout: number;
  readonly deadline: number;
  readonly promise: Promise<unknown>;
  readonly resolve: (result: unknown) => void;
  readonly reject: (error: Error) => void;

  constructor(serverId: string, route: WireRoute, args: unknown[], timeout: number) {
    this.serverId = serverId;
    this.route = route;
    this.args = args;
    this.timeout = timeout;
    this.deadline = performance.now() + timeout;
    this.promise = new Promise(takeSettlers);
    this.resolve = takenResolve;
    this.reject = takenReject;
  }
}

/** What settles calls: the client, which also owns their deadlines. */
export interface CallSettler {
  /** Settles a call with a result, or with an error when `error` is given; does nothing if it is settled. */
  settle(call: PendingCall, error: Error | undefined, result?: unknown): void;
}
