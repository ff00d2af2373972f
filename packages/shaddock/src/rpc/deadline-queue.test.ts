import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type Deadlined, DeadlineQueue } from './deadline-queue.js';

interface Item extends Deadlined {
  readonly name: string;
}

function item(name: string, timeout: number): Item {
  return { name, timeout, deadline: performance.now() + timeout, settled: false };
}

describe('DeadlineQueue', () => {
  let expired: string[];
  let queue: DeadlineQueue<Item>;
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    expired = [];
    queue = new DeadlineQueue<Item>((expiredItem) => {
      expiredItem.settled = true;
      expired.push(expiredItem.name);
    });
  });
  afterEach(() => {
    queue.clear();
    vi.useRealTimers();
  });

  const settle = (settled: Item): void => {
    settled.settled = true;
    queue.release(settled);
  };

  it('expires items in deadline order behind one timer', () => {
    queue.add(item('a', 100));
    vi.advanceTimersByTime(10);
    queue.add(item('b', 100));
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(90);
    expect(expired).toEqual(['a']);
    vi.advanceTimersByTime(10);
    expect(expired).toEqual(['a', 'b']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('never expires a settled item, and stops the timer when nothing is left', () => {
    const a = item('a', 100);
    const b = item('b', 100);
    queue.add(a);
    queue.add(b);
    settle(b);
    settle(a);
    expect(queue.size).toBe(0);
    vi.advanceTimersByTime(200);
    expect(expired).toEqual([]);
  });

  it('re-arms earlier for a shorter timeout added later', () => {
    queue.add(item('long', 1000));
    queue.add(item('short', 50));
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(50);
    expect(expired).toEqual(['short']);
    vi.advanceTimersByTime(950);
    expect(expired).toEqual(['short', 'long']);
  });

  it('stays bounded when calls settle out of order behind a slow head', () => {
    const slow = item('slow', 10_000);
    queue.add(slow);
    for (let index = 0; index < 100_000; index++) {
      const quick = item(`quick-${index}`, 10_000);
      queue.add(quick);
      settle(quick);
    }
    expect(queue.size).toBeLessThan(3000);
    vi.advanceTimersByTime(10_000);
    expect(expired).toEqual(['slow']);
    expect(queue.size).toBe(0);
  });

  it('lets onExpire add new items', () => {
    const chained = new DeadlineQueue<Item>((expiredItem) => {
      expired.push(expiredItem.name);
      if (expiredItem.name === 'first') chained.add(item('second', 10));
    });
    chained.add(item('first', 10));
    vi.advanceTimersByTime(10);
    vi.advanceTimersByTime(10);
    expect(expired).toEqual(['first', 'second']);
    chained.clear();
  });
});
