/** The largest call id; ids wrap around to 1 after it. */
export const MAX_CALL_ID = 0x7fffffff;

const INITIAL_CAPACITY = 64;

/**
 * Calls in flight by id (1 … {@link MAX_CALL_ID}). A `Map` would do, but under a steady stream
 * of calls its table is rebuilt every few hundred calls (deleted entries pile up), and each
 * obsolete table links to its successor, which keeps garbage alive through young collections;
 * this open-addressing table allocates only when it grows. Ids are handed out in sequence, so
 * they spread over the slots without hashing. Robin Hood order (an entry never sits further from
 * its home slot than one it passed) lets a deletion stop at the first entry that is at home,
 * instead of scanning the whole run of consecutive ids.
 */
export class CallTable<T> {
  #ids = new Int32Array(INITIAL_CAPACITY);
  #values: (T | undefined)[] = new Array<T | undefined>(INITIAL_CAPACITY).fill(undefined);
  #mask = INITIAL_CAPACITY - 1;
  #size = 0;

  get size(): number {
    return this.#size;
  }

  get(id: number): T | undefined {
    const slot = this.#find(id);
    return slot < 0 ? undefined : this.#values[slot];
  }

  /** Adds or replaces the entry of `id`. */
  set(id: number, value: T): void {
    const slot = this.#find(id);
    if (slot >= 0) {
      this.#values[slot] = value;
      return;
    }
    if ((this.#size + 1) * 2 > this.#ids.length) this.#grow();
    this.#insert(id, value);
  }

  /** Removes the entry of `id`, if any. */
  delete(id: number): void {
    let hole = this.#find(id);
    if (hole < 0) return;
    this.#size--;
    const ids = this.#ids;
    const values = this.#values;
    const mask = this.#mask;
    // shift the displaced entries that follow one slot back, up to an empty slot or one at home
    for (let next = (hole + 1) & mask; ids[next] !== 0; next = (next + 1) & mask) {
      const moved = ids[next]!;
      if ((moved & mask) === next) break;
      ids[hole] = moved;
      values[hole] = values[next];
      hole = next;
    }
    ids[hole] = 0;
    values[hole] = undefined;
  }

  /** Every value, in no particular order: a copy, so the table may change while it is used. */
  values(): T[] {
    const all: T[] = [];
    const ids = this.#ids;
    for (let slot = 0; slot < ids.length; slot++) if (ids[slot] !== 0) all.push(this.#values[slot]!);
    return all;
  }

  clear(): void {
    this.#ids.fill(0);
    this.#values.fill(undefined);
    this.#size = 0;
  }

  /** The slot of `id`, or -1. */
  #find(id: number): number {
    const ids = this.#ids;
    const mask = this.#mask;
    for (let slot = id & mask, distance = 0; ; slot = (slot + 1) & mask, distance++) {
      const found = ids[slot]!;
      if (found === id) return slot;
      // an empty slot, or an entry nearer its home than `id` would be: `id` is not here
      if (found === 0 || ((slot - (found & mask)) & mask) < distance) return -1;
    }
  }

  #insert(id: number, value: T): void {
    const ids = this.#ids;
    const values = this.#values;
    const mask = this.#mask;
    let carried = id;
    let carriedValue = value;
    for (let slot = id & mask, distance = 0; ; slot = (slot + 1) & mask, distance++) {
      const found = ids[slot]!;
      if (found === 0) {
        ids[slot] = carried;
        values[slot] = carriedValue;
        this.#size++;
        return;
      }
      const foundDistance = (slot - (found & mask)) & mask;
      if (foundDistance < distance) {
        // take the slot from an entry nearer its home, and go on placing that one
        const foundValue = values[slot] as T;
        ids[slot] = carried;
        values[slot] = carriedValue;
        carried = found;
        carriedValue = foundValue;
        distance = foundDistance;
      }
    }
  }

  #grow(): void {
    const ids = this.#ids;
    const values = this.#values;
    const capacity = ids.length * 2;
    this.#ids = new Int32Array(capacity);
    this.#values = new Array<T | undefined>(capacity).fill(undefined);
    this.#mask = capacity - 1;
    this.#size = 0;
    for (let slot = 0; slot < ids.length; slot++)
      if (ids[slot] !== 0) this.#insert(ids[slot]!, values[slot] as T);
  }
}
