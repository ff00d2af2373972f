// The shared services some tests need (NATS, Redis): whether one is there, and what a test file
// does when it is not — skip, saying why, on a development machine; fail under CI (`CI=true`),
// which always provides them (DESIGN.md §7), so that a missing service never passes unnoticed.
import { Socket } from 'node:net';

/** The NATS the tests use: `SHADDOCK_TEST_NATS_URL`, else the development machine's. */
export const TEST_NATS_URL = process.env['SHADDOCK_TEST_NATS_URL'] ?? 'nats://127.0.0.1:4222';

/** Whether something accepts TCP connections at `url` (`scheme://host:port`; NATS's 4222 when no port). */
export function isListening(url: string, timeoutMs = 1_000): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (result: boolean): void => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.connect(Number(port) || 4222, hostname, () => done(true));
  });
}

/**
 * What a test file does with `reason`, why a service it needs is missing (`undefined`: nothing is):
 * under CI it throws (the file fails, naming the reason); elsewhere it prints that `tests` are
 * skipped and why, and answers the reason, for `describe.skipIf(reason !== undefined)`.
 */
export function skipUnlessCi(tests: string, reason: string | undefined): string | undefined {
  if (reason === undefined) return undefined;
  if (process.env['CI'] === 'true') throw new Error(`${reason}: CI runs ${tests} and must provide it`);
  console.warn(`${tests} skipped: ${reason}`);
  return reason;
}

/** Why the tests cannot use NATS at `url` (nothing listens there), or `undefined`; see {@link skipUnlessCi}. */
export async function natsUnavailable(tests: string, url = TEST_NATS_URL): Promise<string | undefined> {
  const reason = (await isListening(url))
    ? undefined
    : `no NATS with JetStream at ${url} (start nats-server -js)`;
  return skipUnlessCi(tests, reason);
}
