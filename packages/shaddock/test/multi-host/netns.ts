// The multi-host test bed: a few Linux network namespaces ("hosts"), each with its own address on
// one private subnet, plugged into a bridge that lives in a namespace of its own (the "switch").
// Nothing touches the root namespace's interfaces: the test process reaches the hosts only through
// the processes it starts in them (`ip netns exec`), their output and their files (the namespaces
// share the file system). A host's link can be cut and restored like a pulled cable.
//
// Namespaces are named `shd<pid>-<k>-<host>` after the process that made them, so that a later run
// can delete those of a run that died without cleaning up (see `removeStaleNamespaces`); the
// `exit` hook and `dispose()` kill every process in them and delete them.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { alive, waitFor } from '../support/processes.js';

/** The name every namespace of the test bed starts with: `shd<pid>-`. */
const PREFIX = 'shd';
const OWN_PREFIX = `${PREFIX}${process.pid}-`;
const STALE_NAME = /^shd(\d+)-/;
/** Host names are short: the switch's interface for a host is `v-<host>` (15 characters at most). */
const HOST_NAME = /^[a-z][a-z0-9]{0,9}$/;
/** The switch's own name, never a host's. */
const SWITCH = 'sw';

/** How a process ended. */
export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** The `ip` command (iproute2): in /usr/sbin or /sbin, which a non-login PATH may lack. */
const IP_COMMAND = ['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip', '/bin/ip'].find(existsSync) ?? 'ip';

/** Runs `ip <args>`; throws with its stderr when it fails. */
export function ip(...args: string[]): string {
  try {
    return execFileSync(IP_COMMAND, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? '').trim();
    throw new Error(`ip ${args.join(' ')} failed: ${stderr || String(error)}`, { cause: error });
  }
}

/**
 * Why this machine cannot host the test bed (not Linux, no `ip`, not root or no CAP_NET_ADMIN, no
 * bridge or veth support), or `undefined` when it can: it makes a namespace with a bridge and a
 * veth pair in it, and deletes it.
 */
export function netnsUnavailable(): string | undefined {
  if (process.platform !== 'linux') return `network namespaces need Linux (this is ${process.platform})`;
  const probe = `${OWN_PREFIX}probe`;
  try {
    ip('netns', 'add', probe);
  } catch (error) {
    return `cannot create a network namespace (needs root or CAP_NET_ADMIN, and iproute2): ${(error as Error).message}`;
  }
  try {
    ip('-n', probe, 'link', 'add', 'br0', 'type', 'bridge');
    ip('-n', probe, 'link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1');
    return undefined;
  } catch (error) {
    return `cannot make a bridge and a veth pair in a namespace: ${(error as Error).message}`;
  } finally {
    try {
      ip('netns', 'del', probe);
    } catch {
      // Deleted already, or never made.
    }
  }
}

/** The test-bed namespaces on this machine now. */
function namespaces(): string[] {
  let listed: string;
  try {
    listed = ip('netns', 'list');
  } catch {
    return [];
  }
  return listed
    .split('\n')
    .map((line) => line.trim().split(/\s+/)[0] ?? '')
    .filter((name) => name.startsWith(PREFIX));
}

/** The pids of every process in namespace `name`. */
function pidsIn(name: string): number[] {
  try {
    return ip('netns', 'pids', name)
      .split('\n')
      .map((line) => Number(line.trim()))
      .filter((pid) => Number.isInteger(pid) && pid > 0);
  } catch {
    return [];
  }
}

/** SIGKILLs every process in these namespaces and deletes them; errors are ignored. */
function destroyNamespaces(names: readonly string[]): number[] {
  const killed: number[] = [];
  for (const name of names) {
    for (const pid of pidsIn(name)) {
      try {
        process.kill(pid, 'SIGKILL');
        killed.push(pid);
      } catch {
        // Gone already.
      }
    }
  }
  for (const name of names) {
    try {
      ip('netns', 'del', name);
    } catch {
      // Deleted already.
    }
  }
  return killed;
}

/**
 * Deletes the test-bed namespaces of runs whose process is gone (a run killed before its cleanup),
 * with every process still in them; returns their names. Namespaces of live runs (another test
 * file, another engineer's run) are left alone.
 */
export function removeStaleNamespaces(): string[] {
  const stale = namespaces().filter((name) => {
    const owner = Number(STALE_NAME.exec(name)?.[1]);
    return Number.isInteger(owner) && owner !== process.pid && !alive(owner);
  });
  destroyNamespaces(stale);
  return stale;
}

/** Options of {@link TestNetwork.spawn}. */
export interface SpawnOptions {
  /** A name for messages and output (default: the command). */
  readonly name?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** Keep a pipe to its stdin (default: ignored). */
  readonly stdin?: boolean;
}

/** What a command run to its end printed. */
export interface CommandResult {
  readonly code: number | null;
  readonly out: string;
  readonly err: string;
}

