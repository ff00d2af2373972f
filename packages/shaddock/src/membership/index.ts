/**
 * Membership: who is in the cluster. `ServerInfo` (a server as `servers.json` describes it), the
 * `Membership` driver interface with its read-only `MembershipView`, and `LocalMembership`, the
 * view drivers keep in each process.
 */
export {
  FixedMembership,
  LocalMembership,
  type Membership,
  type MembershipEvent,
  type MembershipView,
} from './membership.js';
export { MASTER_TYPE, type ServerInfo } from './server-info.js';
