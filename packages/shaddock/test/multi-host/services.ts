// The shared services of a multi-host cluster, run by the test inside one host's namespace on that
// host's address: nats-server with JetStream (its store in a temporary folder) and redis-server
// (nothing saved). Each can be stopped and started again on the same address and port, and
// `reachable` tells whether one host can open a connection to another's port.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HostProcess, TestNetwork } from './netns.js';

const PROBE = fileURLToPath(new URL('./probe.mjs', import.meta.url));
const SYSTEM_FOLDERS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** The path of an executable named `name` (from `variable` in the environment, else PATH and the system folders). */
function findBinary(name: string, variable: string): string | undefined {
  const chosen = process.env[variable];
  if (chosen) return existsSync(chosen) ? chosen : undefined;
  const folders = [...(process.env['PATH'] ?? '').split(delimiter), ...SYSTEM_FOLDERS];
  return folders.map((folder) => join(folder, name)).find((path) => path.startsWith('/') && existsSync(path));
}

/** The nats-server binary (`NATS_SERVER_BIN` overrides). */
export const NATS_SERVER = findBinary('nats-server', 'NATS_SERVER_BIN');
/** The redis-server binary (`REDIS_SERVER_BIN` overrides). */
export const REDIS_SERVER = findBinary('redis-server', 'REDIS_SERVER_BIN');

/** Why the services cannot run here (a binary is missing), or `undefined`. */
export function servicesUnavailable(): string | undefined {
  const missing = [
    NATS_SERVER === undefined ? 'nats-server (set NATS_SERVER_BIN)' : undefined,
    REDIS_SERVER === undefined ? 'redis-server (set REDIS_SERVER_BIN)' : undefined,
  ].filter((name) => name !== undefined);
  return missing.length === 0 ? undefined : `not installed: ${missing.join(', ')}`;
}

/** What a service's readiness looks like and how it is started. */
interface ServiceSpec {
  readonly name: string;
  readonly binary: string | undefined;
  readonly args: (address: string, port: number, dataDir: string) => string[];
  readonly ready: RegExp;
}

/**
 * A service process on one host: `start()` it on the host's address and `port`, `stop()` it
 * (SIGTERM, then SIGKILL), `start()` it again on the same address, port and data folder.
 * `dispose()` stops it and deletes its data folder.
 */
export class HostService {
  readonly host: string;
  readonly address: string;
  readonly port: number;
  readonly #network: TestNetwork;
  readonly #spec: ServiceSpec;
  readonly #dataDir: string;
  #process: HostProcess | undefined;

  protected constructor(network: TestNetwork, host: string, port: number, spec: ServiceSpec) {
    this.#network = network;
    this.host = host;
    this.address = network.address(host);
    this.port = port;
    this.#spec = spec;
    this.#dataDir = mkdtempSync(join(tmpdir(), `shaddock-${spec.name}-`));
  }

  /** The running process, if any. */
  get process(): HostProcess | undefined {
    return this.#process;
  }

  /** Starts the service and resolves once it says it is ready. */
  async start(timeoutMs = 15_000): Promise<this> {
    const { binary, name, args, ready } = this.#spec;
    if (binary === undefined) throw new Error(`${name} is not installed`);
    if (this.#process && !this.#process.exit) throw new Error(`${name} already runs`);
    this.#process = this.#network.spawn(this.host, binary, args(this.address, this.port, this.#dataDir), {
      name,
      cwd: this.#dataDir,
    });
    await this.#process.waitForLine(ready, timeoutMs);
    return this;
  }

  /** Stops the service (SIGTERM, then SIGKILL after `graceMs`). */
  async stop(graceMs = 5_000): Promise<void> {
    await this.#process?.stop(graceMs);
  }

  /** Stops the service and deletes its data folder. */
  async dispose(): Promise<void> {
    await this.#process?.kill();
    rmSync(this.#dataDir, { recursive: true, force: true });
  }
}

/** nats-server with JetStream on one host: `url` is what `config/cluster.json`'s `nats` takes. */
export class NatsService extends HostService {
  constructor(network: TestNetwork, host: string, port = 4222) {
    super(network, host, port, {
      name: 'nats-server',
      binary: NATS_SERVER,
      args: (address, port, dataDir) => ['-a', address, '-p', String(port), '-js', '-sd', dataDir],
      ready: /Server is ready/,
    });
  }

  get url(): string {
    return `nats://${this.address}:${this.port}`;
  }
}

/** redis-server on one host, saving nothing: `url` is what `config/cluster.json`'s `redis` takes. */
export class RedisService extends HostService {
  constructor(network: TestNetwork, host: string, port = 6379) {
    super(network, host, port, {
      name: 'redis-server',
      binary: REDIS_SERVER,
      args: (address, port, dataDir) => [
        '--bind',
        address,
        '--port',
        String(port),
        '--save',
        '',
        '--appendonly',
        'no',
        '--protected-mode',
        'no',
        '--dir',
        dataDir,
      ],
      ready: /Ready to accept connections/,
    });
  }

  get url(): string {
    return `redis://${this.address}:${this.port}`;
  }
}

/** What to say to a port and what answer to expect: NATS greets with INFO, Redis answers PING. */
export const GREETINGS = {
  nats: { expect: '^INFO ' },
  redis: { send: 'PING\\r\\n', expect: '\\+PONG' },
} as const satisfies Record<string, { send?: string; expect: string }>;

/**
 * Whether a process on host `from` can open `address:port` and get the expected answer within
 * `timeoutMs` (run inside `from`'s namespace).
 */
export async function reachable(
  network: TestNetwork,
  from: string,
  address: string,
  port: number,
  greeting: { readonly send?: string; readonly expect: string },
  timeoutMs = 2_000,
): Promise<boolean> {
  const args = [PROBE, address, String(port), greeting.expect, greeting.send ?? '', String(timeoutMs)];
  const result = await network.run(from, process.execPath, args, timeoutMs + 5_000);
  return result.code === 0;
}
