import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../errors.js';
import type { ServerInfo } from '../membership/index.js';
import { serverFromWire, withDiskOnlyFields } from './server-fields.js';

const base = { id: 'chat-3', serverType: 'chat', host: '127.0.0.1' };

describe('serverFromWire', () => {
  it('keeps the allowed fields and plain app fields', () => {
    expect(
      serverFromWire({
        ...base,
        port: 4053,
        clientPort: 3053,
        frontend: true,
        'auto-restart': true,
        room: 'lobby',
        weight: 2,
      }),
    ).toEqual({
      ...base,
      port: 4053,
      clientPort: 3053,
      frontend: true,
      'auto-restart': true,
      room: 'lobby',
      weight: 2,
    });
    expect(serverFromWire(base)).toEqual({ ...base, frontend: false });
  });

  it.each([
    [{ args: ['-e', 'process.exit(9)'] }, /"args" cannot come from an admin connection/],
    [{ args: '--inspect' }, /"args" cannot come from an admin connection/],
    [{ execArgv: ['--require=/tmp/x.js'] }, /"execArgv" cannot/],
    [{ 'restart-force': true }, /"restart-force" cannot/],
    [{ env: 'production' }, /"env" cannot/],
    [{ masterHost: '10.0.0.9' }, /"masterHost" cannot/],
    [{ '--require': '/tmp/x.js' }, /is not a field name/],
    [{ serverType: '../../tmp/evil' }, /"serverType" must be/],
    [{ serverType: 'master' }, /cannot be master/],
    [{ id: 'a/b' }, /"id" must be/],
    [{ host: 'x y' }, /"host" must be/],
    [{ port: 70_000 }, /"port" must be a port/],
    [{ room: { nested: true } }, /"room" must be a string/],
  ])('refuses %j', (fields, message) => {
    expect(() => serverFromWire({ ...base, ...fields })).toThrow(message);
    try {
      serverFromWire({ ...base, ...fields });
    } catch (error) {
      expect(error).toMatchObject({ code: ErrorCode.AdminCommandFailed });
    }
  });

  it('takes args and restart-force of a listed server from servers.json', () => {
    const listed = [
      { ...base, frontend: false, args: ['--max-old-space-size=512'], 'restart-force': true } as ServerInfo,
    ];
    expect(withDiskOnlyFields(serverFromWire({ ...base, port: 1 }), listed)).toEqual({
      ...base,
      frontend: false,
      port: 1,
      args: ['--max-old-space-size=512'],
      'restart-force': true,
    });
    expect(withDiskOnlyFields(serverFromWire({ ...base, id: 'other' }), listed)).toEqual({
      ...base,
      id: 'other',
      frontend: false,
    });
  });
});
