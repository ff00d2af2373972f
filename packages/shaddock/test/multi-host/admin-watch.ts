// Drives ./admin-watch.mjs: `list` through one master, polled from inside a host's namespace,
// every answer kept with its time (what an admin sees of the masters during a takeover).
import { fileURLToPath } from 'node:url';
import { waitFor } from '../support/processes.js';
import type { HostProcess, TestNetwork } from './netns.js';
import { ADMIN_USER, type MasterSpec } from './scale-cluster.js';

const SCRIPT = fileURLToPath(new URL('./admin-watch.mjs', import.meta.url));

/** One poll of `list`: when it was asked and answered (epoch ms), and what it said or how it failed. */
export type ListSample =
  | {
      readonly sent: number;
      readonly at: number;
      readonly ok: true;
      readonly leader: string | null;
      readonly standbys: readonly string[];
      readonly servers: readonly {
        readonly id: string;
        readonly host: string;
        readonly pid: number | null;
      }[];
    }
  | { readonly sent: number; readonly at: number; readonly ok: false; readonly error: string };

/** `list` through `master`, every `intervalMs`, from host `from`; `close()` it. */
export class AdminWatch {
  readonly process: HostProcess;
  readonly #samples: ListSample[] = [];

  constructor(network: TestNetwork, from: string, master: MasterSpec, intervalMs = 50) {
    const args = [SCRIPT, network.address(master.host), String(master.port)];
    args.push(ADMIN_USER.username, ADMIN_USER.password, String(intervalMs));
    this.process = network.spawn(from, process.execPath, args, {
      name: `list via ${master.id}`,
      stdin: true,
    });
    this.process.onLine((line) => {
      if (line.startsWith('{')) this.#samples.push(JSON.parse(line) as ListSample);
    });
  }

  /** Every answer and failure of a poll asked at or after `since`, in order. */
  samples(since = 0): ListSample[] {
    return this.#samples.filter((sample) => sample.sent >= since);
  }

  /** The first sample asked at or after `since` that `match` accepts. */
  waitFor(
    what: string,
    match: (sample: ListSample) => boolean,
    since = 0,
    timeoutMs = 15_000,
  ): Promise<ListSample> {
    return waitFor(
      what,
      () => this.#samples.find((sample) => sample.sent >= since && match(sample)),
      timeoutMs,
      () => `${JSON.stringify(this.#samples.slice(-3))}\n${this.process.output(10)}`,
    );
  }

  async close(): Promise<void> {
    this.process.child.stdin?.end();
    await this.process.stop(2_000);
  }
}
