// Helpers for tests that run real processes: whether a pid still lives, bounded waits (polling,
// never asserting a time), a record of every pid a test saw so that cleanup can kill what a failed
// test left behind, and the path of the built `shaddock` bin.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The built `shaddock` bin. */
export const SHADDOCK_BIN = fileURLToPath(new URL('../../bin/shaddock.js', import.meta.url));

/** Whether a process with this pid exists (a zombie waiting to be reaped counts as gone). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // "pid (name) S …": the state follows the last parenthesis.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

/**
 * Polls `probe` until it returns `true` or an object; fails after `timeoutMs`, with `context()` in
 * the message when given. (Numbers and strings are refused by the type: a count of 0 would read as
 * done.)
 */
export async function waitFor<T extends object | true>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 20_000,
  context?: () => string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for: ${what}${context ? `\n${context()}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Waits until none of these processes exists. */
export function waitGone(pids: readonly number[], timeoutMs?: number): Promise<true> {
  return waitFor(`pids ${pids.join(', ')} to exit`, () => pids.every((pid) => !alive(pid)), timeoutMs);
}

/** Every pid a test saw; `killAll` SIGKILLs those still running. */
export class PidTracker {
  readonly #pids = new Set<number>();

  add(...pids: (number | null | undefined)[]): void {
    for (const pid of pids)
      if (typeof pid === 'number' && pid > 0 && pid !== process.pid) this.#pids.add(pid);
  }

  /** Every pid recorded since the last `killAll`. */
  all(): number[] {
    return [...this.#pids];
  }

  async killAll(): Promise<void> {
    for (const pid of this.#pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    await waitGone([...this.#pids], 10_000);
    this.#pids.clear();
  }
}
