import { describe, expect, it } from 'vitest';
import {
  BufferPushScheduler,
  createPushScheduler,
  DirectPushScheduler,
  type SchedulableConnection,
} from './push-scheduler.js';

/** A connection that records its writes: each `send` and each `flushQueue` is one write. */
class RecordingConnection implements SchedulableConnection {
  readonly writes: number[][] = [];
  #queue: number[] = [];

  send(bytes: Uint8Array): void {
    if (this.#queue.length > 0) this.#queue.push(bytes[0] ?? -1);
    else this.writes.push([bytes[0] ?? -1]);
  }

  enqueue(bytes: Uint8Array): boolean {
    this.#queue.push(bytes[0] ?? -1);
    return this.#queue.length === 1;
  }

  flushQueue(): void {
    if (this.#queue.length > 0) this.writes.push(this.#queue);
    this.#queue = [];
  }
}

const packet = (value: number): Uint8Array => Uint8Array.of(value);
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('push schedulers', () => {
  it('direct writes each push at once', () => {
    const connection = new RecordingConnection();
    const scheduler = new DirectPushScheduler();
    for (const value of [1, 2, 3]) scheduler.push(packet(value), connection);
    expect(connection.writes).toEqual([[1], [2], [3]]);
  });

  it('buffer writes each connection once per turn, in order, each package once', async () => {
    const a = new RecordingConnection();
    const b = new RecordingConnection();
    const scheduler = new BufferPushScheduler();
    for (const value of [1, 2, 3]) {
      scheduler.push(packet(value), a);
      scheduler.push(packet(value), b);
    }
    a.send(packet(4));
    expect(a.writes).toEqual([]);
    await nextTurn();
    expect(a.writes).toEqual([[1, 2, 3, 4]]);
    expect(b.writes).toEqual([[1, 2, 3]]);
    scheduler.push(packet(5), a);
    await nextTurn();
    expect(a.writes).toEqual([[1, 2, 3, 4], [5]]);
  });

  it('buffer with flushMs flushes on its timer, and close flushes what is left', async () => {
    const connection = new RecordingConnection();
    const scheduler = new BufferPushScheduler(60_000);
    scheduler.push(packet(1), connection);
    scheduler.push(packet(2), connection);
    await nextTurn();
    expect(connection.writes).toEqual([]);
    scheduler.close();
    expect(connection.writes).toEqual([[1, 2]]);
  });

  it('names the schedulers and refuses anything else', () => {
    expect(createPushScheduler('direct')).toBeInstanceOf(DirectPushScheduler);
    expect(createPushScheduler({ type: 'buffer', flushMs: 20 })).toBeInstanceOf(BufferPushScheduler);
    expect(() => createPushScheduler({ type: 'buffer', flushMs: -1 })).toThrow(/flushMs/);
    expect(() => createPushScheduler('later' as 'direct')).toThrow(/pushScheduler/);
  });
});
