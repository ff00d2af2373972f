/**
 * The `nats` target's link: Shaddock's `NatsRpcLink` on a NATS connection of this process (the
 * drivers' `NatsConnections`, as a server run with the NATS drivers has), to the nats-server on
 * 127.0.0.1 at the port given as the first argument, under the cluster named by the second.
 */
import { NatsConnections, NatsRpcLink } from '@shaddock/nats';
import { getLogger } from 'shaddock';
import { numberArgument } from './child.js';
import { HOST } from './messages.js';
import type { EchoEndOptions } from './shaddock-roles.js';

/** The link for an end named `name` (its NATS connection's name), from the command-line arguments. */
export function natsLinkFromArguments(name: string): EchoEndOptions {
  const natsPort = numberArgument(0, 'NATS port');
  const cluster = process.argv[3];
  if (cluster === undefined || cluster === '') throw new Error('argument 2 (cluster name) is missing');
  const logger = getLogger('bench');
  const connections = new NatsConnections({ servers: [`nats://${HOST}:${natsPort}`], name, logger });
  const link = new NatsRpcLink({
    cluster,
    connection: () => connections.acquire(),
    release: () => connections.release(),
    name,
    logger,
  });
  // the link releases the connection when it closes
  return { port: natsPort, link, release: () => link.close() };
}
