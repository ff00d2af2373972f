import { channelComponent } from '../channel/index.js';
import { monitorComponent, rpcComponent } from '../components/index.js';
import { connectorComponent } from '../connector/index.js';
import { handlerComponent } from '../handler/index.js';
import { runMaster } from '../master/index.js';
import { sessionComponent } from '../session/index.js';
import type { Application } from './application.js';
import { AppState } from './application.js';
import { LifecycleHook } from './lifecycle.js';

/** How long a signal-started stop may take before the process exits anyway. */
const SIGNAL_STOP_DEADLINE_MS = 10_000;

/** Starts `app` as the master or as a server; see `Application.start`. */
export async function startApplication(app: Application): Promise<void> {
  app.enter(AppState.Starting);
  if (app.isMaster()) {
    await startMaster(app);
  } else {
    await startServer(app);
  }
  app.enter(AppState.Started);
}

/** Stops `app`; see `Application.stop`. A second call waits for the first. */
export function stopApplication(app: Application, force: boolean, deadlineMs: number): Promise<void> {
  let stopping = stops.get(app);
  if (!stopping) {
    stopping = stop(app, force, deadlineMs);
    stops.set(app, stopping);
  }
  return stopping;
}

const stops = new WeakMap<Application, Promise<void>>();

async function startMaster(app: Application): Promise<void> {
  await app.lifecycle.run(LifecycleHook.BeforeStartup, app);
  const entry = process.argv[1] ?? '';
  await runMaster({ config: app.cluster, entry, execArgv: process.execArgv });
  await app.lifecycle.run(LifecycleHook.AfterStartup, app);
}

async function startServer(app: Application): Promise<void> {
  const master = app.identity.master;
  const monitor = master
    ? monitorComponent(app, master, {
        onStop: async (deadlineMs) => {
          await app.stop(false, deadlineMs);
          process.exit(0);
        },
        onAfterStartAll: () => afterStartAll(app),
      })
    : undefined;
  // Built-in components start first, the monitor before all: membership is full before anyone
  // needs it; the connector last of them: clients come in once everything behind it runs.
  const builtIn = [
    ...(monitor ? [monitor] : []),
    rpcComponent(app),
    sessionComponent(app),
    handlerComponent(app, { handlers: app.explicitHandlers }),
    channelComponent(app),
    ...(app.isFrontend() ? [connectorComponent(app)] : []),
  ];
  for (const component of builtIn.reverse()) app.components.add(component, true);
  if (!monitor) app.membership.replace(app.cluster.servers);

  await app.lifecycle.run(LifecycleHook.BeforeStartup, app);
  await app.components.run('start');
  await app.components.run('afterStart');
  await app.lifecycle.run(LifecycleHook.AfterStartup, app);
  stopOnSignals(app);
  if (monitor) monitor.ready();
  else await afterStartAll(app);
}

async function afterStartAll(app: Application): Promise<void> {
  await app.components.run('afterStartAll');
  await app.lifecycle.run(LifecycleHook.AfterStartAll, app);
}

async function stop(app: Application, force: boolean, deadlineMs: number): Promise<void> {
  app.enter(AppState.Stopping);
  const report = (error: Error): void =>
    console.error(`[${app.serverId}] ${error.message}`, error.cause ?? '');
  try {
    await app.lifecycle.run(LifecycleHook.BeforeShutdown, app);
  } catch (error) {
    report(error instanceof Error ? error : new Error(String(error)));
  }
  if (!force) await app.components.drain(deadlineMs, report);
  await app.components.stop(force, report);
  app.enter(AppState.Stopped);
}

/** A server run by a supervisor (not the master) stops gracefully on SIGINT/SIGTERM. */
function stopOnSignals(app: Application): void {
  if (app.identity.master) return;
  const onSignal = (): void => {
    void app.stop(false, SIGNAL_STOP_DEADLINE_MS).finally(() => process.exit(0));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
}
