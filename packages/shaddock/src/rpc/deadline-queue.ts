/** Something with a deadline, on the `performance.now()` clock. */
export interface Deadlined {
  /** When it expires, in `performance.now()` milliseconds. */
  readonly deadline: number;
  /** The timeout it was added with: the lane it sits in. */
  readonly timeout: number;
  /** Set by the owner once it is done; a settled item never expires. */
  settled: boolean;
}

interface Lane<T> {
  readonly timeout: number;
  // slots before `head` are cleared, so that settled calls do not outlive their turn
  items: (T | undefined)[];
  head: number;
  /** Items in `items` from `head` on that are not settled. */
  live: number;
}

/**
 * Deadlines for every in-flight call behind ONE timer. Items added with the same timeout expire
 * in the order they were added, so each timeout gets a FIFO lane and only lane heads are ever
 * compared: adding is O(1) and arms no timer unless it is the new earliest deadline. Settled items
 * are dropped from lane heads as they go and, when they pile up behind a slow head, by a
 * compaction that keeps a lane at most about twice its live size.
 */
export class DeadlineQueue<T extends Deadlined> {
  readonly #lanes = new Map<number, Lane<T>>();
  // nearly every call uses the client's one timeout: its lane is at hand without a lookup
  #lastLane: Lane<T> | undefined;
  readonly #onExpire: (item: T) => void;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #armedFor = Number.POSITIVE_INFINITY;

  /**
   * `onExpire` is called for each item whose deadline passed unsettled; the item has left the
   * queue, so the owner settles it without calling {@link release}.
   */
  constructor(onExpire: (item: T) => void) {
    this.#onExpire = onExpire;
  }

  /** Items waiting (settled ones not yet dropped included). */
  get size(): number {
    let size = 0;
    for (const lane of this.#lanes.values()) size += lane.items.length - lane.head;
    return size;
  }

  /** Starts watching an item's deadline. */
  add(item: T): void {
    let lane = this.#lane(item.timeout);
    if (!lane) {
      lane = { timeout: item.timeout, items: [], head: 0, live: 0 };
      this.#lanes.set(item.timeout, lane);
      this.#lastLane = lane;
    }
    lane.items.push(item);
    lane.live++;
    if (item.deadline < this.#armedFor) this.#arm(item.deadline);
  }

  /** Tells the queue an item it holds was settled by its owner (call after setting `settled`). */
  release(item: T): void {
    const lane = this.#lane(item.timeout);
    if (!lane) return;
    lane.live--;
    const { items } = lane;
    const pending = items.length - lane.head;
    while (lane.head < items.length && items[lane.head]!.settled) items[lane.head++] = undefined;
    if (lane.head === items.length) {
      items.length = 0;
      lane.head = 0;
    } else if (pending > 1024 && pending > 2 * lane.live) {
      lane.items = items.slice(lane.head).filter((waiting) => !waiting!.settled);
      lane.head = 0;
    } else if (lane.head > 1024 && lane.head * 2 > lane.items.length) {
      lane.items = lane.items.slice(lane.head);
      lane.head = 0;
    }
  }

  /** Forgets every item and stops the timer. */
  clear(): void {
    this.#lanes.clear();
    this.#lastLane = undefined;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#armedFor = Number.POSITIVE_INFINITY;
  }

  #lane(timeout: number): Lane<T> | undefined {
    const last = this.#lastLane;
    if (last !== undefined && last.timeout === timeout) return last;
    const lane = this.#lanes.get(timeout);
    if (lane !== undefined) this.#lastLane = lane;
    return lane;
  }

  #arm(deadline: number): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#armedFor = deadline;
    this.#timer = setTimeout(this.#sweep, Math.max(0, Math.ceil(deadline - performance.now())));
    // an in-flight call keeps the process alive through its socket, not through its deadline
    this.#timer.unref();
  }

  readonly #sweep = (): void => {
    this.#timer = undefined;
    this.#armedFor = Number.POSITIVE_INFINITY;
    const now = performance.now();
    const expired: T[] = [];
    let next = Number.POSITIVE_INFINITY;
    for (const [timeout, lane] of this.#lanes) {
      const { items } = lane;
      while (lane.head < items.length) {
        const item = items[lane.head]!;
        if (!item.settled) {
          if (item.deadline > now) break;
          expired.push(item);
          lane.live--;
        }
        items[lane.head++] = undefined;
      }
      if (lane.head === items.length) {
        this.#lanes.delete(timeout);
        if (this.#lastLane === lane) this.#lastLane = undefined;
      } else next = Math.min(next, items[lane.head]!.deadline);
    }
    if (next !== Number.POSITIVE_INFINITY) this.#arm(next);
    // expire after the queue is consistent: an onExpire that adds or releases sees a sound state
    for (const item of expired) this.#onExpire(item);
  };
}
