import type { ClusterConfig } from '../config/index.js';
import { ErrorCode, ShaddockError } from '../errors.js';
import type { ComponentList } from '../kernel/index.js';
import type { Logger } from '../logging/index.js';
import type { ControlPlane, Membership, ServerInfo } from '../membership/index.js';
import { ClusterMaster } from './cluster-master.js';
import { DEFAULT_STOP_DEADLINE_MS } from './supervisor.js';

/**
 * The environment variable that says whether a scale-out master spawns the servers `servers.json`
 * lists for its host: `0` no (`shaddock master` without `--spawn`), anything else or unset yes
 * (`shaddock start`, or the entry run as the master).
 */
export const MASTER_SPAWN_ENV = 'SHADDOCK_MASTER_SPAWN';

/** What the master process's application offers a scale-out master. */
export interface ClusterMasterApp {
  readonly cluster: ClusterConfig;
  readonly membership: Membership;
  readonly components: ComponentList;
  readonly logger: Logger;
  getCurServer(): ServerInfo;
  stop(force?: boolean, deadlineMs?: number): Promise<void>;
}

/** How the scale-out master process runs. */
export interface RunClusterMasterOptions {
  readonly app: ClusterMasterApp;
  /** The cluster's control plane (the `controlPlane` service); without one this master cannot run. */
  readonly controlPlane: ControlPlane | undefined;
  /** The app's entry script, which the servers it spawns run. */
  readonly entry: string;
  readonly execArgv?: readonly string[];
  /** Where `SHADDOCK_MASTER_SPAWN` is read (default `process.env`). */
  readonly environment?: NodeJS.ProcessEnv;
  /** Milliseconds for a spawned server to join (default 60 000). */
  readonly startupTimeout?: number;
  /** Ends the process (default `process.exit`); tests replace it. */
  readonly exit?: (code: number) => void;
}

/**
 * Runs this process as a master of a scale-out cluster ({@link ClusterMaster}): joins membership
 * as serverType `master`, runs for leadership, serves admins. On SIGINT/SIGTERM (or a stop order on
 * its control subject) it leaves the cluster and exits 0, and every server keeps running: a master
 * of this kind never takes servers down with it (a second signal exits at once). It exits 1 when
 * it cannot start, and 0 once an admin `stop` or `kill` of the whole cluster is done.
 *
 * @example
 * await runClusterMaster({ app, controlPlane: app.services.find('controlPlane'), entry });
 */
export async function runClusterMaster(options: RunClusterMasterOptions): Promise<ClusterMaster> {
  const { app, controlPlane } = options;
  const self = app.getCurServer();
  if (controlPlane === undefined) {
    throw new ShaddockError(
      ErrorCode.MasterState,
      `master ${self.id}: the cluster's driver package provides no control plane (Drivers.controlPlane), ` +
        'which a master of a scale-out cluster runs on',
    );
  }
  const environment = options.environment ?? process.env;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const log = (line: string): void => app.logger.info(line);
  let ending = false;
  const end = (code: number): void => {
    if (ending) return;
    ending = true;
    void app
      .stop(false, DEFAULT_STOP_DEADLINE_MS)
      .catch((error: unknown) =>
        app.logger.error({ err: error }, `stopping the master failed: ${String(error)}`),
      )
      .finally(() => exit(code));
  };
  const master = new ClusterMaster({
    self,
    config: app.cluster,
    membership: app.membership,
    controlPlane,
    entry: options.entry,
    execArgv: options.execArgv ?? [],
    spawnListed: environment[MASTER_SPAWN_ENV] !== '0',
    ...(options.startupTimeout === undefined ? {} : { startupTimeout: options.startupTimeout }),
    onFinish: () => end(0),
    log,
  });
  // app.stop() (a signal, a stop order through membership) stops the master before membership is left
  app.components.add({ name: 'clusterMaster', stop: () => master.stop() });
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    if (signals === 1) {
      log(`${signal}: leaving the cluster; every server keeps running (shaddock stop stops them)`);
      end(0);
    } else {
      log(`${signal} again: exiting now`);
      exit(1);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  void master.stopped.then(() => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  });
  try {
    await master.start();
  } catch (error) {
    app.logger.error(
      { err: error },
      `master ${self.id} cannot start: ${error instanceof Error ? error.message : String(error)}`,
    );
    end(signals > 0 ? 0 : 1);
  }
  return master;
}
