import type { JsonValue } from '@shaddock/protocol';

/**
 * One server of the cluster, as `servers.json` describes it (Pomelo's fields, typed), plus any
 * free app field such as `area`, kept as it was written.
 */
export interface ServerInfo {
  readonly id: string;
  readonly serverType: string;
  readonly host: string;
  /** The RPC port; a server without one takes no RPC. */
  readonly port?: number;
  readonly clientHost?: string;
  /** The client port; every frontend has one. */
  readonly clientPort?: number;
  readonly frontend: boolean;
  readonly 'max-connections'?: number;
  readonly 'auto-restart'?: boolean;
  readonly 'restart-force'?: boolean;
  /** Node arguments put before the app entry, such as `--inspect=…`. */
  readonly args?: string[];
  readonly [appField: string]: JsonValue | undefined;
}

/** The server type of the master process. */
export const MASTER_TYPE = 'master';
