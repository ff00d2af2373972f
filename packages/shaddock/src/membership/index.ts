export { LocalMembership, type Membership, type MembershipEvent } from './membership.js';
export type { ServerInfo } from './server-info.js';
