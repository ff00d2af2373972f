/**
 * The orchestrator's side of the load generator: the child process itself is a `BenchChild` of the
 * RPC benchmark (spawn, `ready`, output, `stop` with a kill after a grace period); its commands
 * and replies travel in their own envelope on the same IPC channel.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BenchChild } from '../rpc/processes.js';
import {
  type BroadcastCommand,
  type BroadcastResult,
  type ConnectCommand,
  type ConnectResult,
  type DisconnectResult,
  type LoaderCommand,
  type LoaderHealth,
  type LoaderResult,
  type RequestResponseCommand,
  type RequestResponseResult,
  readReplyEnvelope,
  reviveLatency,
} from './loader-protocol.js';

const START_TIMEOUT_MS = 20_000;
const STOP_GRACE_MS = 5_000;
/** A command that has not answered this long after its own duration has hung. */
const COMMAND_GRACE_MS = 60_000;

/** The compiled loader script, the same path from `src/frontend` (vitest) and `dist/frontend`. */
export function loaderScript(): string {
  const path = fileURLToPath(new URL('../../dist/frontend/loader.js', import.meta.url));
  if (!existsSync(path)) throw new Error(`${path} is missing: build first (npm run build)`);
  return path;
}

/** A command's result with the loader's health at its end. */
export interface Answer<R extends LoaderResult> {
  readonly result: R;
  readonly health: LoaderHealth;
}

/** The load generator, running. */
export class LoaderProcess {
  readonly child: BenchChild;
  #nextId = 1;
  readonly #waiting = new Map<
    number,
    { resolve: (answer: Answer<LoaderResult>) => void; reject: (error: Error) => void }
  >();

  private constructor(child: BenchChild) {
    this.child = child;
    child.process.on('message', (raw: unknown) => {
      const envelope = readReplyEnvelope(raw);
      if (envelope === undefined) return;
      const waiter = this.#waiting.get(envelope.id);
      this.#waiting.delete(envelope.id);
      if (!waiter) return;
      const { reply } = envelope;
      if (reply.ok) waiter.resolve({ result: revive(reply.result), health: reply.health });
      else waiter.reject(new Error(`load generator: ${reply.error}`));
    });
    child.process.once('exit', () => {
      for (const waiter of this.#waiting.values()) waiter.reject(new Error('the load generator exited'));
      this.#waiting.clear();
    });
  }

  /** Starts the load generator and waits until it is ready. */
  static async start(log: (line: string) => void, nodeArgs: readonly string[] = []): Promise<LoaderProcess> {
    const child = new BenchChild({
      label: 'load generator',
      script: loaderScript(),
      args: [],
      nodeArgs,
      cpu: undefined,
      output: log,
    });
    try {
      await child.ready(START_TIMEOUT_MS);
    } catch (error) {
      await child.stop(STOP_GRACE_MS);
      throw error;
    }
    return new LoaderProcess(child);
  }

  get pid(): number {
    return this.child.pid;
  }

  connect(command: Omit<ConnectCommand, 'kind'>): Promise<Answer<ConnectResult>> {
    return this.#send({ kind: 'connect', ...command }, 0) as Promise<Answer<ConnectResult>>;
  }

  requestResponse(command: Omit<RequestResponseCommand, 'kind'>): Promise<Answer<RequestResponseResult>> {
    return this.#send({ kind: 'rr', ...command }, command.durationMs) as Promise<
      Answer<RequestResponseResult>
    >;
  }

  broadcast(command: Omit<BroadcastCommand, 'kind'>): Promise<Answer<BroadcastResult>> {
    return this.#send({ kind: 'bcast', ...command }, command.durationMs + command.drainMs) as Promise<
      Answer<BroadcastResult>
    >;
  }

  disconnect(): Promise<Answer<DisconnectResult>> {
    return this.#send({ kind: 'disconnect' }, 0) as Promise<Answer<DisconnectResult>>;
  }

  /** Stops it (killed after a grace period); resolves once it is gone. */
  stop(): Promise<void> {
    return this.child.stop(STOP_GRACE_MS);
  }

  #send(command: LoaderCommand, durationMs: number): Promise<Answer<LoaderResult>> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(id);
        reject(new Error(`the load generator did not answer ${command.kind} in time`));
      }, durationMs + COMMAND_GRACE_MS);
      this.#waiting.set(id, {
        resolve: (answer) => {
          clearTimeout(timer);
          resolve(answer);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      try {
        this.child.process.send({ kind: 'frontend-command', id, command });
      } catch (error) {
        this.#waiting.delete(id);
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
  }
}

function revive(result: LoaderResult): LoaderResult {
  return result.kind === 'disconnect' ? result : { ...result, latency: reviveLatency(result.latency) };
}
