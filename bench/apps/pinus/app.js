// The frontend benchmark's chat app for Pinus 1.7 (CommonJS): the same behaviour as the Shaddock
// app (bench/apps/shaddock/): a hybrid connector (`connector.entryHandler.enter`) and a backend
// `chat` (`chat.chatHandler.echo`, `chat.chatHandler.send`, and `chatRemote` holding the rooms).
// Dictionary on, JSON bodies (no protobuf), heartbeat 30 s.
//
// The orchestrator (bench/src/frontend/targets.ts) runs it from a temp copy of this folder with
// generated config/master.json and config/servers.json: the master in `stand-alone` mode, then
// every server with the `key=value` arguments the Pinus master would pass. Environment:
//   NODE_PATH                  the workspace's node_modules (the copy lives outside the workspace)
//   SHADDOCK_BENCH_PARENT_PID  every process exits when this process (the orchestrator) is gone
// Each server prints `BENCH_READY <serverId> <pid>` once the master has seen every server
// (`start_all`); the master prints `BENCH_READY <masterId> <pid>` once it is up.

require('reflect-metadata');
const { pinus } = require('pinus');
const { roomServer } = require('./app/room-route.js');

const app = pinus.createApp();
app.set('name', 'shaddock-bench-pinus');

app.configure('all', 'connector', () => {
  app.set('connectorConfig', {
    connector: pinus.connectors.hybridconnector,
    heartbeat: 30,
    useDict: true,
    useProtobuf: false,
    // listen on the server's host (127.0.0.1), as the Shaddock connector does
    distinctHost: true,
  });
});

// A room lives on one chat server: requests and remote calls go where the sender's room is.
app.route('chat', (routeParam, _msg, context, cb) => {
  const servers = context.getServersByType('chat');
  if (!servers || servers.length === 0) {
    cb(new Error('no chat server'));
    return;
  }
  cb(null, roomServer(routeParam, servers));
});

let ready = false;

app.event.on('start_all', () => {
  if (app.getServerType() === 'master') return;
  process.stdout.write(`BENCH_READY ${app.getServerId()} ${process.pid}\n`);
});

app.start((error) => {
  if (error) {
    process.stdout.write(`BENCH_FAILED ${app.getServerId()} ${error.stack || error}\n`);
    process.exit(1);
  }
  ready = true;
  if (app.getServerType() === 'master')
    process.stdout.write(`BENCH_READY ${app.getServerId()} ${process.pid}\n`);
});

process.on('uncaughtException', (error) => {
  console.error(app.getServerId(), 'uncaughtException', error);
  if (!ready || error?.code === 'EADDRINUSE') process.exit(1);
});
process.on('unhandledRejection', (reason) => {
  console.error(app.getServerId(), 'unhandledRejection', reason);
});

const parent = Number(process.env.SHADDOCK_BENCH_PARENT_PID);
if (parent > 0) {
  setInterval(() => {
    if (process.ppid !== parent) process.exit(1);
  }, 500).unref();
}
