/**
 * The orchestrator's side of the child processes: spawning a child script (pinned to a CPU when
 * asked), its IPC requests and replies, its output, and stopping it for sure.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { type ChildMessage, HOST, type ParentMessage, readChildMessage } from './messages.js';

/**
 * The compiled child script `name` (`bench/dist/rpc/<name>.js`): the same path from `src/rpc`
 * (under vitest) and from `dist/rpc`, so the smoke test runs the built children too.
 */
export function childScript(name: string): string {
  const path = fileURLToPath(new URL(`../../dist/rpc/${name}.js`, import.meta.url));
  if (!existsSync(path)) throw new Error(`${path} is missing: build first (npm run build)`);
  return path;
}

/** A port free on the loopback interface now: bound on port 0 by a net server, then released. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no port was bound'))));
    });
  });
}

/** Whether `taskset -c <cpu>` works here (Linux, util-linux installed, the CPU allowed). */
export function canPin(cpu: number): boolean {
  try {
    return spawnSync('taskset', ['-c', String(cpu), 'true'], { stdio: 'ignore' }).status === 0;
  } catch {
    return false;
  }
}

/** How to start one child. */
export interface ChildOptions {
  /** Names it in output lines and errors: `shaddock server`. */
  readonly label: string;
  readonly script: string;
  readonly args: readonly string[];
  /** Options for node itself, such as `--cpu-prof`. */
  readonly nodeArgs: readonly string[];
  /** Pins it to this CPU with `taskset`; unpinned when undefined. */
  readonly cpu: number | undefined;
  /** Hears each line it prints (unless `quiet` drops it). */
  readonly output: (line: string) => void;
  /** Lines not worth forwarding. */
  readonly quiet?: (line: string) => boolean;
}

const OUTPUT_TAIL = 20;

/** One child process with an IPC channel; requests are made one at a time. */
export class BenchChild {
  readonly label: string;
  readonly process: ChildProcess;
  /** Why it ended, once it has. */
  #exit: string | undefined;
  readonly #exited: Promise<void>;
  readonly #tail: string[] = [];
  readonly #inbox: ChildMessage[] = [];
  #waiter: { resolve: (message: ChildMessage) => void; reject: (error: Error) => void } | undefined;

  constructor(options: ChildOptions) {
    this.label = options.label;
    const node = [...options.nodeArgs, options.script, ...options.args];
    const [command, args] =
      options.cpu === undefined
        ? [process.execPath, node]
        : ['taskset', ['-c', String(options.cpu), process.execPath, ...node]];
    // taskset execs node in place: same pid, and the IPC descriptor is inherited
    this.process = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    for (const stream of [this.process.stdout, this.process.stderr]) {
      if (!stream) continue;
      createInterface({ input: stream }).on('line', (line) => {
        this.#tail.push(line);
        if (this.#tail.length > OUTPUT_TAIL) this.#tail.shift();
        if (!options.quiet?.(line)) options.output(`[${this.label}] ${line}`);
      });
    }
    this.process.on('message', (raw: unknown) => this.#receive(raw));
    this.#exited = new Promise((resolve) => {
      this.process.once('exit', (code, signal) => {
        this.#exit = signal ? `killed by ${signal}` : `exited with code ${String(code)}`;
        this.#waiter?.reject(this.#error(`${this.#exit} while a reply was awaited`));
        this.#waiter = undefined;
        resolve();
      });
      this.process.once('error', (error) => {
        this.#exit = `could not run: ${error.message}`;
        this.#waiter?.reject(this.#error(this.#exit));
        this.#waiter = undefined;
        resolve();
      });
    });
  }

  get pid(): number {
    const { pid } = this.process;
    if (pid === undefined) throw this.#error('has no pid');
    return pid;
  }

  /** Waits for `ready`; checks that the pid it reports is the one spawned (taskset exec'd in place). */
  async ready(timeoutMs: number): Promise<void> {
    const message = await this.#next('ready', timeoutMs);
    if (message.kind === 'ready' && message.pid !== this.pid) {
      throw this.#error(`reports pid ${message.pid}, spawned as ${this.pid}`);
    }
  }

  /** Sends `message` and waits for the reply of kind `kind`. */
  request<K extends ChildMessage['kind']>(
    message: ParentMessage,
    kind: K,
    timeoutMs: number,
  ): Promise<Extract<ChildMessage, { kind: K }>> {
    if (this.#exit !== undefined) return Promise.reject(this.#error(this.#exit));
    this.process.send(message);
    return this.#next(kind, timeoutMs);
  }

  /** Asks it to stop, then kills it if it has not exited after `graceMs`; resolves once it is gone. */
  async stop(graceMs: number): Promise<void> {
    if (this.#exit !== undefined) return;
    if (this.process.connected) {
      try {
        this.process.send({ kind: 'stop' } satisfies ParentMessage);
      } catch {
        // the channel closed meanwhile: killed below if need be
      }
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const graceOver = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), graceMs);
    });
    const late = await Promise.race([this.#exited.then(() => false), graceOver]);
    clearTimeout(timer);
    if (late && this.#exit === undefined) {
      this.process.kill('SIGKILL');
      await this.#exited;
    }
  }

  #next<K extends ChildMessage['kind']>(
    kind: K,
    timeoutMs: number,
  ): Promise<Extract<ChildMessage, { kind: K }>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiter = undefined;
        reject(this.#error(`sent no ${kind} within ${timeoutMs} ms`));
      }, timeoutMs);
      const done = {
        resolve: (message: ChildMessage): void => {
          clearTimeout(timer);
          if (message.kind === kind) resolve(message as Extract<ChildMessage, { kind: K }>);
          else if (message.kind === 'failed') reject(this.#error(`failed: ${message.message}`));
          else reject(this.#error(`sent ${message.kind} where ${kind} was awaited`));
        },
        reject: (error: Error): void => {
          clearTimeout(timer);
          reject(error);
        },
      };
      const queued = this.#inbox.shift();
      if (queued) done.resolve(queued);
      else if (this.#exit !== undefined) done.reject(this.#error(this.#exit));
      else this.#waiter = done;
    });
  }

  #receive(raw: unknown): void {
    const message = readChildMessage(raw) ?? {
      kind: 'failed' as const,
      message: `unreadable message ${JSON.stringify(raw)}`,
    };
    const waiter = this.#waiter;
    this.#waiter = undefined;
    if (waiter) waiter.resolve(message);
    else this.#inbox.push(message);
  }

  #error(what: string): Error {
    const tail = this.#tail.length > 0 ? `\n  last output:\n    ${this.#tail.join('\n    ')}` : '';
    return new Error(`${this.label} (pid ${String(this.process.pid)}) ${what}${tail}`);
  }
}
