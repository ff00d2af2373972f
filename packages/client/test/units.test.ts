import { MAX_MESSAGE_ID } from '@shaddock/protocol';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { localStorageCache, memoryCache } from '../src/cache.js';
import { Emitter } from '../src/emitter.js';
import { ClientError, ClientErrorCode } from '../src/errors.js';
import { type ReconnectPolicy, reconnectDelay, resolveSettings } from '../src/options.js';
import { nextRequestId } from '../src/pending-requests.js';
import { type EndpointFailure, fromList, type ResolveContext } from '../src/resolver.js';
import type { TransportTarget } from '../src/transport.js';
import { webSocketUrl } from '../src/websocket-transport.js';

describe('request ids', () => {
  it('run from 1 to 2^31-1 and wrap around to 1', () => {
    expect(nextRequestId(0)).toBe(1);
    expect(nextRequestId(41)).toBe(42);
    expect(nextRequestId(MAX_MESSAGE_ID - 1)).toBe(MAX_MESSAGE_ID);
    expect(nextRequestId(MAX_MESSAGE_ID)).toBe(1);
  });
});

describe('reconnect delays', () => {
  const policy: ReconnectPolicy = {
    maxAttempts: 10,
    initialDelay: 100,
    maxDelay: 1000,
    factor: 2,
    jitter: 0.5,
  };

  it('grow by the factor up to the cap', () => {
    const delays = [1, 2, 3, 4, 5, 6].map((attempt) => reconnectDelay(policy, attempt, 0.5));
    expect(delays).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it('vary by the jitter either way, never over the cap', () => {
    expect(reconnectDelay(policy, 1, 0)).toBe(50);
    expect(reconnectDelay(policy, 1, 0.999_999)).toBe(150);
    expect(reconnectDelay(policy, 6, 0.999_999)).toBe(1000);
    expect(reconnectDelay(policy, 6, 0)).toBe(500);
  });
});

describe('fromList', () => {
  const [a, b, c, d] = [1, 2, 3, 4].map((port) => ({ host: 'h', port }));
  const failure = (port: number, at: number): EndpointFailure => ({
    endpoint: { host: 'h', port },
    error: new ClientError(ClientErrorCode.ConnectFailed, 'refused'),
    at,
  });
  const context = (failed: readonly EndpointFailure[] = []): ResolveContext => ({
    attempt: 1,
    failed,
    signal: new AbortController().signal,
    connect: () => Promise.reject(new Error('not here')),
  });

  it('answers the whole list, round-robin, from the first or a random start', () => {
    const resolve = fromList([a!, b!, c!], { start: 'first' });
    expect([resolve(context()), resolve(context()), resolve(context()), resolve(context())]).toEqual([
      [a, b, c],
      [b, c, a],
      [c, a, b],
      [a, b, c],
    ]);
    const starts = new Set(
      Array.from({ length: 50 }, () => (fromList([a!, b!, c!])(context()) as unknown[])[0]),
    );
    expect(starts.size).toBeGreaterThan(1);
  });

  it('moves the endpoints that failed to the end, the one that failed longest ago first', () => {
    const resolve = fromList([a!, b!, c!, d!], { start: 'first' });
    expect(resolve(context([failure(1, 200), failure(3, 100)]))).toEqual([b, d, c, a]);
  });
});

describe('settings', () => {
  it('fill in Pomelo-like defaults', () => {
    const settings = resolveSettings({ host: 'example.com', port: 3010, reconnect: true });
    expect(settings).toMatchObject({
      transport: 'ws',
      tls: undefined,
      path: '/',
      clientType: 'js-websocket',
      clientVersion: '0.0.1',
      requestTimeout: 10_000,
      heartbeatTimeoutFactor: 2,
      reconnect: { maxAttempts: 10, initialDelay: 500, maxDelay: 30_000, factor: 2, jitter: 0.2 },
    });
    expect(resolveSettings({ host: 'h', port: 1, tls: true }).tls).toEqual({});
  });
});

describe('webSocketUrl', () => {
  const target = (host: string, path: string, tls = false): TransportTarget => ({
    kind: 'ws',
    host,
    port: 3010,
    path,
    tls: tls ? {} : undefined,
    maxBodyLength: undefined,
    signal: new AbortController().signal,
  });

  it('builds ws and wss URLs, IPv6 hosts in brackets', () => {
    expect(webSocketUrl(target('127.0.0.1', '/'))).toBe('ws://127.0.0.1:3010/');
    expect(webSocketUrl(target('::1', 'game', true))).toBe('wss://[::1]:3010/game');
  });
});

describe('Emitter', () => {
  it('calls listeners in order; once runs once; off removes one registration', () => {
    const emitter = new Emitter<{ tick: number }>();
    const seen: string[] = [];
    const a = (n: number): void => {
      seen.push(`a${n}`);
    };
    emitter.on('tick', a).once('tick', (n) => seen.push(`once${n}`));
    emitter.on('tick', a);
    emitter.emit('tick', 1);
    emitter.off('tick', a);
    emitter.emit('tick', 2);
    emitter.off('tick', a);
    emitter.emit('tick', 3);
    expect(seen).toEqual(['a1', 'once1', 'a1', 'a2']);
  });

  it('keeps emitting to the list it started with when a listener unsubscribes another', () => {
    const emitter = new Emitter<{ tick: number }>();
    const seen: string[] = [];
    const second = (): void => {
      seen.push('second');
    };
    emitter.on('tick', () => {
      seen.push('first');
      emitter.off('tick', second);
    });
    emitter.on('tick', second);
    emitter.emit('tick', 1);
    emitter.emit('tick', 2);
    expect(seen).toEqual(['first', 'second', 'first']);
  });
});

describe('handshake caches', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  const value = { dictVersion: 'd1', dict: { onChat: 1 } };

  it('memoryCache keeps the last value', () => {
    const cache = memoryCache();
    expect(cache.get()).toBeUndefined();
    cache.set(value);
    expect(cache.get()).toEqual(value);
  });

  it('localStorageCache works without localStorage, in memory', () => {
    vi.stubGlobal('localStorage', undefined);
    const cache = localStorageCache();
    cache.set(value);
    expect(cache.get()).toEqual(value);
  });

  it('localStorageCache stores JSON under its key and survives bad entries and a full storage', () => {
    const items = new Map<string, string>();
    let full = false;
    vi.stubGlobal('localStorage', {
      getItem: (key: string) => items.get(key) ?? null,
      setItem: (key: string, text: string) => {
        if (full) throw new Error('QuotaExceededError');
        items.set(key, text);
      },
    });
    const cache = localStorageCache('server-a');
    cache.set(value);
    expect(JSON.parse(items.get('server-a') ?? 'null')).toEqual(value);
    expect(localStorageCache('server-a').get()).toEqual(value);
    items.set('server-a', '{not json');
    expect(localStorageCache('server-a').get()).toBeUndefined();
    full = true;
    const other = localStorageCache('server-b');
    other.set(value);
    expect(other.get()).toEqual(value);
  });
});
