/**
 * Membership: who is in the cluster. `ServerInfo` (a server as `servers.json` describes it), the
 * `Membership` driver interface with its read-only `MembershipView`, and `LocalMembership`, the
 * view drivers keep in each process; `ControlPlane`, the driver interface that carries orders,
 * requests between masters and their leader election (scale-out clusters).
 */
export type {
  ControlPlane,
  LeaderCandidate,
  Leadership,
  RequestHandler,
  ServerOrder,
} from './control-plane.js';
export {
  FixedMembership,
  LocalMembership,
  type Membership,
  type MembershipEvent,
  type MembershipView,
} from './membership.js';
export { MASTER_TYPE, type ServerInfo } from './server-info.js';
