// The chat's entry: every process runs it. Started without arguments it is the master, which
// starts every server of `config/servers.json` again from this file, each with its id and type.
// Handlers and remotes are found by Pomelo's convention, compiled: dist/app/servers/<type>/
// {handler,remote}/*.js; config/ stays in the example's folder.
import { type ConnectorConfig, createApp } from 'shaddock';
import { clusterBanner } from './app/banner.js';
import { webServer } from './app/components/web-server.js';
import { roomRoute } from './app/routes.js';

const app = await createApp();
app.set('name', 'shaddock-chat');

// A room lives on one chat server: route every chat call by the room's name.
app.route('chat', roomRoute(app));

app.configure('all', 'gate|connector', (app) => {
  // A heartbeat every 10 s: a client silent for 20 s is closed, and leaves its room.
  // Over 20 requests a second from one connection are answered 429.
  app.set('connectorConfig', {
    heartbeat: 10,
    rateLimit: { requests: 20, perMs: 1_000 },
    // In production, clients come from other machines: take every interface.
    ...(app.env === 'production' ? { listenHost: '0.0.0.0' } : {}),
  } satisfies ConnectorConfig);
});
app.configure('all', 'gate', (app) => app.load(webServer));
app.configure('all', 'master', (app) => app.afterStartup((app) => console.log(clusterBanner(app))));

await app.start();
