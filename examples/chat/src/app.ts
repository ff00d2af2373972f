// The chat's entry: every process runs it. Started without arguments it is the master, which
// starts every server of `config/servers.json` again from this file, each with its id and type.
// Handlers and remotes are found by Pomelo's convention, compiled: dist/app/servers/<type>/
// {handler,remote}/*.js; config/ stays in the example's folder.
import { type ConnectorConfig, createApp } from 'shaddock';
import { clusterBanner, serverReadyLine } from './app/banner.js';
import { webServer } from './app/components/web-server.js';
import { forgetPreviousRun, rejoinMovedRooms, roomsInRedis } from './app/rooms/index.js';
import { roomRoute } from './app/routes.js';

const app = await createApp();
app.set('name', 'shaddock-chat');

// A room lives on one chat server, the one the placement table names: route every chat call by
// the room's name. Rooms stay where they are when chat servers are added; when a room's server
// leaves, its connectors enter its users again on the server that takes it over.
app.route('chat', roomRoute(app));
app.configure('all', 'connector', (app) => app.afterStartup(rejoinMovedRooms));
app.configure('all', 'chat', (app) =>
  app.afterStartup((app) => {
    app.placement.on('adopted', ({ key, from }) => {
      app.logger.info(`room "${key}" re-created here: its server ${from} left the cluster`);
    });
  }),
);

// With Redis in the cluster's config (the `scale` environment), rooms live there, as global
// channels that every chat server reads and every connector clears of its previous run's users.
if (roomsInRedis(app)) {
  const { globalChannel } = await import('@shaddock/redis');
  app.configure('all', 'chat|connector', (app) => app.use(globalChannel, {}));
  app.configure('all', 'connector', (app) => app.beforeStartup(forgetPreviousRun));
}

app.configure('all', 'gate|connector', (app) => {
  // A heartbeat every 10 s: a client silent for 20 s is closed, and leaves its room.
  // Over 20 requests a second from one connection are answered 429.
  app.set('connectorConfig', {
    heartbeat: 10,
    rateLimit: { requests: 20, perMs: 1_000 },
    // In production and on Kubernetes, clients come from other machines: take every interface
    // (CHAT_LISTEN_HOST names one instead: the attack tests run production on 127.0.0.1 only).
    ...(app.env === 'production' || app.env === 'kubernetes'
      ? { listenHost: process.env['CHAT_LISTEN_HOST'] || '0.0.0.0' }
      : {}),
  } satisfies ConnectorConfig);
});
app.configure('all', 'gate', (app) => app.load(webServer));
app.configure('all', 'master', (app) => app.afterStartup((app) => console.log(clusterBanner(app))));
// Without a master (`shaddock server`), each server says when the cluster around it is complete.
if (!app.isMaster() && app.identity.master === undefined) {
  app.afterStartAll((app) => app.logger.info(serverReadyLine(app)));
}

await app.start();
