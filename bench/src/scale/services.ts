/**
 * Whether the machine's services the scale-out benchmarks lean on (nats-server, redis-server)
 * answer: the smoke tests skip without them, except under CI, where a missing one fails the test
 * file (as the driver packages' tests do).
 */
import { connect } from 'node:net';

/** Why `host:port` cannot be used now, or `undefined` when it accepts a connection; throws under `CI=true`. */
export async function serviceUnavailable(
  name: string,
  host: string,
  port: number,
): Promise<string | undefined> {
  const reason = await new Promise<string | undefined>((resolve) => {
    const socket = connect({ host, port });
    const done = (why: string | undefined): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(why);
    };
    const timer = setTimeout(() => done('no answer within 1 s'), 1_000);
    socket.once('connect', () => done(undefined));
    socket.once('error', (error) => done(error.message));
  });
  if (reason === undefined) return undefined;
  const message = `no ${name} at ${host}:${port} (${reason})`;
  if (process.env.CI === 'true') throw new Error(`${message}: required under CI`);
  console.warn(`skipping: ${message}`);
  return message;
}
