import { describe, expect, it } from 'vitest';
import { CallTable } from './call-table.js';

describe('CallTable', () => {
  it('gets, replaces and deletes by id', () => {
    const table = new CallTable<string>();
    table.set(1, 'a');
    table.set(65, 'b'); // the same home slot as 1 in the first capacity
    table.set(1, 'c');
    expect(table.size).toBe(2);
    expect(table.get(1)).toBe('c');
    expect(table.get(65)).toBe('b');
    table.delete(1);
    expect(table.get(1)).toBeUndefined();
    expect(table.get(65)).toBe('b');
    table.delete(1);
    expect(table.size).toBe(1);
  });

  it('agrees with a Map over a long run of sequential ids settling out of order', () => {
    const table = new CallTable<number>();
    const reference = new Map<number, number>();
    let seed = 7;
    const random = (): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    let nextId = 1;
    for (let step = 0; step < 50_000; step++) {
      if (reference.size < 300 && random() < 0.55) {
        const id = nextId++;
        table.set(id, id * 2);
        reference.set(id, id * 2);
      } else if (reference.size > 0) {
        // mostly the oldest, sometimes any: replies come nearly in order
        const keys = [...reference.keys()];
        const id = random() < 0.8 ? keys[0]! : keys[Math.floor(random() * keys.length)]!;
        table.delete(id);
        reference.delete(id);
      }
      if (step % 997 === 0) {
        for (const [id, value] of reference) expect(table.get(id)).toBe(value);
        expect(table.get(nextId)).toBeUndefined();
      }
    }
    expect(table.size).toBe(reference.size);
    expect(table.values().sort((a, b) => a - b)).toEqual([...reference.values()].sort((a, b) => a - b));
    table.clear();
    expect(table.size).toBe(0);
    expect(table.values()).toEqual([]);
  });

  it('agrees with a Map when ids collide', () => {
    const table = new CallTable<number>();
    const reference = new Map<number, number>();
    let seed = 11;
    const random = (limit: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return Math.floor((seed / 2 ** 32) * limit);
    };
    for (let step = 0; step < 20_000; step++) {
      // few home slots for many ids: long runs, displaced entries, wrap-around
      const id = 1 + random(40) * 64 + random(3);
      if (random(2) === 0) {
        table.set(id, step);
        reference.set(id, step);
      } else {
        table.delete(id);
        reference.delete(id);
      }
      if (step % 101 === 0) {
        for (const [key, value] of reference) expect(table.get(key)).toBe(value);
        expect(table.size).toBe(reference.size);
      }
    }
  });

  it('keeps entries whose ids wrap around the slots', () => {
    const table = new CallTable<number>();
    const ids = [63, 127, 0x7fffffff, 64, 191];
    for (const id of ids) table.set(id, id);
    table.delete(63);
    for (const id of ids.slice(1)) expect(table.get(id)).toBe(id);
  });
});