/**
 * A process running inside one host's namespace. `ip netns exec` execs the command itself, so
 * `pid` is the command's own pid: signals reach it directly.
 */
export class HostProcess {
  readonly host: string;
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number;
  /** Settles when the process has exited. */
  readonly exited: Promise<Exit>;
  readonly #lines: string[] = [];
  readonly #listeners = new Set<(line: string) => void>();
  #exit: Exit | undefined;

  constructor(host: string, name: string, child: ChildProcess) {
    this.host = host;
    this.name = name;
    this.child = child;
    this.pid = child.pid ?? 0;
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.#exit = { code, signal };
        resolve(this.#exit);
      });
      child.once('error', (error) => {
        this.#lines.push(`[spawn error] ${error.message}`);
        this.#exit ??= { code: -1, signal: null };
        resolve(this.#exit);
      });
    });
    // Read everything it prints: a full pipe would stall it.
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY }).on('line', (line) => {
        if (this.#lines.push(line) > 2_000) this.#lines.splice(0, 1_000);
        for (const listener of this.#listeners) listener(line);
      });
    }
  }

  /** How it ended; `undefined` while it runs. */
  get exit(): Exit | undefined {
    return this.#exit;
  }

  /** Calls `listener` with every line it prints from now on; returns the function that stops it. */
  onLine(listener: (line: string) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The last lines it printed (stdout and stderr), headed by its name and host. */
  output(lines = 40): string {
    return `--- ${this.name} on ${this.host} (pid ${this.pid}${this.#exit ? `, exited ${JSON.stringify(this.#exit)}` : ''}), last ${lines} lines ---\n${this.#lines.slice(-lines).join('\n')}`;
  }

  /** Waits for a line matching `pattern` (printed before or after the call); fails if it exits first. */
  waitForLine(pattern: RegExp, timeoutMs = 15_000): Promise<string> {
    return waitFor(
      `${this.name} on ${this.host} to print ${pattern}`,
      () => {
        const line = this.#lines.find((seen) => pattern.test(seen));
        if (line !== undefined) return { line };
        if (this.#exit) throw new Error(`${this.name} exited first\n${this.output()}`);
        return undefined;
      },
      timeoutMs,
      () => this.output(),
    ).then(({ line }) => line);
  }

  /** Writes one line to its stdin (spawned with `stdin: true`). */
  writeLine(text: string): void {
    this.child.stdin?.write(`${text}\n`);
  }

  /** Sends `signal`; false when it is gone. */
  signal(signal: NodeJS.Signals): boolean {
    if (this.#exit) return false;
    try {
      process.kill(this.pid, signal);
      return true;
    } catch {
      return false;
    }
  }

  /** SIGKILLs it (a stopped process too) and waits for its exit. */
  async kill(): Promise<Exit> {
    this.signal('SIGKILL');
    return this.exited;
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves with its exit. */
  async stop(graceMs = 5_000): Promise<Exit> {
    if (this.#exit) return this.#exit;
    this.signal('SIGCONT');
    this.signal('SIGTERM');
    const timer = setTimeout(() => this.signal('SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}

let networks = 0;
const live = new Set<TestNetwork>();
let exitHook = false;

/**
 * A private network of hosts: one namespace per host with the address given (`/24` by default),
 * a veth from each host to a bridge in the switch namespace, loopback up in each. Always
 * `dispose()` it (the process's `exit` hook does it too, as a last resort).
 *
 * @example
 * const network = TestNetwork.create({ h1: '10.77.0.1', h2: '10.77.0.2' });
 * try {
 *   const server = network.spawn('h2', process.execPath, ['server.js']);
 *   network.cut('h2'); // h2's cable is out
 *   network.restore('h2');
 * } finally {
 *   await network.dispose();
 * }
 */
export class TestNetwork {
  /** Host name → address. */
  readonly addresses: Readonly<Record<string, string>>;
  readonly #prefix: string;
  readonly #prefixLength: number;
  readonly #processes = new Set<HostProcess>();
  readonly #made: string[] = [];
  #disposed = false;

  private constructor(addresses: Readonly<Record<string, string>>, prefixLength: number) {
    this.addresses = addresses;
    this.#prefix = `${OWN_PREFIX}${networks++}-`;
    this.#prefixLength = prefixLength;
  }

  /** Makes the namespaces, the bridge and the links; on a failure, removes what it made and throws. */
  static create(
    addresses: Readonly<Record<string, string>>,
    options: { prefixLength?: number } = {},
  ): TestNetwork {
    for (const host of Object.keys(addresses)) {
      if (!HOST_NAME.test(host) || host === SWITCH)
        throw new Error(`host name "${host}" must match ${HOST_NAME} and not be "${SWITCH}"`);
    }
    const network = new TestNetwork(addresses, options.prefixLength ?? 24);
    live.add(network);
    if (!exitHook) {
      exitHook = true;
      process.once('exit', () => {
        for (const left of live) left.disposeNow();
      });
    }
    try {
      network.#build();
      return network;
    } catch (error) {
      network.disposeNow();
      throw error;
    }
  }

  /** The host names. */
  get hosts(): string[] {
    return Object.keys(this.addresses);
  }

  /** The namespace of `host` (for `ip netns exec`, `ip -n`). */
  namespace(host: string): string {
    if (host !== SWITCH && !Object.hasOwn(this.addresses, host)) throw new Error(`no host "${host}"`);
    return `${this.#prefix}${host}`;
  }

  /** The address of `host`. */
  address(host: string): string {
    const address = this.addresses[host];
    if (address === undefined) throw new Error(`no host "${host}"`);
    return address;
  }

  #build(): void {
    const sw = this.#add(SWITCH);
    ip('-n', sw, 'link', 'add', 'br0', 'type', 'bridge');
    ip('-n', sw, 'link', 'set', 'br0', 'up');
    ip('-n', sw, 'link', 'set', 'lo', 'up');
    for (const [host, address] of Object.entries(this.addresses)) {
      const ns = this.#add(host);
      // Made inside the switch with its peer moved straight into the host: the root namespace
      // never sees either end, so runs in parallel cannot clash on interface names.
      ip('-n', sw, 'link', 'add', `v-${host}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
      ip('-n', sw, 'link', 'set', `v-${host}`, 'master', 'br0');
      ip('-n', sw, 'link', 'set', `v-${host}`, 'up');
      ip('-n', ns, 'link', 'set', 'lo', 'up');
      ip('-n', ns, 'addr', 'add', `${address}/${this.#prefixLength}`, 'dev', 'eth0');
      ip('-n', ns, 'link', 'set', 'eth0', 'up');
    }
  }

  #add(host: string): string {
    const name = `${this.#prefix}${host}`;
    ip('netns', 'add', name);
    this.#made.push(name);
    return name;
  }

  /** Starts `command args` inside `host`'s namespace, its output collected; killed by `dispose`. */
  spawn(host: string, command: string, args: readonly string[], options: SpawnOptions = {}): HostProcess {
    if (this.#disposed) throw new Error('the network is disposed');
    const child = spawn(IP_COMMAND, ['netns', 'exec', this.namespace(host), command, ...args], {
      env: options.env ?? process.env,
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
    const started = new HostProcess(host, options.name ?? command, child);
    this.#processes.add(started);
    void started.exited.then(() => this.#processes.delete(started));
    return started;
  }

  /** Runs `command args` inside `host`'s namespace to its end, or kills it after `timeoutMs`. */
  async run(
    host: string,
    command: string,
    args: readonly string[],
    timeoutMs = 15_000,
  ): Promise<CommandResult> {
    const started = this.spawn(host, command, args);
    let out = '';
    let err = '';
    started.child.stdout?.setEncoding('utf8').on('data', (text: string) => (out += text));
    started.child.stderr?.setEncoding('utf8').on('data', (text: string) => (err += text));
    const timer = setTimeout(() => started.signal('SIGKILL'), timeoutMs);
    try {
      const { code } = await started.exited;
      return { code, out, err };
    } finally {
      clearTimeout(timer);
    }
  }

  /** Pulls `host`'s cable: its port on the switch goes down (its own eth0 loses the carrier). */
  cut(host: string): void {
    ip('-n', this.namespace(SWITCH), 'link', 'set', `v-${this.#checked(host)}`, 'down');
  }

  /** Plugs `host`'s cable back in. */
  restore(host: string): void {
    ip('-n', this.namespace(SWITCH), 'link', 'set', `v-${this.#checked(host)}`, 'up');
  }

  /** Whether `host`'s port on the switch is down. */
  isCut(host: string): boolean {
    return !/[<,]UP[,>]/.test(
      ip('-n', this.namespace(SWITCH), '-o', 'link', 'show', `v-${this.#checked(host)}`),
    );
  }

  #checked(host: string): string {
    this.address(host);
    return host;
  }

  /** Every process started here that still runs. */
  processes(): HostProcess[] {
    return [...this.#processes];
  }

  /**
   * Kills every process in the namespaces (those started here, and any they started), deletes the
   * namespaces, and waits until the processes are gone.
   */
  async dispose(): Promise<void> {
    const killed = this.disposeNow();
    await waitFor(
      `the test bed's processes (${killed.join(', ')}) to exit`,
      () => killed.every((pid) => !alive(pid)),
      10_000,
    );
  }

  /** `dispose` without the wait (for the `exit` hook); returns the pids it killed. */
  disposeNow(): number[] {
    if (this.#disposed) return [];
    this.#disposed = true;
    live.delete(this);
    const pids = new Set<number>();
    for (const started of this.#processes) {
      if (started.signal('SIGKILL')) pids.add(started.pid);
    }
    for (const pid of destroyNamespaces(this.#made)) pids.add(pid);
    return [...pids];
  }
}
