// The connector component in an application, with the real SessionService and HandlerPipeline:
// the dictionary from the handler folders of every server type, the `connector` service.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect } from '@shaddock/client';
import { afterEach, describe, expect, it } from 'vitest';
import { connectorComponent } from '../src/connector/index.js';
import { HandlerPipeline } from '../src/handler/index.js';
import type { ServerInfo } from '../src/membership/index.js';
import type { Application } from '../src/server/index.js';
import { SessionService } from '../src/session/index.js';
import { testApplication } from '../src/testing/index.js';
import { RawClient } from './connector-harness.js';

const folders: string[] = [];

afterEach(async () => {
  for (const folder of folders.splice(0)) await rm(folder, { recursive: true, force: true });
});

async function appFolder(): Promise<string> {
  const base = await mkdtemp(path.join(tmpdir(), 'shaddock-connector-app-'));
  folders.push(base);
  const handlers = {
    connector:
      'export default { async hello(msg, session) { return { hello: msg.name, session: session.id }; } };',
    chat: 'export default { async send(msg) { return { ok: true }; } };',
  };
  for (const [type, source] of Object.entries(handlers)) {
    const folder = path.join(base, 'app', 'servers', type, 'handler');
    await mkdir(folder, { recursive: true });
    await writeFile(path.join(folder, `${type}Handler.js`), source);
  }
  await mkdir(path.join(base, 'config'));
  await writeFile(path.join(base, 'config', 'dictionary.json'), JSON.stringify(['onChat']));
  return base;
}

const connector1: ServerInfo = {
  id: 'connector-1',
  serverType: 'connector',
  host: '127.0.0.1',
  clientPort: 0,
  frontend: true,
};

const chat1: ServerInfo = {
  id: 'chat-1',
  serverType: 'chat',
  host: '127.0.0.1',
  port: 0,
  frontend: false,
};

function application(base: string, current: ServerInfo, servers: ServerInfo[]): Application {
  return testApplication(current, { base, configured: servers.filter((server) => server.id !== current.id) });
}

/** The services the connector component needs: the real SessionService and HandlerPipeline. */
function provideServices(app: Application): { sessions: SessionService; pipeline: HandlerPipeline } {
  const sessions = new SessionService({ frontendId: app.serverId });
  app.services.provide('sessionService', sessions);
  const pipeline = new HandlerPipeline(app);
  app.services.provide('handlers', pipeline);
  return { sessions, pipeline };
}

describe('connectorComponent', () => {
  it('serves clients with the real sessions and handlers, the dictionary from every server type', async () => {
    const app = application(await appFolder(), connector1, [connector1, chat1]);
    app.set('connectorConfig', { heartbeat: 5 });
    const { sessions, pipeline } = provideServices(app);
    await pipeline.load();
    const component = connectorComponent(app);
    expect(component.name).toBe('connector');
    const connector = app.services.get('connector');
    await component.start?.();
    try {
      const port = connector.port as number;
      const raw = await RawClient.tcp(port);
      const handshake = await raw.open();
      expect(handshake['sys']).toMatchObject({
        heartbeat: 5,
        dict: { 'chat.chatHandler.send': 1, 'connector.connectorHandler.hello': 2, onChat: 3 },
      });
      raw.destroy();

      const client = await connect({ host: '127.0.0.1', port, transport: 'ws' });
      const reply = await client.request('connector.connectorHandler.hello', { name: 'shaddock' });
      expect(reply).toMatchObject({ hello: 'shaddock', session: expect.any(Number) });
      const pushed = new Promise((resolve) => client.once('onChat', resolve));
      const session = sessions.get(reply['session'] as number);
      connector.send(connector.encodePush('onChat', { text: 'hi' }), session === undefined ? [] : [session]);
      expect(await pushed).toEqual({ text: 'hi' });
      const kicked = new Promise((resolve) => client.events.once('kick', resolve));
      await component.drain?.(1000);
      await component.stop?.(false);
      expect(await kicked).toEqual({ reason: 'server stopping' });
      expect(connector.connectionCount).toBe(0);
    } finally {
      await component.stop?.(true);
    }
  });

  it('runs on frontends only', async () => {
    const base = await appFolder();
    expect(() => connectorComponent(application(base, chat1, [chat1]))).toThrow(
      expect.objectContaining({ code: 'SHADDOCK_ERR_CONNECTOR_CONFIG_INVALID' }),
    );
  });

  it('fails to start, naming the port, when the port is taken', async () => {
    const base = await appFolder();
    const app = application(base, connector1, [connector1]);
    provideServices(app);
    const component = connectorComponent(app);
    await component.start?.();
    try {
      const taken = app.services.get('connector').port as number;
      const second: ServerInfo = { ...connector1, id: 'connector-2', clientPort: taken };
      const other = application(base, second, [connector1, second]);
      provideServices(other);
      await expect(connectorComponent(other).start?.()).rejects.toMatchObject({
        code: 'SHADDOCK_ERR_CONNECTOR_LISTEN_FAILED',
      });
    } finally {
      await component.stop?.(true);
    }
  });
});
