/**
 * Listeners in a plain array, replaced (never changed in place) on add and remove, so an emit in
 * progress is never disturbed. Lighter than an `EventEmitter` per session: most sessions have none.
 */
export class ListenerList<Args extends unknown[]> {
  #listeners: readonly ((...args: Args) => void)[] = [];

  get size(): number {
    return this.#listeners.length;
  }

  /** Adds `listener`; returns the function that removes it. */
  add(listener: (...args: Args) => void): () => void {
    this.#listeners = [...this.#listeners, listener];
    return () => {
      const index = this.#listeners.indexOf(listener);
      if (index >= 0) this.#listeners = this.#listeners.toSpliced(index, 1);
    };
  }

  /** Calls every listener; one that throws goes to `report` and the others still run. */
  emit(report: (error: unknown) => void, ...args: Args): void {
    for (const listener of this.#listeners) {
      try {
        listener(...args);
      } catch (error) {
        report(error);
      }
    }
  }

  clear(): void {
    this.#listeners = [];
  }
}
