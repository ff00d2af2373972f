/**
 * Every NATS name `@shaddock/nats` uses (core subjects, JetStream buckets, keys), in one place. Each
 * starts with the cluster's name (`config/cluster.*` `name`, 1-64 letters, digits, `-`, `_`), so two
 * clusters share one NATS without seeing each other.
 *
 * @example
 * controlSubject('prod', 'chat-server-1'); // 'shaddock.prod.control.chat-server-1'
 * membersBucket('prod'); // 'shaddock_prod_members'
 */

/** The root of every core subject of a cluster: `shaddock.<cluster>`. */
export function clusterSubject(cluster: string): string {
  return `shaddock.${cluster}`;
}

/** Where a server takes its orders (stop, kill): `shaddock.<cluster>.control.<serverId>`. */
export function controlSubject(cluster: string, serverId: string): string {
  return `${clusterSubject(cluster)}.control.${serverId}`;
}

/** The JetStream KV bucket of a cluster's members (one key per server id): `shaddock_<cluster>_members`. */
export function membersBucket(cluster: string): string {
  return `shaddock_${cluster}_members`;
}

/** The JetStream stream behind a KV bucket: `KV_<bucket>`. */
export function bucketStream(bucket: string): string {
  return `KV_${bucket}`;
}

/** The subject a KV bucket stores `key` under (what its watchers receive): `$KV.<bucket>.<key>`. */
export function bucketKeySubject(bucket: string, key: string): string {
  return `$KV.${bucket}.${key}`;
}

// A server id becomes a KV key and a subject's last tokens: letters, digits and `-_=/.`, no empty token.
const SERVER_ID = /^[A-Za-z0-9_=/-]+(?:\.[A-Za-z0-9_=/-]+)*$/;

/** Whether `serverId` can name a key and a subject (letters, digits, `-_=/`, and `.` between them). */
export function isNatsSafeId(serverId: string): boolean {
  return serverId.length <= 256 && SERVER_ID.test(serverId);
}

/** Where masters answer each other's requests: `shaddock.<cluster>.masters.<id>`. */
export function masterSubject(cluster: string, id: string): string {
  return `${clusterSubject(cluster)}.masters.${id}`;
}

/** The JetStream KV bucket of a cluster's leader lease: `shaddock_<cluster>_leader`. */
export function leaderBucket(cluster: string): string {
  return `shaddock_${cluster}_leader`;
}
