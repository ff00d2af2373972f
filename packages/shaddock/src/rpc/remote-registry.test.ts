import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../errors.js';
import { loadRemotes } from './remote-loader.js';
import { RemoteRegistry } from './remote-registry.js';

class BaseRemote {
  inherited(): string {
    return 'base';
  }
}

class ChatRemote extends BaseRemote {
  readonly rooms = new Map<string, string[]>();
  arrow = (): string => 'arrow';
  add(uid: string, room: string): string[] {
    const members = [...(this.rooms.get(room) ?? []), uid];
    this.rooms.set(room, members);
    return members;
  }
  get accessor(): () => string {
    throw new Error('an accessor is never read');
  }
}

describe('RemoteRegistry', () => {
  const registry = new RemoteRegistry();
  registry.registerRemote('chat', 'chatRemote', new ChatRemote());
  registry.registerRemote('chat', 'plain', { echo: (value: unknown) => value, notAFunction: 42 });
  registry.registerSystemRemote('chat', 'msgRemote', { forwardMessage: () => 'forwarded' });

  it('runs own, class and inherited methods with the instance as this', async () => {
    expect(await registry.dispatch('user', 'chat', 'chatRemote', 'add', ['u1', 'r'])).toEqual(['u1']);
    expect(await registry.dispatch('user', 'chat', 'chatRemote', 'add', ['u2', 'r'])).toEqual(['u1', 'u2']);
    expect(await registry.dispatch('user', 'chat', 'chatRemote', 'inherited', [])).toBe('base');
    expect(await registry.dispatch('user', 'chat', 'chatRemote', 'arrow', [])).toBe('arrow');
    expect(await registry.dispatch('user', 'chat', 'plain', 'echo', [7])).toBe(7);
    expect(registry.methodNames('user', 'chat', 'chatRemote').sort()).toEqual(['add', 'arrow', 'inherited']);
  });

  it.each([
    'constructor',
    '__proto__',
    'toString',
    'hasOwnProperty',
    'valueOf',
    'isPrototypeOf',
    '__defineGetter__',
    'accessor',
    'rooms',
    'missing',
  ])('refuses %s with UnknownRemote', async (method) => {
    expect(registry.find('user', 'chat', 'chatRemote', method)).toBeUndefined();
    await expect(registry.dispatch('user', 'chat', 'chatRemote', method, [])).rejects.toMatchObject({
      code: ErrorCode.UnknownRemote,
    });
  });

  it('refuses non-function data and unknown remotes or types', async () => {
    await expect(registry.dispatch('user', 'chat', 'plain', 'notAFunction', [])).rejects.toMatchObject({
      code: ErrorCode.UnknownRemote,
    });
    expect(registry.find('user', 'chat', 'nope', 'add')).toBeUndefined();
    expect(registry.find('user', 'area', 'chatRemote', 'add')).toBeUndefined();
  });

  it('keeps system remotes apart from user remotes', async () => {
    expect(await registry.dispatch('sys', 'chat', 'msgRemote', 'forwardMessage', [])).toBe('forwarded');
    expect(registry.find('user', 'chat', 'msgRemote', 'forwardMessage')).toBeUndefined();
    expect(registry.find('sys', 'chat', 'chatRemote', 'add')).toBeUndefined();
    expect(registry.remoteNames('sys', 'chat')).toEqual(['msgRemote']);
  });

  it('refuses duplicates and non-objects with RemoteInvalid', () => {
    expect(() => registry.registerRemote('chat', 'plain', {})).toThrow(
      expect.objectContaining({ code: ErrorCode.RemoteInvalid }),
    );
    expect(() => registry.registerRemote('chat', 'bad', null as unknown as object)).toThrow(/not an object/);
  });
});

describe('loadRemotes', () => {
  const directory = mkdtempSync(join(tmpdir(), 'shaddock-remotes-'));
  afterAll(() => rmSync(directory, { recursive: true, force: true }));
  const write = (file: string, source: string): void => writeFileSync(join(directory, file), source);
  write('objectRemote.js', 'export default { ping() { return "pong"; } };');
  write('factoryRemote.mjs', 'export default (app) => ({ whoAmI() { return app.name; } });');
  write('asyncRemote.js', 'export default async (app) => ({ whoAmI() { return "async " + app.name; } });');
  write(
    'classRemote.js',
    'export default class ClassRemote { constructor(app) { this.app = app; } whoAmI() { return "class " + this.app.name; } }',
  );
  write('types.d.ts', 'export {};');
  write('objectRemote.test.js', 'throw new Error("tests are not remotes");');
  write('notes.txt', 'not a remote');

  it('loads each file by name: object, factory, async factory and class', async () => {
    const remotes = await loadRemotes(directory, { context: { name: 'chat-1' } });
    expect([...remotes.keys()]).toEqual(['asyncRemote', 'classRemote', 'factoryRemote', 'objectRemote']);
    const registry = new RemoteRegistry();
    for (const [name, remote] of remotes) registry.registerRemote('chat', name, remote);
    expect(await registry.dispatch('user', 'chat', 'objectRemote', 'ping', [])).toBe('pong');
    expect(await registry.dispatch('user', 'chat', 'factoryRemote', 'whoAmI', [])).toBe('chat-1');
    expect(await registry.dispatch('user', 'chat', 'asyncRemote', 'whoAmI', [])).toBe('async chat-1');
    expect(await registry.dispatch('user', 'chat', 'classRemote', 'whoAmI', [])).toBe('class chat-1');
  });

  it('finds nothing in a missing folder', async () => {
    expect((await loadRemotes(join(directory, 'missing'))).size).toBe(0);
  });

  it('refuses a default export that is no remote', async () => {
    const bad = mkdtempSync(join(tmpdir(), 'shaddock-remotes-bad-'));
    try {
      writeFileSync(join(bad, 'numberRemote.js'), 'export default 42;');
      await expect(loadRemotes(bad)).rejects.toMatchObject({ code: ErrorCode.RemoteInvalid });
    } finally {
      rmSync(bad, { recursive: true, force: true });
    }
  });
});
