/**
 * The side of a benchmark child process that talks to the orchestrator over IPC: it says
 * `ready`, answers requests one at a time, and exits on `stop` or as soon as the orchestrator is
 * gone, so that no child outlives a run.
 */
import { type ChildMessage, describeError, type ParentMessage, readParentMessage } from './messages.js';

/** What a child does. */
export interface ChildRole {
  /** Answers `run` or `stats`; a request the role does not take throws. */
  handle(message: Exclude<ParentMessage, { kind: 'stop' }>): Promise<ChildMessage> | ChildMessage;
  /** Releases sockets and timers before the process exits. */
  stop(): Promise<void> | void;
}

function send(message: ChildMessage): void {
  process.send?.(message);
}

/** Runs `start` (which sets the role up), reports `ready`, then serves the orchestrator. */
export async function serveOrchestrator(start: () => Promise<ChildRole>): Promise<void> {
  if (!process.send) throw new Error('a benchmark child must be started with an IPC channel');
  // the orchestrator gone (even killed): nothing will stop this child, so it stops itself
  process.on('disconnect', () => process.exit(0));
  let role: ChildRole;
  try {
    role = await start();
  } catch (error) {
    send({ kind: 'failed', message: `start failed: ${describeError(error)}` });
    process.exit(1);
  }
  let queue = Promise.resolve();
  process.on('message', (raw: unknown) => {
    queue = queue.then(async () => {
      const message = readParentMessage(raw);
      if (message === undefined) {
        send({ kind: 'failed', message: `unknown request ${JSON.stringify(raw)}` });
        return;
      }
      if (message.kind === 'stop') {
        try {
          await role.stop();
        } finally {
          // exit (not just let the loop drain): some clients keep timers; --cpu-prof still writes its profile
          process.exit(0);
        }
      }
      try {
        send(await role.handle(message));
      } catch (error) {
        send({ kind: 'failed', message: describeError(error) });
      }
    });
  });
  send({ kind: 'ready', pid: process.pid });
}

/** The number given as the command-line argument at `index` (after the script); throws if it is not one. */
export function numberArgument(index: number, name: string): number {
  const text = process.argv[2 + index];
  const value = Number(text);
  if (text === undefined || !Number.isInteger(value) || value <= 0) {
    throw new Error(`argument ${index + 1} (${name}) must be a positive integer, got ${String(text)}`);
  }
  return value;
}
