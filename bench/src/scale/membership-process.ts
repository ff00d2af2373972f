/**
 * Child process of the eviction benchmark: one cluster member on `NatsMembership` (the NATS
 * driver, its default timing) that joins, announces itself and reports every `add` and `remove` of
 * its view to the orchestrator. Arguments: the NATS port on 127.0.0.1, the cluster name, this
 * server's id. The observer and the member that gets frozen or killed are both this script.
 */
import { NatsConnections, NatsMembership } from '@shaddock/nats';
import { getLogger } from 'shaddock';
import { numberArgument, serveOrchestrator } from '../rpc/child.js';
import { HOST } from '../rpc/messages.js';
import type { MembershipNews } from './membership-messages.js';

function textArgument(index: number, name: string): string {
  const text = process.argv[2 + index];
  if (text === undefined || text === '') throw new Error(`argument ${index + 1} (${name}) is missing`);
  return text;
}

await serveOrchestrator(async () => {
  const natsPort = numberArgument(0, 'NATS port');
  const cluster = textArgument(1, 'cluster name');
  const id = textArgument(2, 'server id');
  const logger = getLogger('bench');
  const connections = new NatsConnections({ servers: [`nats://${HOST}:${natsPort}`], name: id, logger });
  const membership = new NatsMembership({
    cluster,
    server: { id, serverType: 'bench', host: HOST, frontend: false },
    connections,
    logger,
  });
  // news of the members already there comes during start(): it waits until `ready` is sent (the
  // orchestrator's child reads nothing else before it)
  let held: MembershipNews[] | undefined = [];
  for (const event of ['add', 'remove'] as const) {
    membership.on(event, (server) => {
      const at = process.hrtime.bigint();
      if (server.id === id) return;
      const news: MembershipNews = { kind: 'scale-membership', event, id: server.id, at: String(at) };
      if (held) held.push(news);
      else process.send?.(news);
    });
  }
  await membership.start();
  await membership.ready();
  setImmediate(() => {
    for (const news of held ?? []) process.send?.(news);
    held = undefined;
  });
  return {
    handle: (message) => {
      throw new Error(`a membership process takes no ${message.kind}`);
    },
    stop: () => membership.stop(),
  };
});
