// A chat in Pomelo 2.x's style, written from Pomelo's documentation: the entry of every server.
// The one Shaddock-specific line is the require below (a Pomelo app has `require('pomelo')`).
const pomelo = require('shaddock/pomelo');
const routeUtil = require('./app/util/route-util');

const app = pomelo.createApp();
app.set('name', 'pomelo-chat');

// The frontends: the gate answers where to connect, the connectors hold the clients.
app.configure('production|development', 'gate|connector', () => {
  app.set('connectorConfig', {
    connector: pomelo.connectors.hybridconnector,
    heartbeat: 10,
    useDict: true,
  });
});

// Requests for a chat server go to the one that holds the user's room.
app.configure('production|development', () => {
  app.route('chat', routeUtil.chat);
  app.filter(pomelo.filters.timeout());
});

app.start();

process.on('uncaughtException', (err) => {
  console.error(`uncaught exception: ${err?.stack}`);
});
