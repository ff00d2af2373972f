/**
 * Test fixture: a disposable, REAL Pinus 1.7 server (master + one hybrid connector) on 127.0.0.1.
 *
 * - Every start uses fresh free ports (client port, master port, connector RPC port) and a fresh
 *   temp copy of `./app/` with generated `config/master.json` and `config/servers.json`, so tests
 *   running in parallel never share ports or files.
 * - Both Pinus processes are direct children of the test process (the master runs in Pinus's
 *   `stand-alone` mode and the fixture starts the connector with the same arguments the master
 *   would use). Each is spawned `detached`, i.e. it leads its own process group (pgid = pid).
 *   Keeping them as our own children matters: we reap them at once. (Had the master spawned the
 *   connector, a connector outliving the master would be re-parented to PID 1, and where PID 1
 *   reaps late or never, as in some containers, its zombie keeps the process group "alive".)
 * - `stop()` sends SIGTERM to each process group, SIGKILL after a grace period, waits for the
 *   exits and removes the temp dir. A `process.on('exit')` hook kills whatever is still running,
 *   and the app itself exits when its parent (the test process) goes away.
 * - Pinus output never reaches the test output: it is kept (last lines) for error messages and
 *   `output()`. Set SHADDOCK_PINUS_VERBOSE=1 to mirror it to stderr.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface PinusServer {
  readonly host: '127.0.0.1';
  /** The connector's client port (WebSocket and raw TCP on the same port). */
  readonly port: number;
  /** Pids of the master and connector processes; each leads its own process group (pgid = pid). */
  readonly pids: readonly number[];
  /** The last lines the Pinus processes printed (for debugging a failing test). */
  output(): string;
  /** Stops both processes (SIGTERM, then SIGKILL), waits for them to exit, removes the temp dir. Idempotent. */
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export interface PinusServerOptions {
  /**
   * Connector heartbeat interval in seconds (default 10). The server answers each client heartbeat
   * at once and closes a connection that sent none for 2 × this interval. `0` = no heartbeat
   * configured: the handshake then has no `sys.heartbeat` and the server never times a client out.
   */
  heartbeatSeconds?: number;
}

const HOST = '127.0.0.1';
const MASTER_ID = 'master-server-1';
const CONNECTOR_ID = 'connector-server-1';
const STARTUP_DEADLINE_MS = 20_000;
const STOP_GRACE_MS = 3_000;
const MAX_ATTEMPTS = 3;
const KEEP_LINES = 300;
const ERROR_LINES = 60;

const APP_DIR = fileURLToPath(new URL('./app/', import.meta.url));
const requireFromHere = createRequire(import.meta.url);

/** node_modules folders holding `pinus` and `reflect-metadata`, for the app's temp copy (NODE_PATH). */
function nodePath(): string {
  const marker = `${path.sep}node_modules${path.sep}`;
  const dirs = new Set<string>();
  for (const name of ['pinus', 'reflect-metadata']) {
    const entry = requireFromHere.resolve(name);
    const at = entry.lastIndexOf(marker);
    if (at < 0) throw new Error(`${name} resolved outside node_modules: ${entry}`);
    dirs.add(entry.slice(0, at + marker.length - 1));
  }
  return [...dirs].join(path.delimiter);
}

class OutputLog {
  private readonly lines: string[] = [];
  private readonly verbose = process.env.SHADDOCK_PINUS_VERBOSE === '1';

  add(line: string): void {
    this.lines.push(line);
    if (this.lines.length > KEEP_LINES) this.lines.splice(0, this.lines.length - KEEP_LINES);
    if (this.verbose) process.stderr.write(`${line}\n`);
  }

  tail(count: number): string {
    return this.lines.slice(-count).join('\n');
  }

  includes(text: string): boolean {
    return this.lines.some((line) => line.includes(text));
  }
}

class StartupError extends Error {
  constructor(
    message: string,
    readonly portInUse: boolean,
  ) {
    super(message);
    this.name = 'StartupError';
  }
}

