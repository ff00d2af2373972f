// The global-push benchmark's app (bench/src/scale/push.ts), with the public API only: two
// connectors and one backend `chat`. Every client enters one room, which the chat server keeps
// twice: as a local channel (`app.channelService`, in its memory) and as a global channel
// (`globalChannelService` from @shaddock/redis, its members in Redis). `chat.chatHandler.send`
// pushes `onChat` through the local channel, `chat.chatHandler.sendGlobal` through the global one.
// The same entry is the master and every server. The orchestrator generates the config and sets:
//   SHADDOCK_BENCH_BASE        the app folder: config/, and app/ (a link to this folder's app/)
//   SHADDOCK_BENCH_PARENT_PID  the master exits when this process (the orchestrator) is gone
//   SHADDOCK_BENCH_REDIS_URL   the Redis the global channel lives in
//   SHADDOCK_BENCH_CLUSTER     its keys' cluster name (one per run: runs sharing a Redis never meet)
// Each server prints `BENCH_READY <serverId> <pid>` once the whole cluster runs (afterStartAll).
import { globalChannel } from '@shaddock/redis';
import { createApp } from 'shaddock';

const app = await createApp({ base: process.env.SHADDOCK_BENCH_BASE });

// As the frontend benchmark's app: the hybrid connector with the dictionary, JSON bodies, heartbeat 30 s.
app.set('connectorConfig', { heartbeat: 30, useDict: true, useProtobuf: false });
// Its own Redis store (an explicit URL): the app's channel store stays in memory, so the local
// channel is a local one.
app.use(globalChannel, {
  url: process.env.SHADDOCK_BENCH_REDIS_URL,
  cluster: process.env.SHADDOCK_BENCH_CLUSTER,
});

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
