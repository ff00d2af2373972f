import { ErrorCode, ShaddockError } from '../errors.js';
import type { Component, Kernel } from '../kernel/index.js';
import type { Logger } from '../logging/index.js';
import { BackendSessionService } from './backend-session-service.js';
import { createSessionRemote } from './session-remote.js';
import { SessionService, type SingleSessionMode } from './session-service.js';
import { MemoryStatusStore, type StatusStore } from './status-store.js';

declare module '../kernel/index.js' {
  interface Services {
    /** The sessions of this frontend's connections (frontends only). */
    sessionService: SessionService;
    /** Sessions on any frontend, through `sessionRemote` (every server but the master). */
    backendSessionService: BackendSessionService;
    /** Who is online where: the `statusStore` driver (default {@link MemoryStatusStore}). */
    statusStore: StatusStore;
  }
}

/** The `sessionConfig` setting. `singleSession: true` means `'reject'`, as in Pomelo. */
export interface SessionConfig {
  readonly singleSession?: boolean | SingleSessionMode;
}

/**
 * The session component. On a frontend it makes the `SessionService` (options from the
 * `sessionConfig` setting), offers it to other servers as the system remote `sessionRemote`, and
 * records every bind, unbind and close in the `statusStore`; on every server but the master it
 * makes the `BackendSessionService` over the same store. Both services are provided when the
 * component is made, so components made after it find them in their `start`.
 *
 * With a `shared` store the frontend clears its own entries when it starts (left by a previous
 * run) and stops, and every server clears the entries of a frontend that leaves membership (it may
 * have died without a word); all of it idempotent.
 *
 * @example
 * app.set('sessionConfig', { singleSession: 'replace' });
 * app.load(sessionComponent);
 */
export function sessionComponent(app: Kernel): Component {
  // createApp provides the chosen store; an application made without it (tests) gets the default
  if (!app.services.has('statusStore')) app.services.provide('statusStore', new MemoryStatusStore());
  const status = app.services.get('statusStore');
  const log = app.logger.child({ category: 'session' });
  const write = statusWriter(status, log);
  let sessions: SessionService | undefined;
  if (app.isFrontend()) {
    sessions = new SessionService({
      frontendId: app.serverId,
      singleSession: singleSessionMode(app.get('sessionConfig')),
    });
    app.services.provide('sessionService', sessions);
    sessions.onBind((session, uid) => write((store) => store.add(uid, session.frontendId, session.id)));
    sessions.onUnbind((session, uid) => write((store) => store.remove(uid, session.frontendId, session.id)));
    sessions.onClosed((session) => {
      const uid = session.uid;
      if (uid !== undefined) write((store) => store.remove(uid, session.frontendId, session.id));
    });
  }
  if (!app.isMaster()) {
    app.services.provide(
      'backendSessionService',
      new BackendSessionService({
        membership: app.membership,
        rpcClient: () => app.services.get('rpcClient'),
        statusStore: status,
      }),
    );
  }
  let unsubscribe: (() => void) | undefined;
  return {
    name: 'session',
    async start() {
      if (status.shared && !app.isMaster()) {
        // a frontend that left (or died) holds no sessions any more
        unsubscribe = app.membership.on('remove', (server) => {
          if (server.frontend) write((store) => store.removeFrontend(server.id));
        });
        // what a previous run of this frontend left behind
        if (sessions !== undefined) await status.removeFrontend(app.serverId);
      }
      // in start: the RPC component provides the registry when the server starts, after this factory ran
      if (sessions !== undefined) {
        app.services
          .get('remoteRegistry')
          .registerSystemRemote(app.serverType, 'sessionRemote', createSessionRemote(sessions));
      }
    },
    async stop() {
      unsubscribe?.();
      if (status.shared && sessions !== undefined) await status.removeFrontend(app.serverId);
    },
  };
}

/**
 * Runs writes to the status store in call order (a store applies one caller's writes in order);
 * a failed one is logged, once until one succeeds, and never reaches the session's listeners.
 */
function statusWriter(
  store: StatusStore,
  log: Logger,
): (write: (store: StatusStore) => void | Promise<void>) => void {
  let failing = false;
  const failed = (error: unknown): void => {
    if (failing) return;
    failing = true;
    log.warn({ err: error }, 'writes to the status store fail (logged once until one succeeds)');
  };
  const succeeded = (): void => {
    failing = false;
  };
  return (write) => {
    let result: void | Promise<void>;
    try {
      result = write(store);
    } catch (error) {
      failed(error);
      return;
    }
    if (typeof (result as PromiseLike<void> | undefined)?.then === 'function') {
      (result as PromiseLike<void>).then(succeeded, failed);
    } else succeeded();
  };
}

function singleSessionMode(config: unknown): SingleSessionMode {
  if (config === undefined || config === null) return false;
  const mode: unknown = typeof config === 'object' ? (config as SessionConfig).singleSession : config;
  if (mode === undefined || mode === false) return false;
  if (mode === true || mode === 'reject') return 'reject';
  if (mode === 'replace') return 'replace';
  throw new ShaddockError(
    ErrorCode.ConfigInvalid,
    `sessionConfig.singleSession must be false, true, 'reject' or 'replace', not ${JSON.stringify(mode)}`,
  );
}