/** One Pinus process, spawned detached (own process group) with stdout/stderr captured. */
class ServerProcess {
  readonly pid: number;
  readonly exited: Promise<void>;
  exitDescription: string | undefined;
  private readonly lineListeners = new Set<(line: string) => void>();

  constructor(
    readonly name: string,
    private readonly child: ChildProcess,
    log: OutputLog,
  ) {
    child.once('error', (err) => log.add(`[${name}] spawn error: ${err.message}`));
    if (child.pid === undefined) throw new Error(`could not spawn the Pinus ${name}`);
    this.pid = child.pid;
    this.exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitDescription = signal === null ? `exit code ${code}` : `signal ${signal}`;
        resolve();
      });
    });
    for (const stream of [child.stdout, child.stderr]) {
      if (stream === null) continue;
      let pending = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        pending += chunk;
        const parts = pending.split('\n');
        pending = parts.pop() ?? '';
        for (const line of parts) {
          log.add(`[${name}] ${line}`);
          for (const listener of this.lineListeners) listener(line);
        }
      });
    }
  }

  get hasExited(): boolean {
    return this.exitDescription !== undefined;
  }

  /** Resolves when a line equal to `marker` is printed; rejects if the process exits or at `deadline`. */
  waitForLine(marker: string, deadline: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (err?: Error): void => {
        this.lineListeners.delete(onLine);
        if (timer !== undefined) clearTimeout(timer);
        if (err) reject(err);
        else resolve();
      };
      const onLine = (line: string): void => {
        if (line.trim() === marker) done();
      };
      this.lineListeners.add(onLine);
      timer = setTimeout(
        () => done(new Error(`the Pinus ${this.name} did not print "${marker}" in time`)),
        Math.max(0, deadline - Date.now()),
      );
      void this.exited.then(() =>
        done(new Error(`the Pinus ${this.name} exited (${this.exitDescription}) before it was ready`)),
      );
    });
  }

  signalGroup(signal: NodeJS.Signals): void {
    killGroup(this.pid, signal);
  }

  /** SIGTERM to the group, SIGKILL after a grace period; resolves once this process was reaped. */
  async terminate(): Promise<void> {
    if (!this.hasExited) {
      this.signalGroup('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const graceful = await Promise.race([
        this.exited.then(() => true),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(false), STOP_GRACE_MS);
        }),
      ]);
      if (timer !== undefined) clearTimeout(timer);
      if (!graceful) this.signalGroup('SIGKILL');
      await this.exited;
    }
    // Anything else that might have joined the group (nothing does today).
    this.signalGroup('SIGKILL');
    this.child.stdout?.destroy();
    this.child.stderr?.destroy();
  }
}

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

// ---- safety net: kill every server still running when the test process exits ------------------

interface LiveServer {
  readonly processes: ServerProcess[];
  readonly baseDir: string;
}
const liveServers = new Set<LiveServer>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const server of liveServers) {
      for (const proc of server.processes) {
        try {
          killGroup(proc.pid, 'SIGKILL');
        } catch {
          // best effort while exiting
        }
      }
      try {
        rmSync(server.baseDir, { recursive: true, force: true });
      } catch {
        // best effort while exiting
      }
    }
  });
}

// ---- ports ---------------------------------------------------------------------------------------

/** Distinct ports that were free (on all interfaces) a moment ago: listen on port 0, read it, close. */
async function freePorts(count: number): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < count; i++) {
      const server = net.createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ port: 0, exclusive: true }, () => resolve());
      });
      const address = server.address();
      if (address === null || typeof address === 'string') throw new Error('unexpected server address');
      ports.push(address.port);
    }
    return ports;
  } finally {
    await Promise.all(
      servers.map(
        (server) =>
          new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve())),
      ),
    );
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const socket = net.connect({ host: HOST, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

// ---- start / stop ---------------------------------------------------------------------------------

export async function startPinusServer(options: PinusServerOptions = {}): Promise<PinusServer> {
  const heartbeatSeconds = options.heartbeatSeconds ?? 10;
  if (!Number.isFinite(heartbeatSeconds) || heartbeatSeconds < 0) {
    throw new RangeError(`heartbeatSeconds must be a finite number >= 0, got ${heartbeatSeconds}`);
  }
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(heartbeatSeconds);
    } catch (err) {
      // Another process may grab a port between our probe and Pinus's listen: try fresh ports.
      if (err instanceof StartupError && err.portInUse && attempt < MAX_ATTEMPTS) continue;
      throw err;
    }
  }
}

