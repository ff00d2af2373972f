/** The `shaddock` command: `init`, `start`, `server`, `master`, `list`, `stop`, `kill`, `add`, `restart`. */
import { CommanderError } from 'commander';
import { ShaddockError } from '../errors.js';
import { type CliIo, processIo } from './io.js';
import { buildProgram } from './program.js';

export type { CliIo } from './io.js';

/**
 * Runs the `shaddock` command with `argv` (the user's arguments, without `node` and the script)
 * and resolves with the exit code; errors are written to `io.err`, never thrown.
 *
 * @example
 * process.exitCode = await runCli(process.argv.slice(2));
 */
export async function runCli(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const result = { code: 0 };
  try {
    await buildProgram(io, result).parseAsync([...argv], { from: 'user' });
    return result.code;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    const message = error instanceof ShaddockError ? `${error.message} (${error.code})` : String(error);
    io.err(`shaddock: ${message}\n`);
    return 1;
  }
}
