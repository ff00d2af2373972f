import { ErrorCode, ShaddockError } from '../errors.js';
import { type Registry, restartsOnCrash, type ServerRecord } from './registry.js';
import type { Supervisor } from './supervisor.js';

/** What waiting for servers to be ready needs. */
export interface AwaitReadyOptions {
  readonly registry: Registry;
  readonly supervisor: Supervisor;
  readonly timeoutMs: number;
  /** Whether the master is shutting down, which ends the wait. */
  readonly stopping: () => boolean;
}

/**
 * Resolves once every one of these servers reported ready. Rejects with `StartupFailed` as soon
 * as one exits without auto-restart (or is stopped), with `StartupTimeout` after the timeout
 * (naming the servers not ready), or with `MasterState` when the master shuts down meanwhile.
 * On failure the servers not ready are killed, so nothing half-started is left behind.
 */
export async function awaitReady(
  records: readonly ServerRecord[],
  options: AwaitReadyOptions,
): Promise<void> {
  const { registry, supervisor, timeoutMs, stopping } = options;
  const gaveUp = (record: ServerRecord): boolean =>
    !record.ready &&
    (record.state === 'stopped' || (record.state === 'crashed' && !restartsOnCrash(record.info)));
  const settled = await registry.until(
    () => stopping() || records.some(gaveUp) || records.every((record) => record.ready),
    timeoutMs,
  );
  const notReady = records.filter((record) => !record.ready);
  if (notReady.length === 0) return;
  const names = notReady.map((record) => record.info.id).join(', ');
  if (stopping())
    throw new ShaddockError(ErrorCode.MasterState, `the master stopped before ${names} became ready`);
  const exited = records.find(gaveUp);
  await supervisor.kill(
    notReady.filter((record) => record.child),
    'SIGKILL',
  );
  if (exited) {
    const how = exited.lastExit ?? 'stopped';
    throw new ShaddockError(
      ErrorCode.StartupFailed,
      `server ${exited.info.id} exited before it was ready (${how}) and has no auto-restart`,
    );
  }
  if (!settled) {
    throw new ShaddockError(
      ErrorCode.StartupTimeout,
      `these servers did not report ready within ${timeoutMs} ms: ${names}`,
    );
  }
}