async function startOnce(heartbeatSeconds: number): Promise<PinusServer> {
  const deadline = Date.now() + STARTUP_DEADLINE_MS;
  const [clientPort, masterPort, rpcPort] = (await freePorts(3)) as [number, number, number];

  const baseDir = await mkdtemp(path.join(os.tmpdir(), 'shaddock-pinus-'));
  const live: LiveServer = { processes: [], baseDir };
  liveServers.add(live);
  installExitHook();
  const log = new OutputLog();

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      await Promise.all(live.processes.map((proc) => proc.terminate()));
      await rm(baseDir, { recursive: true, force: true });
      liveServers.delete(live);
    })();
    return stopping;
  };

  try {
    await cp(APP_DIR, baseDir, { recursive: true });
    const master = { id: MASTER_ID, host: HOST, port: masterPort };
    const connector = {
      id: CONNECTOR_ID,
      host: HOST,
      port: rpcPort,
      clientHost: HOST,
      clientPort,
      frontend: true,
    };
    await writeFile(path.join(baseDir, 'config', 'master.json'), `${JSON.stringify(master, null, 2)}\n`);
    await writeFile(
      path.join(baseDir, 'config', 'servers.json'),
      `${JSON.stringify({ connector: [connector] }, null, 2)}\n`,
    );

    const env: NodeJS.ProcessEnv = {
      ...process.env,
      NODE_PATH: nodePath(),
      NODE_ENV: 'development',
      SHADDOCK_PINUS_HEARTBEAT: String(heartbeatSeconds),
      SHADDOCK_PINUS_WATCH_PARENT: '1',
    };
    // Whatever the test runner put there (loaders, inspector flags) is not meant for Pinus.
    delete env.NODE_OPTIONS;

    const launch = (name: string, args: string[]): ServerProcess => {
      const child = spawn(process.execPath, [path.join(baseDir, 'app.js'), 'env=development', ...args], {
        cwd: baseDir, // pinus-admin reads config/adminServer.json relative to the cwd
        env,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const proc = new ServerProcess(name, child, log);
      live.processes.push(proc);
      return proc;
    };

    // Master first, in stand-alone mode (it does not spawn the servers itself) ...
    const masterProcess = launch('master', ['mode=stand-alone']);
    await masterProcess.waitForLine(`SHADDOCK_PINUS_READY ${MASTER_ID}`, deadline);

    // ... then the connector, with the arguments Pinus's starter would pass (`key=value` per field).
    const connectorArgs = Object.entries({ ...connector, serverType: 'connector' }).map(
      ([key, value]) => `${key}=${String(value)}`,
    );
    const connectorProcess = launch('connector', connectorArgs);
    // "all": the master has seen every server of servers.json register, and the connector listens.
    await connectorProcess.waitForLine(`SHADDOCK_PINUS_READY ${CONNECTOR_ID} all`, deadline);
    if (!(await canConnect(clientPort))) {
      throw new Error(`the Pinus connector reported ready but ${HOST}:${clientPort} refuses connections`);
    }
  } catch (err) {
    await stop();
    const reason = err instanceof Error ? err.message : String(err);
    throw new StartupError(
      `Pinus server failed to start on ${HOST} (client port ${clientPort}, master port ${masterPort}, ` +
        `rpc port ${rpcPort}): ${reason}\n--- last lines of Pinus output ---\n${log.tail(ERROR_LINES)}`,
      log.includes('EADDRINUSE'),
    );
  }

  return {
    host: HOST,
    port: clientPort,
    pids: live.processes.map((proc) => proc.pid),
    output: () => log.tail(KEEP_LINES),
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
