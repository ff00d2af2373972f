import { type JsonObject, MAX_MESSAGE_ID } from '@shaddock/protocol';
import { ClientError, ClientErrorCode } from './errors.js';

interface PendingRequest {
  readonly route: string;
  readonly deadline: number;
  readonly timeout: number;
  readonly resolve: (body: JsonObject) => void;
  readonly reject: (error: ClientError) => void;
}

/** The request id after `previous`: 1 to 2^31−1, wrapping around. */
export function nextRequestId(previous: number): number {
  return previous >= MAX_MESSAGE_ID ? 1 : previous + 1;
}

/**
 * The requests of one connection that await their response, by id. Their timeouts need no
 * timer each: the owner's one timer calls {@link PendingRequests.expire} at `nextDeadline`.
 */
export class PendingRequests {
  /** No request times out before this (a lower bound: answered requests leave it behind). */
  nextDeadline = Infinity;
  /** Whether the codec asked for a response's route since {@link PendingRequests.beginLookup}. */
  lookedUp = false;
  readonly #requests = new Map<number, PendingRequest>();
  #lastId = 0;
  #foundId = 0;
  #found: PendingRequest | undefined;

  /** The next id not in use. */
  nextId(): number {
    let id = nextRequestId(this.#lastId);
    while (this.#requests.has(id)) id = nextRequestId(id);
    this.#lastId = id;
    return id;
  }

  /** Adds a request; true when its deadline is the earliest, so the owner's timer must move. */
  add(id: number, request: PendingRequest): boolean {
    this.#requests.set(id, request);
    if (request.deadline >= this.nextDeadline) return false;
    this.nextDeadline = request.deadline;
    return true;
  }

  /** Starts reading one message: forgets the previous lookup. */
  beginLookup(): void {
    this.lookedUp = false;
    this.#found = undefined;
  }

  /** Bound once, for the codec: the route of the request `id` answers, remembered for {@link takeFound}. */
  readonly routeOf = (id: number): string | undefined => {
    this.lookedUp = true;
    this.#foundId = id;
    this.#found = this.#requests.get(id);
    return this.#found?.route;
  };

  /** Removes and returns the request the last lookup found, if it is still pending. */
  takeFound(): PendingRequest | undefined {
    const found = this.#found;
    this.#found = undefined;
    if (found !== undefined) this.#requests.delete(this.#foundId);
    return found;
  }

  /** Rejects every request whose deadline has passed with `Timeout`; finds the next deadline. */
  expire(now: number): void {
    let next = Infinity;
    for (const [id, request] of this.#requests) {
      if (request.deadline <= now) {
        this.#requests.delete(id);
        const message = `no response to "${request.route}" within ${request.timeout} ms`;
        request.reject(new ClientError(ClientErrorCode.Timeout, message));
      } else if (request.deadline < next) {
        next = request.deadline;
      }
    }
    this.nextDeadline = next;
  }

  /** Rejects every request with `error`. */
  rejectAll(error: ClientError): void {
    const requests = [...this.#requests.values()];
    this.#requests.clear();
    this.nextDeadline = Infinity;
    for (const request of requests) request.reject(error);
  }
}
