import type { Deadlined } from './deadline-queue.js';
import type { RpcTarget } from './protocol.js';

/** One call in flight: the promise's settle functions, its deadline and where it was sent. */
export class PendingCall implements Deadlined {
  /** The request id on its connection (0 until sent, and for local calls). */
  id = 0;
  settled = false;
  /** The connection it was sent on, whose `pending` map holds it (none for local calls). */
  connection: { readonly pending: Map<number, PendingCall> } | undefined;
  readonly serverId: string;
  readonly target: RpcTarget;
  readonly args: unknown[];
  readonly timeout: number;
  readonly deadline: number;
  readonly promise: Promise<unknown>;
  resolve!: (result: unknown) => void;
  reject!: (error: Error) => void;

  constructor(serverId: string, target: RpcTarget, args: unknown[], timeout: number) {
    this.serverId = serverId;
    this.target = target;
    this.args = args;
    this.timeout = timeout;
    this.deadline = performance.now() + timeout;
    this.promise = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }
}

/** What settles calls: the client, which also owns their deadlines. */
export interface CallSettler {
  /** Settles a call with a result, or with an error when `error` is given; does nothing if it is settled. */
  settle(call: PendingCall, error: Error | undefined, result?: unknown): void;
}
