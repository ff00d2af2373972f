import { Master, type MasterOptions } from './master.js';
import { DEFAULT_STOP_DEADLINE_MS } from './supervisor.js';

/** How the master process runs. */
export interface RunMasterOptions extends MasterOptions {
  /** The deadline of the graceful stop a signal starts (default 10 000 ms). */
  readonly stopDeadlineMs?: number;
  /** Ends the process (default `process.exit`); tests replace it. */
  readonly exit?: (code: number) => void;
}

/**
 * Runs this process as the master: starts the cluster, and on SIGINT/SIGTERM stops it gracefully
 * and exits 0 (a second signal kills every server at once). Also exits once an admin `stop` or
 * `kill` ends the master, and exits 1 when the cluster cannot start. Resolves with the master once
 * every server is ready.
 *
 * @example
 * await runMaster({ config, entry: fileURLToPath(import.meta.url) });
 */
export async function runMaster(options: RunMasterOptions): Promise<Master> {
  const master = new Master(options);
  const log = options.log ?? ((line: string) => process.stdout.write(`[master] ${line}\n`));
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    if (signals === 1) {
      log(`${signal}: stopping the cluster (again to kill it)`);
      void master.stop(options.stopDeadlineMs ?? DEFAULT_STOP_DEADLINE_MS);
    } else {
      log(`${signal} again: killing every server`);
      void master.kill(true).catch(() => {});
    }
  };
  const release = (): void => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await master.start();
  } catch (error) {
    release();
    log(error instanceof Error ? error.message : String(error));
    exit(signals > 0 ? 0 : 1);
    return master;
  }
  void master.stopped.then(() => {
    release();
    exit(0);
  });
  return master;
}
