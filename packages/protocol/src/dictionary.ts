import { ProtocolError, ProtocolErrorCode } from './errors.js';
import { MAX_ROUTE_CODE } from './message.js';

/** A route dictionary as the handshake carries it: route → code. */
export type RouteCodes = { readonly [route: string]: number };

/**
 * The route dictionary: routes compressed to 2-byte codes.
 *
 * Every process of a cluster must hold the same codes. {@link RouteDictionary.fromRoutes} gives
 * codes 1..n to the sorted handler routes, then the `dictionary.json` routes in their order, as
 * Pomelo does; {@link RouteDictionary.stable} uses `dictionary.json` alone, so codes do not
 * move when handlers change.
 */
export class RouteDictionary {
  readonly #codes = new Map<string, number>();
  readonly #routes = new Map<number, string>();

  private constructor(entries: Iterable<readonly [string, number]>) {
    for (const [route, code] of entries) {
      if (!Number.isInteger(code) || code < 1 || code > MAX_ROUTE_CODE) {
        throw new ProtocolError(
          ProtocolErrorCode.UnknownRouteCode,
          `route code ${code} of "${route}" is not from 1 to ${MAX_ROUTE_CODE}`,
        );
      }
      if (this.#routes.has(code)) {
        throw new ProtocolError(
          ProtocolErrorCode.UnknownRouteCode,
          `route code ${code} is given to two routes`,
        );
      }
      this.#codes.set(route, code);
      this.#routes.set(code, route);
    }
  }

  #version: string | undefined;

  /** A version string, the same wherever the same codes are held; clients cache by it. */
  get version(): string {
    this.#version ??= dictionaryVersion(this.#codes);
    return this.#version;
  }

  /** Codes for the sorted handler routes, then the extra routes (from `dictionary.json`) in order. */
  static fromRoutes(handlerRoutes: Iterable<string>, extraRoutes: Iterable<string> = []): RouteDictionary {
    const ordered = [...new Set(handlerRoutes)].sort();
    const seen = new Set(ordered);
    for (const route of extraRoutes) {
      if (!seen.has(route)) {
        seen.add(route);
        ordered.push(route);
      }
    }
    return new RouteDictionary(ordered.map((route, index) => [route, index + 1] as const));
  }

  /** Codes from `dictionary.json` alone, in its order: stable across handler changes. */
  static stable(routes: Iterable<string>): RouteDictionary {
    return RouteDictionary.fromRoutes([], routes);
  }

  /** A dictionary received in a handshake. */
  static fromCodes(codes: RouteCodes): RouteDictionary {
    return new RouteDictionary(Object.entries(codes));
  }

  /** The number of routes. */
  get size(): number {
    return this.#codes.size;
  }

  /** The code of `route`, if it has one. */
  codeOf(route: string): number | undefined {
    return this.#codes.get(route);
  }

  /** The route of `code`; an unknown code is a {@link ProtocolError}. */
  routeOf(code: number): string {
    const route = this.#routes.get(code);
    if (route === undefined) {
      throw new ProtocolError(ProtocolErrorCode.UnknownRouteCode, `unknown route code ${code}`);
    }
    return route;
  }

  /** The route → code object the handshake sends. */
  toJSON(): RouteCodes {
    return Object.fromEntries(this.#codes);
  }
}

/** A 53-bit FNV-style hash of the entries, in base 36: no crypto API needed in the browser. */
function dictionaryVersion(codes: ReadonlyMap<string, number>): string {
  let high = 0x811c9dc5;
  let low = 0x1000193;
  const text = JSON.stringify([...codes].sort((a, b) => a[1] - b[1]));
  for (let index = 0; index < text.length; index++) {
    const unit = text.charCodeAt(index);
    high = Math.imul(high ^ unit, 0x01000193);
    low = Math.imul(low ^ unit, 0x5bd1e995);
  }
  return ((high >>> 0) * 0x200000 + ((low >>> 0) & 0x1fffff)).toString(36);
}
