import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { formatLogLine } from '../logging/index.js';
import type { ServerInfo } from '../membership/index.js';
import { SERVER_TOKEN_ENV } from './control-protocol.js';

/**
 * Where a server's stdout and stderr go: `'inherit'` (straight to the master's), `'prefix'` (each
 * line with `[id] ` in front, the default), or a function that receives each line (tests).
 */
export type ServerOutput =
  | 'inherit'
  | 'prefix'
  | ((serverId: string, line: string, stream: 'stdout' | 'stderr') => void);

/** How to start one server process. */
export interface SpawnServerOptions {
  readonly server: ServerInfo;
  readonly entry: string;
  /** Node options for every server, before the server's own `args`. */
  readonly execArgv: readonly string[];
  /** The `key=value` arguments after the entry. */
  readonly arguments: readonly string[];
  readonly token: string;
  readonly output: ServerOutput;
}

/** The address to reach a host on from this machine: loopback for a wildcard (`0.0.0.0`, `::`). */
export function reachableHost(host: string): string {
  return host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
}

function forward(stream: Readable | null, each: (line: string) => void): void {
  if (!stream) return;
  createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY }).on('line', each);
}

/**
 * Spawns `node [execArgv] [server.args] entry key=value…`. The child gets its own process group
 * (`detached`, never unref'd): a Ctrl-C in the terminal reaches the master only, which then stops
 * the servers in order, instead of every process at once.
 */
export function spawnServer(options: SpawnServerOptions): ChildProcess {
  const { server, entry, execArgv, token, output } = options;
  const piped = output !== 'inherit';
  const child = spawn(process.execPath, [...execArgv, ...(server.args ?? []), entry, ...options.arguments], {
    detached: true,
    env: { ...process.env, [SERVER_TOKEN_ENV]: token },
    stdio: ['ignore', piped ? 'pipe' : 'inherit', piped ? 'pipe' : 'inherit'],
  });
  if (output === 'prefix') {
    forward(child.stdout, (line) => process.stdout.write(`${formatLogLine(server.id, line)}\n`));
    forward(child.stderr, (line) => process.stderr.write(`${formatLogLine(server.id, line)}\n`));
  } else if (typeof output === 'function') {
    forward(child.stdout, (line) => output(server.id, line, 'stdout'));
    forward(child.stderr, (line) => output(server.id, line, 'stderr'));
  }
  return child;
}
