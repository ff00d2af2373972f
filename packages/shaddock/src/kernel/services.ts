import { ErrorCode, ShaddockError } from '../errors.js';

/**
 * The services components provide to the rest of the process, by name. Each folder that
 * provides one adds it here by module augmentation, next to its own code:
 *
 * ```ts
 * declare module '../kernel/index.js' {
 *   interface Services { sessionService: SessionService }
 * }
 * ```
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled by augmentation from each folder.
export interface Services {}

/** The services of one process; a service asked for before its component provided it is a coded error. */
export class ServiceRegistry {
  readonly #services = new Map<keyof Services, Services[keyof Services]>();

  provide<Name extends keyof Services>(name: Name, service: Services[Name]): void {
    this.#services.set(name, service);
  }

  get<Name extends keyof Services>(name: Name): Services[Name] {
    const service = this.#services.get(name);
    if (service === undefined) {
      throw new ShaddockError(
        ErrorCode.AppState,
        `the service "${String(name)}" is not provided on this server (yet)`,
      );
    }
    return service as Services[Name];
  }

  /** The service, or `undefined` where it is not provided (the master has no stores). */
  find<Name extends keyof Services>(name: Name): Services[Name] | undefined {
    return this.#services.get(name) as Services[Name] | undefined;
  }

  has(name: keyof Services): boolean {
    return this.#services.has(name);
  }
}
