import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../errors.js';
import { RemoteRegistry } from '../rpc/index.js';
import { collectHandlerRoutes, handlerComponent } from './index.js';
import { memorySession, testApp } from './test-kit.js';

const base = mkdtempSync(join(tmpdir(), 'shaddock-handlers-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

function write(serverType: string, file: string, source: string): void {
  const folder = join(base, 'app', 'servers', serverType, 'handler');
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, file), source);
}

write(
  'connector',
  'entryHandler.js',
  'export default { async entry(message, session) { return { uid: session.uid }; } };',
);
write(
  'chat',
  'chatHandler.js',
  'export default (app) => ({ async send(message) { return { server: app.serverId, text: message.text }; } });',
);
write(
  'chat',
  'roomHandler.mjs',
  'export default class RoomHandler { constructor(app) { this.app = app; } async join() { return {}; } toString() { return "x"; } }',
);
write('chat', 'chatHandler.test.js', 'throw new Error("tests are not handlers");');

describe('collectHandlerRoutes', () => {
  it('lists the routes of every server type from its handler folder', async () => {
    const app = testApp('connector', { base });
    expect(await collectHandlerRoutes(base, ['connector', 'chat', 'gate', 'chat'], app)).toEqual([
      'connector.entryHandler.entry',
      'chat.chatHandler.send',
      'chat.roomHandler.join',
    ]);
  });

  it('refuses a handler file whose default export is no handler', async () => {
    write('broken', 'badHandler.js', 'export default 42;');
    await expect(collectHandlerRoutes(base, ['broken'])).rejects.toMatchObject({
      code: ErrorCode.HandlerInvalid,
    });
  });
});

describe('handlerComponent', () => {
  it('provides the handlers service at once; on start loads the folder and registered handlers and offers messageRemote', async () => {
    const app = testApp('chat', { base });
    const remotes = new RemoteRegistry();
    app.services.provide('remoteRegistry', remotes);
    const component = handlerComponent(app, {
      handlers: [['pingHandler', { ping: async () => ({ pong: true }) }]],
      createSession: () => memorySession(),
    });
    expect(component.name).toBe('handler');
    expect(app.services.get('handlers')).toBe(component.pipeline);
    await component.start();
    expect([...component.pipeline.routes()].sort()).toEqual([
      'chat.chatHandler.send',
      'chat.pingHandler.ping',
      'chat.roomHandler.join',
    ]);
    expect(remotes.methodNames('sys', 'chat', 'messageRemote')).toEqual(['forwardMessage']);
    const data = { id: 1, frontendId: 'connector-1', uid: 'u1', settings: {} };
    expect(
      await remotes.dispatch('sys', 'chat', 'messageRemote', 'forwardMessage', [
        { id: 4, route: 'chat.chatHandler.send', body: { text: 'hey' } },
        data,
      ]),
    ).toEqual({ response: { server: 'chat-1', text: 'hey' } });
  });
});
