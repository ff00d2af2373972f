// The frontend benchmark's chat app for Shaddock, written as a user writes one, with the public API
// only: a connector (`connector.entryHandler.enter`) and a backend `chat` (`chat.chatHandler.echo`,
// `chat.chatHandler.send`, and `chatRemote` holding the rooms). The same entry is the master and
// every server. The orchestrator (bench/src/frontend/targets.ts) generates the config and sets:
//   SHADDOCK_BENCH_BASE           the app folder: config/, and app/ (a link to this folder's app/)
//   SHADDOCK_BENCH_PARENT_PID     the master exits when this process (the orchestrator) is gone
//   SHADDOCK_BENCH_PUSH_FLUSH_MS  only for the buffered setup: the connector's pushScheduler is
//                                 { type: 'buffer', flushMs } (Pomelo's buffer scheduler); unset,
//                                 the default, 'direct' (the master passes its environment on)
// Each server prints `BENCH_READY <serverId> <pid>` once the whole cluster runs (afterStartAll).
import { createApp } from 'shaddock';
import { roomServer } from './app/room-route.js';

const app = await createApp({ base: process.env.SHADDOCK_BENCH_BASE });

// As the Pinus app: the hybrid connector with the dictionary, JSON bodies, heartbeat 30 s; pushes
// written at once unless the orchestrator asks for the buffered scheduler.
const flushMs = process.env.SHADDOCK_BENCH_PUSH_FLUSH_MS;
app.set('connectorConfig', {
  heartbeat: 30,
  useDict: true,
  useProtobuf: false,
  ...(flushMs ? { pushScheduler: { type: 'buffer', flushMs: Number(flushMs) } } : {}),
});
// A room lives on one chat server: requests and remote calls go where the sender's room is.
app.route('chat', (routeParam, servers) => roomServer(routeParam, servers));

app.afterStartAll(() => {
  process.stdout.write(`BENCH_READY ${app.serverId} ${process.pid}\n`);
});

const parent = Number(process.env.SHADDOCK_BENCH_PARENT_PID);
if (app.isMaster() && parent > 0) {
  // The orchestrator gone (even killed): the master exits, and its servers follow it.
  setInterval(() => {
    if (process.ppid !== parent) process.exit(1);
  }, 500).unref();
}

await app.start();
