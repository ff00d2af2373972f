import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, type Logger, type LogLevel, RepeatLimiter } from './index.js';

/** A logger at `level` writing to memory, with the lines it wrote. */
function memoryLogger(level: LogLevel = 'info'): { logger: Logger; lines(): Array<Record<string, unknown>> } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      text += String(chunk);
      callback();
    },
  });
  const logger = createLogger({ serverId: 'connector-server-1', serverType: 'connector', stream, level });
  const lines = (): Array<Record<string, unknown>> =>
    text
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { logger, lines };
}

/** A clock the test moves. */
function clock(): { now: () => number; advance(ms: number): void } {
  let time = 1_000;
  return { now: () => time, advance: (ms) => (time += ms) };
}

const failure = (uid: string) => ({ err: new Error('no such handler'), route: 'chat.missing.go', uid });

describe('RepeatLimiter', () => {
  it('logs the first failure in full and only counts identical ones within the window', () => {
    const { logger, lines } = memoryLogger();
    const time = clock();
    const repeats = new RepeatLimiter({ windowMs: 10_000, now: time.now });
    expect(repeats.log(logger, 'error', 'chat.missing.go', failure('bob'), 'handler failed')).toBe(true);
    for (let index = 0; index < 1_000; index += 1) {
      time.advance(5);
      expect(repeats.log(logger, 'error', 'chat.missing.go', failure('bob'), 'handler failed')).toBe(false);
    }
    expect(lines()).toHaveLength(1);
    expect(lines()[0]).toMatchObject({ msg: 'handler failed', route: 'chat.missing.go', uid: 'bob' });
    expect(lines()[0]?.['err']).toMatchObject({
      message: 'no such handler',
      stack: expect.stringContaining('at '),
    });
  });

  it('writes one line with the count when the next failure comes after the window, then starts a new one', () => {
    const { logger, lines } = memoryLogger();
    const time = clock();
    const repeats = new RepeatLimiter({ windowMs: 10_000, now: time.now });
    repeats.log(logger, 'error', 'k', failure('bob'), 'handler failed');
    repeats.log(logger, 'error', 'k', failure('ann'), 'handler failed');
    repeats.log(logger, 'error', 'k', failure('joe'), 'handler failed');
    time.advance(10_000);
    expect(repeats.log(logger, 'error', 'k', failure('sue'), 'handler failed')).toBe(true);
    const [first, summary, next] = lines();
    expect(first).toMatchObject({ uid: 'bob' });
    // The summary carries the first failure's fields, without its error.
    expect(summary).toMatchObject({
      level: 50,
      msg: 'handler failed',
      route: 'chat.missing.go',
      uid: 'bob',
      repeated: 2,
    });
    expect(summary).not.toHaveProperty('err');
    expect(next).toMatchObject({ uid: 'sue', err: expect.objectContaining({ message: 'no such handler' }) });
    expect(lines()).toHaveLength(3);
  });

  it('writes no summary for a failure that did not repeat', () => {
    const { logger, lines } = memoryLogger();
    const time = clock();
    const repeats = new RepeatLimiter({ now: time.now });
    repeats.log(logger, 'warn', 'k', { route: 'a' }, 'slow');
    time.advance(60_000);
    repeats.log(logger, 'warn', 'k', { route: 'a' }, 'slow');
    repeats.flush();
    expect(lines().map((line) => line['repeated'])).toEqual([undefined, undefined]);
  });

  it('counts each key on its own', () => {
    const { logger, lines } = memoryLogger();
    const repeats = new RepeatLimiter({ now: clock().now });
    for (const key of ['a', 'b', 'a', 'b', 'a']) repeats.log(logger, 'error', key, { key }, 'failed');
    repeats.flush();
    expect(lines().map((line) => [line['key'], line['repeated']])).toEqual([
      ['a', undefined],
      ['b', undefined],
      ['a', 2],
      ['b', 1],
    ]);
  });

  it('flush writes the pending counts and forgets every key', () => {
    const { logger, lines } = memoryLogger();
    const repeats = new RepeatLimiter({ now: clock().now });
    repeats.log(logger, 'error', 'k', { route: 'a' }, 'failed');
    repeats.log(logger, 'error', 'k', { route: 'a' }, 'failed');
    repeats.flush();
    expect(repeats.size).toBe(0);
    repeats.flush();
    expect(repeats.log(logger, 'error', 'k', { route: 'a' }, 'failed')).toBe(true);
    expect(lines().map((line) => line['repeated'])).toEqual([undefined, 1, undefined]);
  });

  it('ends the windows that are over when a new key comes, writing their counts', () => {
    const { logger, lines } = memoryLogger();
    const time = clock();
    const repeats = new RepeatLimiter({ windowMs: 1_000, now: time.now });
    repeats.log(logger, 'error', 'old', { route: 'old' }, 'failed');
    repeats.log(logger, 'error', 'old', { route: 'old' }, 'failed');
    time.advance(1_000);
    repeats.log(logger, 'error', 'new', { route: 'new' }, 'failed');
    expect(repeats.size).toBe(1);
    expect(lines().map((line) => [line['route'], line['repeated']])).toEqual([
      ['old', undefined],
      ['old', 1],
      ['new', undefined],
    ]);
  });

  it('follows at most maxKeys keys, summarizing and dropping the oldest', () => {
    const { logger, lines } = memoryLogger();
    const repeats = new RepeatLimiter({ maxKeys: 2, now: clock().now });
    repeats.log(logger, 'error', 'a', { key: 'a' }, 'failed');
    repeats.log(logger, 'error', 'a', { key: 'a' }, 'failed');
    repeats.log(logger, 'error', 'b', { key: 'b' }, 'failed');
    repeats.log(logger, 'error', 'c', { key: 'c' }, 'failed');
    expect(repeats.size).toBe(2);
    // 'a' was dropped: it is logged in full again.
    expect(repeats.log(logger, 'error', 'a', { key: 'a' }, 'failed')).toBe(true);
    expect(lines().map((line) => [line['key'], line['repeated']])).toEqual([
      ['a', undefined],
      ['b', undefined],
      ['a', 1],
      ['c', undefined],
      ['a', undefined],
    ]);
  });

  it('does nothing, and remembers nothing, for a level the logger does not write', () => {
    const { logger, lines } = memoryLogger('error');
    const repeats = new RepeatLimiter();
    expect(repeats.log(logger, 'warn', 'k', { route: 'a' }, 'slow')).toBe(false);
    expect(repeats.size).toBe(0);
    expect(lines()).toEqual([]);
  });
});
