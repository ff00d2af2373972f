/** Something waiting with a deadline on the `performance.now()` clock. */
export interface Deadline {
  readonly deadline: number;
  /** Set by the owner once done; a settled item never expires. */
  settled: boolean;
  /** Called once the deadline passed unsettled (the list sets `settled` first). */
  expire(): void;
}

/**
 * Deadlines that all have the same timeout, behind ONE timer: they expire in the order they were
 * added, so only the oldest unsettled one is ever watched. Adding is O(1) and arms no timer when
 * one is armed; settled items are dropped as the oldest end moves on.
 */
export class DeadlineList<T extends Deadline> {
  #items: T[] = [];
  #head = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  /** Starts watching `item`; its deadline is no earlier than any added before it. */
  add(item: T): void {
    this.#drop();
    this.#items.push(item);
    if (this.#timer === undefined) this.#arm(item.deadline);
  }

  /** Forgets every item and stops the timer. */
  clear(): void {
    this.#items = [];
    this.#head = 0;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #drop(): void {
    const items = this.#items;
    while (this.#head < items.length && items[this.#head]!.settled) this.#head++;
    if (this.#head === items.length) {
      if (items.length > 0) this.#items = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > items.length) {
      this.#items = items.slice(this.#head);
      this.#head = 0;
    }
  }

  #arm(deadline: number): void {
    this.#timer = setTimeout(this.#sweep, Math.max(0, Math.ceil(deadline - performance.now())));
    // waiting messages keep the process alive through their sockets, not through their deadlines
    this.#timer.unref();
  }

  readonly #sweep = (): void => {
    this.#timer = undefined;
    const now = performance.now();
    const expired: T[] = [];
    const items = this.#items;
    while (this.#head < items.length) {
      const item = items[this.#head]!;
      if (!item.settled) {
        if (item.deadline > now) break;
        item.settled = true;
        expired.push(item);
      }
      this.#head++;
    }
    this.#drop();
    const next = this.#items[this.#head];
    if (next !== undefined) this.#arm(next.deadline);
    for (const item of expired) item.expire();
  };
}
