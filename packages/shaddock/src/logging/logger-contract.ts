import { Writable } from 'node:stream';
import { setImmediate } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { LEVEL_VALUES, type Logger, type LogLevel } from './logger.js';

/** What a {@link LoggerFactory} is given: where to write its JSON lines, and what to bind. */
export interface LoggerContractOptions {
  readonly stream: Writable;
  readonly level: LogLevel;
  readonly serverId: string;
  readonly serverType: string;
}

/** Makes the logger under test, writing one JSON line per call to `options.stream`. */
export type LoggerFactory = (options: LoggerContractOptions) => Logger;

/** A logger under test with the lines it wrote. */
interface Subject {
  readonly logger: Logger;
  lines(): Promise<Array<Record<string, unknown>>>;
}

function subject(factory: LoggerFactory, level: LogLevel = 'info'): Subject {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      text += String(chunk);
      callback();
    },
  });
  const logger = factory({ stream, level, serverId: 'chat-server-1', serverType: 'chat' });
  return {
    logger,
    async lines() {
      // A driver may write a turn later; the contract does not require synchronous writes.
      await setImmediate();
      return text
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    },
  };
}

/**
 * The one contract every {@link Logger} implementation passes (STYLE.md: replaceable drivers, one
 * contract suite): levels filter, bindings and fields land at the top level of each JSON line,
 * errors keep their message and stack, `silent` writes nothing. Call it inside a test file.
 *
 * @example
 * describeLoggerContract('pino', (options) => createLogger(options));
 */
export function describeLoggerContract(name: string, factory: LoggerFactory): void {
  describe(`Logger contract: ${name}`, () => {
    it('writes a message as one JSON line with level, time and msg', async () => {
      const { logger, lines } = subject(factory);
      logger.info('server started');
      const [line, ...rest] = await lines();
      expect(rest).toEqual([]);
      expect(line).toMatchObject({ level: LEVEL_VALUES.info, msg: 'server started' });
      expect(typeof line?.['time']).toBe('number');
    });

    it('writes every level at or above its own, and none below', async () => {
      const { logger, lines } = subject(factory, 'info');
      logger.trace('t');
      logger.debug('d');
      logger.info('i');
      logger.warn('w');
      logger.error('e');
      logger.fatal('f');
      const written = (await lines()).map((line) => [line['level'], line['msg']]);
      expect(written).toEqual([
        [LEVEL_VALUES.info, 'i'],
        [LEVEL_VALUES.warn, 'w'],
        [LEVEL_VALUES.error, 'e'],
        [LEVEL_VALUES.fatal, 'f'],
      ]);
    });

    it('writes trace and debug at trace', async () => {
      const { logger, lines } = subject(factory, 'trace');
      logger.trace('t');
      logger.debug({ step: 2 }, 'd');
      expect((await lines()).map((line) => line['level'])).toEqual([LEVEL_VALUES.trace, LEVEL_VALUES.debug]);
    });

    it('reports its level and which levels are enabled', () => {
      const { logger } = subject(factory, 'warn');
      expect(logger.level).toBe('warn');
      expect(logger.isLevelEnabled('info')).toBe(false);
      expect(logger.isLevelEnabled('warn')).toBe(true);
      expect(logger.isLevelEnabled('fatal')).toBe(true);
      expect(logger.child({ category: 'x' }).isLevelEnabled('info')).toBe(false);
    });

    it('writes nothing at silent', async () => {
      const { logger, lines } = subject(factory, 'silent');
      logger.fatal('f');
      logger.child({ category: 'x' }).error({ err: new Error('boom') }, 'e');
      expect(logger.isLevelEnabled('fatal')).toBe(false);
      expect(await lines()).toEqual([]);
    });

    it('binds serverId and serverType on every line, and child bindings on the child only', async () => {
      const { logger, lines } = subject(factory);
      const child = logger.child({ category: 'match' });
      child.child({ roomId: 7 }).info('nested');
      logger.info('parent');
      const [nested, parent] = await lines();
      expect(nested).toMatchObject({
        serverId: 'chat-server-1',
        serverType: 'chat',
        category: 'match',
        roomId: 7,
      });
      expect(nested?.['msg']).toBe('nested');
      expect(parent).toMatchObject({ serverId: 'chat-server-1', serverType: 'chat', msg: 'parent' });
      expect(parent).not.toHaveProperty('roomId');
      expect(parent?.['category']).not.toBe('match');
    });

    it('merges fields at the top level, with or without a message', async () => {
      const { logger, lines } = subject(factory);
      logger.warn({ route: 'chat.chatHandler.send', uid: 'bob', count: 3 }, 'slow');
      logger.info({ joined: true });
      const [first, second] = await lines();
      expect(first).toMatchObject({ route: 'chat.chatHandler.send', uid: 'bob', count: 3, msg: 'slow' });
      expect(second).toMatchObject({ joined: true, level: LEVEL_VALUES.info });
    });

    it('writes an error under err with its type, message, stack and own properties', async () => {
      const { logger, lines } = subject(factory);
      const error = Object.assign(new TypeError('boom'), { code: 'SHADDOCK_ERR_TEST' });
      logger.error({ err: error, route: 'chat.chatHandler.send' }, 'handler failed');
      const [line] = await lines();
      expect(line).toMatchObject({ msg: 'handler failed', route: 'chat.chatHandler.send' });
      expect(line?.['err']).toMatchObject({ type: 'TypeError', message: 'boom', code: 'SHADDOCK_ERR_TEST' });
      const stack = (line?.['err'] as Record<string, unknown> | undefined)?.['stack'];
      expect(stack).toEqual(expect.stringContaining('TypeError: boom'));
      expect(stack).toEqual(expect.stringContaining('    at '));
    });
  });
}
