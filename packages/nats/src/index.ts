/**
 * `@shaddock/nats`: Shaddock's scale-out drivers on NATS. Named by `config/cluster.*` (`"nats"`),
 * `createApp` loads this package and calls {@link createDrivers}: cluster membership on a JetStream
 * KV bucket with sub-second failure detection (no master needed), the control plane that carries
 * orders and elects the leading master, and, with `rpc: { transport: 'nats' }`, the RPC link over
 * NATS for servers that cannot reach each other directly.
 *
 * Security. Everything that acts on the cluster proves the cluster secret (`secret` in
 * `config/cluster.*`, or `SHADDOCK_CLUSTER_SECRET`): an RPC connection over NATS opens with a mutual
 * challenge-response and then carries a MAC on every message (`rpc-link-wire.ts`); orders on a
 * server's control subject and requests between masters are signed, time-stamped and refused
 * when replayed (`signed-requests.ts`). The membership and leader buckets (JetStream KV) are not
 * signed: who may write them is NATS's to say, so give the cluster NATS credentials (`nats: {
 * servers, user, pass }` or `token`) and, on a NATS others share, an account or permissions
 * limited to `shaddock.<cluster>.>`, `$KV.shaddock_<cluster>_*.>` and the JetStream API of its
 * buckets. A forged member entry can point at an address, but nothing talks to it: every RPC
 * connection proves both ways that each end knows the secret.
 *
 * @example
 * // config/cluster.json
 * { "production": { "name": "my-game", "nats": { "servers": "nats://10.0.0.2:4222", "user": "game", "pass": "…" }, "secret": "…" } }
 */
import type { DriverConfig, Drivers } from 'shaddock';
import { sharedNatsConnections } from './nats-connection.js';
import { natsControlPlane } from './nats-control-plane.js';
import { natsMembership } from './nats-membership.js';
import { NatsRpcLink } from './nats-rpc-link.js';

export { KvLeadership, type LeaseTiming } from './leadership.js';
export type { MembershipTiming } from './membership-members.js';
export {
  type NatsConnectionOptions,
  NatsConnections,
  NatsUnreachable,
  sharedNatsConnections,
} from './nats-connection.js';
export { NatsControlPlane, type NatsControlPlaneOptions, natsControlPlane } from './nats-control-plane.js';
export {
  NatsMembership,
  type NatsMembershipOptions,
  natsMembership,
} from './nats-membership.js';
export { NatsRpcLink, type NatsRpcLinkOptions, natsRpcLink } from './nats-rpc-link.js';
export { bucketStream, controlSubject, membersBucket } from './subjects.js';

/**
 * The drivers of a cluster whose config names NATS: membership and the control plane always; the
 * RPC link when `rpc.transport` is `nats` (else the TCP link, the default and fastest, stays).
 * Every driver of a process shares one NATS connection.
 */
export function createDrivers(config: DriverConfig): Drivers {
  const drivers: Drivers = {
    membership: natsMembership(config),
    controlPlane: natsControlPlane(config),
  };
  if (config.rpc.transport !== 'nats') return drivers;
  return {
    ...drivers,
    rpcLink: (context) => {
      const connections = sharedNatsConnections(config, context);
      return new NatsRpcLink({
        cluster: config.name,
        connection: () => connections.acquire(),
        release: () => connections.release(),
        name: context.server.id,
        logger: context.logger,
      });
    },
  };
}
