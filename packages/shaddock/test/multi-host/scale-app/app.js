// The scale-app fixture: a small game written as a user writes one (public API only), for the
// multi-host tests (../multi-host.test.ts). Servers: `gate` (frontends that tell a player which
// connector to use), `connector` (frontends: enter a room, call a chat server for the test), and
// `chat` (backends: a room's channel — a global one in Redis when the cluster has Redis — and a
// ticker that pushes sequence-numbered messages to it). A room lives on the chat server its name
// starts with ('chat-3', or 'chat-3/<name>'). The same entry
// runs every server, one per process, started with `shaddock server` (or `node app.js env=… id=…`)
// inside a host's network namespace; `config/cluster.json` (written by the harness) picks NATS
// membership and Redis stores, or nothing (a fixed membership from servers.json).
//
// Every process appends what happens to it (boot, ready, every membership change with its time)
// to the file SCALE_APP_EVENTS: the namespaces share the file system, and one clock.
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createApp } from 'shaddock';
import { report } from './app/events.js';

// `app/` is beside this file (the harness links the app folder's app.js here); config/ is the app
// folder's, from SHADDOCK_BASE.
const app = await createApp({ appDir: dirname(fileURLToPath(import.meta.url)) });
const id = app.serverId;
// First thing: the tests learn every process's pid.
report(id, 'boot');

for (const event of ['add', 'remove']) {
  app.membership.on(event, (server) => report(id, `member:${event}`, { id: server.id, at: Date.now() }));
}

if (app.isFrontend()) {
  // Players notice a silent connection within 2 heartbeats (2 s).
  app.set('connectorConfig', { heartbeat: 1 });
}

// With Redis in the cluster's config, rooms are global channels: their members kept in Redis, any
// chat server can push to them (Pomelo's globalchannel). Without it, a room is a channel of its
// chat server's memory.
if (app.isBackend() && app.cluster.drivers.redis !== undefined) {
  const { globalChannel } = await import('@shaddock/redis');
  app.use(globalChannel, {});
}

// A room is hosted by the chat server its name starts with.
app.route('chat', (session, servers) => {
  const room = typeof session?.get === 'function' ? session.get('room') : undefined;
  return typeof room === 'string' ? room.split('/')[0] : servers[0].id;
});

app.afterStartup(() => report(id, 'ready', { at: Date.now() }));
app.afterStartAll(() => report(id, 'all', { at: Date.now() }));

await app.start();
