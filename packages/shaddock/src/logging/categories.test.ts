import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, getLogger, type Logger, setRootLogger } from './index.js';

/** A root logger writing to memory, with its JSON lines. */
function memoryRoot(serverId: string): { root: Logger; lines(): Array<Record<string, unknown>> } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      text += String(chunk);
      callback();
    },
  });
  const root = createLogger({ serverId, serverType: 'chat', stream, level: 'debug' });
  const lines = (): Array<Record<string, unknown>> =>
    text
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { root, lines };
}

// One sequence: the module's root starts unset, so the order of these steps matters.
describe('getLogger', () => {
  const early = getLogger('early');
  const earlyChild = early.child({ uid: 'bob' });

  it('works before any root is set, at info on the default root', () => {
    expect(early.level).toBe(process.env['SHADDOCK_LOG_LEVEL'] || 'info');
    expect(early.isLevelEnabled('trace')).toBe(false);
  });

  it('follows the root set afterwards, as do children made before it', () => {
    const first = memoryRoot('chat-server-1');
    setRootLogger(first.root);
    early.debug({ step: 1 }, 'after the first root');
    earlyChild.info('child');
    getLogger('late').warn('late');
    expect(first.lines()).toEqual([
      expect.objectContaining({
        serverId: 'chat-server-1',
        category: 'early',
        step: 1,
        msg: 'after the first root',
      }),
      expect.objectContaining({ serverId: 'chat-server-1', category: 'early', uid: 'bob', msg: 'child' }),
      expect.objectContaining({ serverId: 'chat-server-1', category: 'late', msg: 'late' }),
    ]);
    expect(early.level).toBe('debug');

    const second = memoryRoot('chat-server-2');
    setRootLogger(second.root);
    early.info('after the second root');
    earlyChild.error({ err: new Error('boom') }, 'failed');
    expect(first.lines()).toHaveLength(3);
    expect(second.lines()).toEqual([
      expect.objectContaining({ serverId: 'chat-server-2', category: 'early', msg: 'after the second root' }),
      expect.objectContaining({
        category: 'early',
        uid: 'bob',
        err: expect.objectContaining({ message: 'boom' }),
      }),
    ]);
  });

  it('writes a key bound twice once, the child’s value winning', () => {
    const { root, lines } = memoryRoot('chat-server-1');
    setRootLogger(root);
    getLogger('outer').child({ category: 'inner' }).info('x');
    const [line] = lines();
    expect(line?.['category']).toBe('inner');
    expect(JSON.stringify(line).match(/"category"/g)).toHaveLength(1);
  });
});
