import { type ClusterConfig, LOCAL_DRIVER_CONFIG, type ProcessIdentity } from '../config/index.js';
import { createLogger, type Logger } from '../logging/index.js';
import { FixedMembership, type ServerInfo } from '../membership/index.js';
import { Application } from '../server/index.js';

/** Options of {@link testApplication}. */
export interface TestApplicationOptions {
  /** The app's folder (default: a folder that does not exist). */
  readonly base?: string;
  /** Other servers in the config (and so in the fixed membership). */
  readonly configured?: readonly ServerInfo[];
  /** Default: a logger that writes nothing. */
  readonly logger?: Logger;
  readonly env?: string;
}

/** An application whose membership tests may change by hand (`add`, `remove`). */
export type TestApplication = Application & { readonly membership: FixedMembership };

/**
 * An application for `current` (a server, or a server type for `<type>-1`), not started, with a
 * fixed membership of the configured servers: for tests that drive components without a cluster.
 *
 * @example
 * const app = testApplication('connector', { configured: [chatServer] });
 */
export function testApplication(
  current: ServerInfo | string = 'connector',
  options: TestApplicationOptions = {},
): TestApplication {
  const server: ServerInfo =
    typeof current === 'string'
      ? { id: `${current}-1`, serverType: current, host: '127.0.0.1', frontend: current === 'connector' }
      : current;
  const env = options.env ?? 'test';
  const identity: ProcessIdentity = {
    env,
    serverId: server.id,
    serverType: server.serverType,
    master: undefined,
    fields: {},
  };
  const servers = [server, ...(options.configured ?? [])];
  const cluster: ClusterConfig = {
    env,
    base: options.base ?? '/nowhere',
    master: { id: 'master', host: '127.0.0.1', port: 0 },
    servers,
    adminUsers: [],
    drivers: LOCAL_DRIVER_CONFIG,
  };
  const logger =
    options.logger ??
    createLogger({ serverId: server.id, serverType: server.serverType, level: 'silent', file: false });
  const membership = new FixedMembership(servers);
  return new Application({ identity, cluster, currentServer: server, membership, logger }) as TestApplication;
}
