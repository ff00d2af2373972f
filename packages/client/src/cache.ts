import type { HandshakeProtos, RouteCodes } from '@shaddock/protocol';

/**
 * What a client keeps of a handshake so the next one can skip the dictionary and the protos:
 * it sends the versions, and a server that holds the same versions does not resend them.
 */
export interface CachedHandshake {
  readonly dictVersion?: string;
  readonly dict?: RouteCodes;
  readonly protoVersion?: string;
  readonly protos?: HandshakeProtos;
}

/** Storage for a {@link CachedHandshake}; synchronous, as `localStorage` is. */
export interface HandshakeCache {
  get(): CachedHandshake | undefined;
  set(value: CachedHandshake): void;
}

/** A cache held in memory, for the life of the client (the default): reconnects reuse it. */
export function memoryCache(): HandshakeCache {
  let stored: CachedHandshake | undefined;
  return {
    get: () => stored,
    set: (value) => {
      stored = value;
    },
  };
}

interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

/**
 * A cache kept in the browser's `localStorage` under `key`, so a page reload skips the
 * dictionary and protos too. Where `localStorage` is missing or refuses access (Node, private
 * modes, quota), it behaves as {@link memoryCache}; an unreadable entry is ignored.
 *
 * @example
 * ```ts
 * const client = await connect({ host, port, cache: localStorageCache('chat-server') });
 * ```
 */
export function localStorageCache(key = 'shaddock-handshake'): HandshakeCache {
  const fallback = memoryCache();
  const storage = findLocalStorage();
  if (storage === undefined) return fallback;
  return {
    get() {
      try {
        const text = storage.getItem(key);
        if (text === null) return fallback.get();
        const value: unknown = JSON.parse(text);
        return typeof value === 'object' && value !== null ? (value as CachedHandshake) : fallback.get();
      } catch {
        return fallback.get();
      }
    },
    set(value) {
      fallback.set(value);
      try {
        storage.setItem(key, JSON.stringify(value));
      } catch {
        // Quota exceeded or storage disabled: the in-memory copy still serves this page.
      }
    },
  };
}

function findLocalStorage(): StorageLike | undefined {
  try {
    const storage = (globalThis as { localStorage?: StorageLike }).localStorage;
    return typeof storage?.getItem === 'function' ? storage : undefined;
  } catch {
    // Some browsers throw on the mere access when storage is blocked.
    return undefined;
  }
}
