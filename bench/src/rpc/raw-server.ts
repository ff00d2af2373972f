/**
 * Child process of the `raw` reference target: a plain `net` server that echoes each whole
 * length-prefixed frame back, one write per chunk read, on the port given as the first argument.
 */
import { createServer, type Socket } from 'node:net';
import { numberArgument, serveOrchestrator } from './child.js';
import { HOST } from './messages.js';
import { RawFrameCutter } from './raw-framing.js';

await serveOrchestrator(async () => {
  const port = numberArgument(0, 'port');
  let served = 0;
  const sockets = new Set<Socket>();
  const countFrame = (): void => {
    served++;
  };
  const server = createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const cutter = new RawFrameCutter();
    socket.on('data', (chunk: Buffer) => {
      const whole = cutter.push(chunk, countFrame);
      if (whole.length > 0) socket.write(whole);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, HOST, resolve);
  });
  return {
    handle: (message) => {
      if (message.kind !== 'stats') throw new Error(`a server does not take ${message.kind}`);
      return { kind: 'stats', served };
    },
    stop: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
});
