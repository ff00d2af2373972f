import type { Application } from '../application/index.js';
import { MonitorClient } from '../master/index.js';

/** The monitor component: this server's line to the master. */
export interface MonitorComponent {
  readonly name: 'monitor';
  start(): Promise<void>;
  /** Tells the master this server is up (its components started, `afterStartup` ran). */
  ready(): void;
  stop(): Promise<void>;
}

/**
 * Connects to the master before any other component starts, so that membership is full by the
 * time they run; obeys the master's `stop` and `afterStartAll`. Losing the master without a stop
 * order ends the process (no server outlives its master).
 */
export function monitorComponent(
  app: Application,
  master: { readonly host: string; readonly port: number },
  callbacks: { onStop(deadlineMs: number): Promise<void>; onAfterStartAll(): Promise<void> },
): MonitorComponent {
  const monitor = new MonitorClient({
    master,
    server: app.getCurServer(),
    membership: app.membership,
    onStop: callbacks.onStop,
    onAfterStartAll: callbacks.onAfterStartAll,
    onBlacklist: (add, remove) => {
      if (!app.services.has('connector')) return;
      const { blacklist } = app.services.get('connector');
      for (const ip of remove) blacklist.delete(ip);
      for (const ip of add) blacklist.add(ip);
    },
  });
  return {
    name: 'monitor',
    start: () => monitor.connect(),
    ready: () => monitor.ready(),
    stop: () => monitor.close(),
  };
}
