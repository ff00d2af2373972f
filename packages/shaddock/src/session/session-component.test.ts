import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../errors.js';
import type { ServerInfo } from '../membership/index.js';
import { RemoteRegistry } from '../rpc/index.js';
import type { Application } from '../server/index.js';
import { testApplication } from '../testing/index.js';
import { BackendSessionService, SessionService, sessionComponent } from './index.js';

function makeApp(
  server: ServerInfo,
  sessionConfig?: unknown,
): { app: Application; registry: RemoteRegistry } {
  const app = testApplication(server, { base: '/nonexistent' });
  if (sessionConfig !== undefined) app.set('sessionConfig', sessionConfig);
  // what the RPC component provides when the server starts
  const registry = new RemoteRegistry();
  app.services.provide('remoteRegistry', registry);
  return { app, registry };
}

const connector: ServerInfo = {
  id: 'connector-1',
  serverType: 'connector',
  host: '127.0.0.1',
  frontend: true,
};
const chat: ServerInfo = { id: 'chat-1', serverType: 'chat', host: '127.0.0.1', frontend: false };

describe('sessionComponent', () => {
  it('on a frontend provides both services when made, and registers sessionRemote on start', async () => {
    const { app, registry } = makeApp(connector);
    const component = sessionComponent(app);
    expect(component.name).toBe('session');
    const sessions = app.services.get('sessionService');
    expect(sessions).toBeInstanceOf(SessionService);
    expect(sessions.frontendId).toBe('connector-1');
    expect(sessions.singleSession).toBe(false);
    expect(app.services.get('backendSessionService')).toBeInstanceOf(BackendSessionService);
    await component.start?.();
    expect(registry.methodNames('sys', 'connector', 'sessionRemote').sort()).toEqual([
      'bind',
      'getSessionById',
      'getSessionsByUid',
      'kickBySessionId',
      'kickByUid',
      'push',
      'pushAll',
      'unbind',
    ]);
  });

  it('on a backend provides only the backend service', async () => {
    const { app, registry } = makeApp(chat);
    const component = sessionComponent(app);
    await component.start?.();
    expect(app.services.has('sessionService')).toBe(false);
    expect(app.services.has('backendSessionService')).toBe(true);
    expect(registry.remoteNames('sys', 'chat')).toEqual([]);
  });

  it('reads singleSession from sessionConfig, true meaning reject', () => {
    const mode = (config: unknown) => {
      const { app } = makeApp(connector, config);
      sessionComponent(app);
      return app.services.get('sessionService').singleSession;
    };
    expect(mode({ singleSession: true })).toBe('reject');
    expect(mode({ singleSession: 'replace' })).toBe('replace');
    expect(mode({ singleSession: false })).toBe(false);
    expect(mode({})).toBe(false);
    expect(() => mode({ singleSession: 'sometimes' })).toThrow(
      expect.objectContaining({ code: ErrorCode.ConfigInvalid }),
    );
  });
});
