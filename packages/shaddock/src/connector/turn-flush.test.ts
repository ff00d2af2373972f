import { describe, expect, it } from 'vitest';
import { flushAtEndOfTurn, SharedBatch } from './turn-flush.js';

const nextTick = (): Promise<void> => new Promise((resolve) => process.nextTick(resolve));

describe('flushAtEndOfTurn', () => {
  it('flushes every writer of the turn once, after the turn, the ones a flush adds too', async () => {
    const flushed: string[] = [];
    const late = { flushTurn: () => flushed.push('late') };
    flushAtEndOfTurn({ flushTurn: () => flushed.push('a') });
    flushAtEndOfTurn({
      flushTurn: () => {
        flushed.push('b');
        flushAtEndOfTurn(late);
      },
    });
    expect(flushed).toEqual([]);
    await nextTick();
    await nextTick();
    expect(flushed).toEqual(['a', 'b', 'late']);
  });
});

describe('SharedBatch', () => {
  it('builds once per batch of the same packages within a flush, and anew after it', async () => {
    let builds = 0;
    const batch = new SharedBatch((packages, totalBytes) => {
      builds++;
      return Buffer.concat(packages, totalBytes);
    });
    const first = Uint8Array.of(1, 2);
    const second = Uint8Array.of(3);
    const joined = batch.bytes([first, second], 3);
    expect([...joined]).toEqual([1, 2, 3]);
    expect(batch.bytes([first, second], 3)).toBe(joined);
    // Same bytes, other objects: not assumed equal.
    expect(batch.bytes([Uint8Array.of(1, 2), second], 3)).not.toBe(joined);
    expect(builds).toBe(2);

    const before = batch.bytes([first], 2);
    flushAtEndOfTurn({ flushTurn: () => {} });
    await nextTick();
    expect(batch.bytes([first], 2)).not.toBe(before);
    expect(builds).toBe(4);
  });
});
