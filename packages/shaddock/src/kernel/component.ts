import { ErrorCode, ShaddockError } from '../errors.js';

/**
 * A pluggable part of a server process. Every method is optional and async; the application
 * drives them: `start` and `afterStart` in load order, `afterStartAll` once the whole cluster is
 * up, `stop` in reverse order. The built-in capabilities (monitor, RPC, master) are components too.
 */
export interface Component {
  /** Names the component in logs and errors; a second component with the same name is refused. */
  readonly name: string;
  start?(): Promise<void> | void;
  afterStart?(): Promise<void> | void;
  afterStartAll?(): Promise<void> | void;
  /** Stop taking new work and finish what is in flight, within `deadlineMs`; runs on every component before any `stop`. */
  drain?(deadlineMs: number): Promise<void> | void;
  /**
   * Runs once every component drained, while this server is still in membership: stop serving the
   * other servers (RPC: new calls refused at once) and finish their calls in flight, within
   * `deadlineMs` (what is left of the stop's). The server leaves membership after it.
   */
  afterDrain?(deadlineMs: number): Promise<void> | void;
  /** `force`: stop now, without waiting for work in flight. */
  stop?(force: boolean): Promise<void> | void;
}

type Stage = 'start' | 'afterStart' | 'afterStartAll';

/** The components of one process, in load order. */
export class ComponentList {
  readonly #components: Component[] = [];

  /** Every component, in load order. */
  get all(): readonly Component[] {
    return this.#components;
  }

  /** Adds `component` after the others; `first` puts it ahead of them (the built-in ones start first). */
  add(component: Component, first = false): void {
    if (this.#components.some((existing) => existing.name === component.name)) {
      throw new ShaddockError(
        ErrorCode.ComponentFailed,
        `a component named "${component.name}" is already loaded`,
      );
    }
    if (first) this.#components.unshift(component);
    else this.#components.push(component);
  }

  get(name: string): Component | undefined {
    return this.#components.find((component) => component.name === name);
  }

  /** Runs one stage on every component in load order; the first failure stops it, naming the component. */
  async run(stage: Stage): Promise<void> {
    for (const component of this.#components) {
      try {
        await component[stage]?.();
      } catch (cause) {
        const reason = cause instanceof Error ? cause.message : String(cause);
        throw new ShaddockError(
          ErrorCode.ComponentFailed,
          `component "${component.name}" failed in ${stage}: ${reason}`,
          {
            cause,
          },
        );
      }
    }
  }

  /** Drains every component at once, each within the deadline. */
  drain(deadlineMs: number, report: (error: Error) => void): Promise<void> {
    return this.#all('drain', deadlineMs, report);
  }

  /** Runs every component's `afterDrain` at once, each within the deadline. */
  afterDrain(deadlineMs: number, report: (error: Error) => void): Promise<void> {
    return this.#all('afterDrain', deadlineMs, report);
  }

  async #all(
    stage: 'drain' | 'afterDrain',
    deadlineMs: number,
    report: (error: Error) => void,
  ): Promise<void> {
    await Promise.all(
      this.#components.map(async (component) => {
        try {
          await component[stage]?.(deadlineMs);
        } catch (cause) {
          report(
            new ShaddockError(ErrorCode.ComponentFailed, `component "${component.name}" failed in ${stage}`, {
              cause,
            }),
          );
        }
      }),
    );
  }

  /** Stops every component in reverse load order; a failing `stop` is reported and the rest still stop. */
  async stop(force: boolean, report: (error: Error) => void): Promise<void> {
    for (const component of [...this.#components].reverse()) {
      try {
        await component.stop?.(force);
      } catch (cause) {
        report(
          new ShaddockError(ErrorCode.ComponentFailed, `component "${component.name}" failed to stop`, {
            cause,
          }),
        );
      }
    }
  }
}
