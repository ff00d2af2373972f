import { channelComponent } from '../channel/index.js';
import { connectorComponent } from '../connector/index.js';
import { cronComponent } from '../cron/index.js';
import type { HandlerSource } from '../handler/index.js';
import { handlerComponent } from '../handler/index.js';
import { AppState, type Component, type Kernel, LifecycleHook } from '../kernel/index.js';
import { runClusterMaster, runMaster } from '../master/index.js';
import { rpcComponent } from '../rpc/index.js';
import { sessionComponent } from '../session/index.js';

/** What the runner needs of the application: the kernel, the code-registered handlers and remotes, `stop`. */
export interface RunnableApplication extends Kernel {
  readonly explicitRemotes: ReadonlyMap<string, object>;
  readonly explicitHandlers: ReadonlyMap<string, HandlerSource>;
  stop(force?: boolean, deadlineMs?: number): Promise<void>;
}

/** How long `afterStartAll` waits for the listed servers before it says which are missing. */
const AFTER_START_ALL_WARNING_MS = 30_000;

/** How long a signal-started stop may take before the process exits anyway. */
const SIGNAL_STOP_DEADLINE_MS = 10_000;

/** Starts `app` as the master or as a server; see `Application.start`. */
export async function startApplication(app: RunnableApplication): Promise<void> {
  app.enter(AppState.Starting);
  if (app.isMaster()) {
    await startMaster(app);
  } else {
    await startServer(app);
  }
  app.enter(AppState.Started);
  // Under a master, `afterStartAll` comes from it once every server is ready.
  if (!app.isMaster() && !app.identity.master) afterEveryListedServer(app);
}

/** Stops `app`; see `Application.stop`. A second call waits for the first. */
export function stopApplication(app: RunnableApplication, force: boolean, deadlineMs: number): Promise<void> {
  let stopping = stops.get(app);
  if (!stopping) {
    stopping = stop(app, force, deadlineMs);
    stops.set(app, stopping);
  }
  return stopping;
}

/** Runs the components' and hooks' `afterStartAll`: the whole cluster is up. */
export async function afterStartAll(app: RunnableApplication): Promise<void> {
  await app.components.run('afterStartAll');
  await app.lifecycle.run(LifecycleHook.AfterStartAll, app);
}

const stops = new WeakMap<RunnableApplication, Promise<void>>();

async function startMaster(app: RunnableApplication): Promise<void> {
  await app.lifecycle.run(LifecycleHook.BeforeStartup, app);
  const entry = process.argv[1] ?? '';
  if (app.cluster.drivers.nats === undefined) {
    await runMaster({ config: app.cluster, entry, execArgv: process.execArgv });
  } else {
    // a scale-out cluster: one of several masters, servers detached from it (master/cluster-master.ts)
    const controlPlane = app.services.find('controlPlane');
    await runClusterMaster({ app, controlPlane, entry, execArgv: process.execArgv });
  }
  await app.lifecycle.run(LifecycleHook.AfterStartup, app);
}

/**
 * The built-in components, in start order: RPC first (the others register their system remotes
 * with it), the connector last: clients come in once everything behind it runs.
 */
function builtInComponents(app: RunnableApplication): Component[] {
  return [
    rpcComponent(app, { remotes: app.explicitRemotes }),
    sessionComponent(app),
    handlerComponent(app, { handlers: app.explicitHandlers }),
    channelComponent(app),
    cronComponent(app),
    ...(app.isFrontend() ? [connectorComponent(app)] : []),
  ];
}

async function startServer(app: RunnableApplication): Promise<void> {
  for (const component of builtInComponents(app).reverse()) app.components.add(component, true);
  // Stores first (a Redis that is down fails the start, naming it), then membership: it is full
  // before any component needs it.
  await app.services.find('channelStore')?.connect?.();
  await app.services.find('statusStore')?.connect?.();
  await app.membership.start();
  await app.lifecycle.run(LifecycleHook.BeforeStartup, app);
  await app.components.run('start');
  await app.components.run('afterStart');
  await app.lifecycle.run(LifecycleHook.AfterStartup, app);
  stopOnSignals(app);
  await app.membership.ready();
}

/**
 * Without a master (a fixed list, or NATS membership under any supervisor), `afterStartAll` runs
 * once on each server when every server that the environment's `servers.json` lists is in its
 * membership: servers added beyond the list do not hold it back, and one that never comes holds it
 * back forever (logged once a while). The start itself does not wait for it.
 */
function afterEveryListedServer(app: RunnableApplication): void {
  const listed = new Set(app.cluster.servers.map((server) => server.id));
  listed.add(app.serverId);
  const missing = (): string[] => [...listed].filter((id) => app.membership.get(id) === undefined);
  let stopListening = (): void => {};
  let warning: NodeJS.Timeout | undefined;
  const check = (): void => {
    if (missing().length > 0 || app.state !== AppState.Started) return;
    stopListening();
    clearTimeout(warning);
    afterStartAll(app).catch((error: unknown) =>
      app.logger.error({ err: error }, `afterStartAll failed: ${String(error)}`),
    );
  };
  stopListening = app.membership.on('add', check);
  warning = setTimeout(() => {
    const absent = missing();
    if (absent.length > 0) app.logger.warn(`afterStartAll waits for ${absent.join(', ')} to join`);
  }, AFTER_START_ALL_WARNING_MS);
  warning.unref();
  check();
}

async function stop(app: RunnableApplication, force: boolean, deadlineMs: number): Promise<void> {
  app.enter(AppState.Stopping);
  const report = (error: Error): void => app.logger.error({ err: error }, error.message);
  try {
    await app.lifecycle.run(LifecycleHook.BeforeShutdown, app);
  } catch (error) {
    report(error instanceof Error ? error : new Error(String(error)));
  }
  if (!force) await app.components.drain(deadlineMs, report);
  await app.components.stop(force, report);
  const closes = [
    () => app.membership.stop(),
    () => app.services.find('rpcLink')?.close?.(),
    () => app.services.find('controlPlane')?.close(),
    () => app.services.find('channelStore')?.close?.(),
    () => app.services.find('statusStore')?.close?.(),
  ];
  for (const close of closes) {
    try {
      await close();
    } catch (error) {
      report(error instanceof Error ? error : new Error(String(error)));
    }
  }
  app.enter(AppState.Stopped);
}

/** A server run by a supervisor (not the master) stops gracefully on SIGINT/SIGTERM. */
function stopOnSignals(app: RunnableApplication): void {
  if (app.identity.master) return;
  const onSignal = (): void => {
    void app.stop(false, SIGNAL_STOP_DEADLINE_MS).finally(() => process.exit(0));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
}
