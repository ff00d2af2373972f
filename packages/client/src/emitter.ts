/** A listener of one event; its payload type comes from the event map. */
export type Listener<Payload> = (payload: Payload) => void;

/**
 * Where listeners subscribe: the lifecycle events of a client, or its pushes by route.
 * Event names and payloads come from `Events`, a map of name → payload type.
 */
export interface EventSource<Events extends object> {
  /** Calls `listener` on every `name` event. */
  on<Name extends keyof Events & string>(name: Name, listener: Listener<Events[Name]>): this;
  /** Calls `listener` on the next `name` event only. */
  once<Name extends keyof Events & string>(name: Name, listener: Listener<Events[Name]>): this;
  /** Removes one registration of `listener` for `name`, if any. */
  off<Name extends keyof Events & string>(name: Name, listener: Listener<Events[Name]>): this;
}

interface Registration {
  readonly listener: Listener<never>;
  readonly once: boolean;
}

/**
 * A small typed emitter that runs in browsers and Node alike.
 *
 * Lists are copied on subscribe and unsubscribe, never on emit, so emitting (the hot path:
 * one call per push) allocates nothing. A listener that throws does not stop the others nor
 * the connection: its error is rethrown on a microtask, where the host reports it.
 */
export class Emitter<Events extends object> implements EventSource<Events> {
  readonly #registrations = new Map<string, readonly Registration[]>();

  on<Name extends keyof Events & string>(name: Name, listener: Listener<Events[Name]>): this {
    return this.#add(name, { listener: listener as Listener<never>, once: false });
  }

  once<Name extends keyof Events & string>(name: Name, listener: Listener<Events[Name]>): this {
    return this.#add(name, { listener: listener as Listener<never>, once: true });
  }

  off<Name extends keyof Events & string>(name: Name, listener: Listener<Events[Name]>): this {
    const list = this.#registrations.get(name);
    const index = list?.findIndex((registration) => registration.listener === listener) ?? -1;
    if (list && index >= 0) this.#set(name, list.toSpliced(index, 1));
    return this;
  }

  /** Calls the listeners of `name` with `payload`, in subscription order. */
  emit<Name extends keyof Events & string>(name: Name, payload: Events[Name]): void {
    const list = this.#registrations.get(name);
    if (list === undefined) return;
    for (const registration of list) {
      if (registration.once) this.#remove(name, registration);
      try {
        (registration.listener as Listener<Events[Name]>)(payload);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }

  #add(name: string, registration: Registration): this {
    this.#set(name, [...(this.#registrations.get(name) ?? []), registration]);
    return this;
  }

  #remove(name: string, registration: Registration): void {
    const list = this.#registrations.get(name);
    if (list)
      this.#set(
        name,
        list.filter((entry) => entry !== registration),
      );
  }

  #set(name: string, list: readonly Registration[]): void {
    if (list.length === 0) this.#registrations.delete(name);
    else this.#registrations.set(name, list);
  }
}
