/**
 * Child process of the `raw` reference target: one `net` connection, frames written once per
 * turn (as Shaddock does), replies matched to calls in order (the server echoes in order).
 */
import { connect } from 'node:net';
import { numberArgument, serveOrchestrator } from './child.js';
import { type Invoke, type Lane, LoadSession } from './load.js';
import { HOST } from './messages.js';
import { RAW_HEADER, RawFrameCutter } from './raw-framing.js';

await serveOrchestrator(async () => {
  const port = numberArgument(0, 'port');
  const socket = connect({ host: HOST, port, noDelay: true });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const waiting: Lane[] = [];
  let head = 0;
  const cutter = new RawFrameCutter();
  const onFrame = (payload: Buffer): void => {
    const lane = waiting[head++];
    if (head === waiting.length) {
      waiting.length = 0;
      head = 0;
    }
    lane?.resolved(payload.toString('latin1'));
  };
  socket.on('data', (chunk: Buffer) => void cutter.push(chunk, onFrame));
  socket.on('close', () => {
    for (const lane of waiting.splice(head)) lane.rejected(new Error('connection closed'));
  });
  let pending: Buffer[] = [];
  const flush = (): void => {
    const frames = pending;
    pending = [];
    socket.write(frames.length === 1 ? frames[0]! : Buffer.concat(frames));
  };
  const invoke: Invoke = (argument, lane) => {
    const frame = Buffer.allocUnsafe(RAW_HEADER + argument.length);
    frame.writeUInt32BE(argument.length, 0);
    frame.write(argument, RAW_HEADER, 'latin1');
    waiting.push(lane);
    if (pending.push(frame) === 1) process.nextTick(flush);
  };
  const session = new LoadSession(invoke);
  return {
    handle: async (message) => {
      if (message.kind !== 'run') throw new Error(`a client does not take ${message.kind}`);
      return {
        kind: 'result',
        result: await session.run(message.inFlight, message.durationMs, message.reset),
      };
    },
    stop: () => void socket.destroy(),
  };
});
