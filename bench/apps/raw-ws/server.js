// The frontend benchmark's floor: a plain `ws` server that does the least a Pomelo-style server
// must, and nothing of a framework. Frames pass through unchanged: a request is sent back to its
// sender (echo), a notify goes to every connected client (one room: broadcast), a heartbeat is
// answered with itself; a handshake gets a canned response holding the same dictionary as the
// apps' (so the load generator's client is the same for every target), the ACK is dropped.
//
//   node server.js <port>      listens on 127.0.0.1:<port>, prints `BENCH_READY raw-ws <pid>`
// SHADDOCK_BENCH_PARENT_PID: exits when that process (the orchestrator) is gone.
import { WebSocketServer } from 'ws';

const HOST = '127.0.0.1';
const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0) {
  console.error(`usage: node server.js <port> (got ${String(process.argv[2])})`);
  process.exit(2);
}

const PACKAGE_HANDSHAKE = 1;
const PACKAGE_HEARTBEAT = 3;
const PACKAGE_DATA = 4;
const MESSAGE_REQUEST = 0;
const MESSAGE_NOTIFY = 1;

// Codes as the apps give them: sorted handler routes, then config/dictionary.json.
const dict = {
  'chat.chatHandler.echo': 1,
  'chat.chatHandler.send': 2,
  'connector.entryHandler.enter': 3,
  onChat: 4,
};
const handshakeBody = Buffer.from(JSON.stringify({ code: 200, sys: { heartbeat: 30, useDict: true, dict } }));
const handshake = Buffer.alloc(4 + handshakeBody.length);
handshake[0] = PACKAGE_HANDSHAKE;
handshake.writeUIntBE(handshakeBody.length, 1, 3);
handshakeBody.copy(handshake, 4);

const server = new WebSocketServer({ host: HOST, port, perMessageDeflate: false, clientTracking: true });

server.on('connection', (socket) => {
  socket.on('error', () => socket.terminate());
  socket.on('message', (frame, isBinary) => {
    if (!isBinary || frame.length < 4) return;
    const type = frame[0];
    if (type === PACKAGE_DATA && frame.length > 4) {
      const messageType = (frame[4] >> 1) & 0x7;
      if (messageType === MESSAGE_REQUEST) socket.send(frame, { binary: true });
      else if (messageType === MESSAGE_NOTIFY) {
        for (const client of server.clients) client.send(frame, { binary: true });
      }
    } else if (type === PACKAGE_HEARTBEAT) {
      socket.send(frame, { binary: true });
    } else if (type === PACKAGE_HANDSHAKE) {
      socket.send(handshake, { binary: true });
    }
  });
});

server.on('listening', () => process.stdout.write(`BENCH_READY raw-ws ${process.pid}\n`));
server.on('error', (error) => {
  console.error(`raw-ws: ${error.message}`);
  process.exit(1);
});

const stop = () => {
  for (const client of server.clients) client.terminate();
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 1000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

const parent = Number(process.env.SHADDOCK_BENCH_PARENT_PID);
if (parent > 0) {
  setInterval(() => {
    if (process.ppid !== parent) process.exit(1);
  }, 500).unref();
}
