import { RedisDriverError, RedisErrorCode } from './errors.js';

/** What a cluster name may be: the rule of `config/cluster.*` (`name`). */
const CLUSTER_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The names of one cluster's keys. Every key starts with `shaddock:<cluster>:`, so clusters share
 * a Redis without meeting; what follows the last fixed part is the name as given (a channel name,
 * a uid, a frontend id), never parsed back out of a key.
 *
 * | key                                   | type | holds                                              |
 * |---------------------------------------|------|----------------------------------------------------|
 * | `shaddock:<cluster>:channels`         | set  | the names of the channels that have members        |
 * | `shaddock:<cluster>:channel:<name>`   | hash | uid → frontend id, one field per member            |
 * | `shaddock:<cluster>:status:<uid>`     | list | `<sessionId>:<frontendId>`, one per session, in order |
 * | `shaddock:<cluster>:frontend:<id>`    | set  | the uids with a session on that frontend           |
 * | `shaddock:<cluster>:placement`        | hash | `<kind>\n<key>` → owning server id                 |
 * | `shaddock:<cluster>:placement-lost`   | hash | `<kind>\n<key>` → owner that left, until claimed   |
 * | `shaddock:<cluster>:placement-owner:<id>` | set | the `<kind>\n<key>` fields that server owns     |
 *
 * Released placement keys are published on the channel `shaddock:<cluster>:placement-released`.
 */
export class ClusterKeys {
  readonly cluster: string;
  /** `shaddock:<cluster>:`: every key of the cluster starts with it. */
  readonly prefix: string;
  readonly channels: string;
  /** What a channel's key starts with. */
  readonly channelPrefix: string;
  /** What a uid's status key starts with. */
  readonly statusPrefix: string;
  /** What a frontend's uid set key starts with. */
  readonly frontendPrefix: string;
  readonly placement: string;
  readonly placementLost: string;
  readonly placementOwnerPrefix: string;
  /** The pub/sub channel of released placement keys. */
  readonly placementReleased: string;

  constructor(cluster: string) {
    if (!CLUSTER_NAME.test(cluster)) {
      throw new RedisDriverError(
        RedisErrorCode.OptionsInvalid,
        `cluster name "${cluster}" must be 1-64 letters, digits, "-" or "_"`,
      );
    }
    this.cluster = cluster;
    this.prefix = `shaddock:${cluster}:`;
    this.channels = `${this.prefix}channels`;
    this.channelPrefix = `${this.prefix}channel:`;
    this.statusPrefix = `${this.prefix}status:`;
    this.frontendPrefix = `${this.prefix}frontend:`;
    this.placement = `${this.prefix}placement`;
    this.placementLost = `${this.prefix}placement-lost`;
    this.placementOwnerPrefix = `${this.prefix}placement-owner:`;
    this.placementReleased = `${this.prefix}placement-released`;
  }

  channel(name: string): string {
    return this.channelPrefix + name;
  }

  status(uid: string): string {
    return this.statusPrefix + uid;
  }

  frontend(frontendId: string): string {
    return this.frontendPrefix + frontendId;
  }

  placementOwner(serverId: string): string {
    return this.placementOwnerPrefix + serverId;
  }
}
