import { LocalMembership, type Membership } from '../membership/index.js';
import { MasterPlacementTable } from './master-placement-table.js';
import { MonitorClient, type MonitorClientOptions } from './monitor-client.js';

/** What {@link MasterMembership} needs: the monitor's options but the view, which it is. */
export type MasterMembershipOptions = Omit<MonitorClientOptions, 'membership'>;

/**
 * The embedded default membership: the master's registry, seen through this server's monitor
 * connection. `start` registers with the master and takes its list; `ready` tells the master,
 * which announces this server to every other; `stop` closes the connection, and the master tells
 * the others at once (it does the same when the connection drops: a crash or a `kill -9`).
 * The same connection carries the master's orders (stop, `afterStartAll`, blacklist), given as
 * callbacks.
 */
export class MasterMembership extends LocalMembership implements Membership {
  readonly #monitor: MonitorClient;
  /** The master's placement table, over the same connection (the default `placementTable` driver). */
  readonly placementTable: MasterPlacementTable;

  constructor(options: MasterMembershipOptions) {
    super();
    let table: MasterPlacementTable | undefined;
    this.#monitor = new MonitorClient({
      ...options,
      membership: this,
      onPlacementReleased: (entry) => table?.released(entry),
    });
    table = new MasterPlacementTable(this.#monitor);
    this.placementTable = table;
  }

  start(): Promise<void> {
    return this.#monitor.connect();
  }

  ready(): void {
    this.#monitor.ready();
  }

  stop(): Promise<void> {
    return this.#monitor.close();
  }

  /** Drops the connection with no goodbye, as a crash does (tests of failure detection). */
  crash(): void {
    this.#monitor.drop();
  }
}
