import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { constants } from 'node:os';
import { join, resolve } from 'node:path';
import { ErrorCode, ShaddockError } from '../errors.js';
import type { CliIo } from './io.js';

/** `shaddock start`'s options that concern the master process. */
export interface StartOptions {
  dir: string;
  env: string;
  entry?: string;
  daemon?: boolean;
}

/** The app's entry: `--entry` (relative to `--dir`), else `app.js`, else `dist/app.js`. */
export function resolveEntry(dir: string, entry: string | undefined): string {
  if (entry !== undefined) return resolve(dir, entry);
  const candidates = [join(dir, 'app.js'), join(dir, 'dist', 'app.js')];
  const found = candidates.find((candidate) => existsSync(candidate));
  if (found) return resolve(found);
  throw new ShaddockError(
    ErrorCode.CliUsage,
    `no app entry: looked for ${candidates.join(' and ')} (use --entry)`,
  );
}

const FORWARDED: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Runs `node <entry> env=<env>` as the master. In the foreground it waits for the master's exit
 * and resolves with its exit code; Ctrl-C (or SIGTERM/SIGHUP) is passed on to the master, which
 * stops the cluster gracefully (a second one kills it). The master has its own process group, so
 * the signal reaches it once, through here, whether it came from a terminal or from `kill`.
 * With `daemon`, the master is detached, its output appended to `<dir>/logs/master.log`, and the
 * command returns at once after printing its pid.
 */
export async function startMaster(options: StartOptions, io: CliIo): Promise<number> {
  const dir = resolve(options.dir);
  const entry = resolveEntry(dir, options.entry);
  const args = [entry, `env=${options.env}`];
  if (options.daemon) {
    mkdirSync(join(dir, 'logs'), { recursive: true });
    const logFile = join(dir, 'logs', 'master.log');
    const output = openSync(logFile, 'a');
    try {
      const child = spawn(process.execPath, args, {
        cwd: dir,
        detached: true,
        stdio: ['ignore', output, output],
      });
      child.unref();
      io.out(`master started in the background: pid ${child.pid}, output in ${logFile}\n`);
      return child.pid === undefined ? 1 : 0;
    } finally {
      closeSync(output);
    }
  }
  const child = spawn(process.execPath, args, {
    cwd: dir,
    detached: true,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const forward = (signal: NodeJS.Signals): void => {
    child.kill(signal);
  };
  for (const signal of FORWARDED) process.on(signal, forward);
  try {
    return await new Promise<number>((resolveExit, reject) => {
      child.once('error', reject);
      child.once('exit', (code, signal) =>
        resolveExit(code ?? (signal ? 128 + constants.signals[signal] : 1)),
      );
    });
  } finally {
    for (const signal of FORWARDED) process.off(signal, forward);
  }
}
