import { ErrorCode, ShaddockError } from '../errors.js';
import type { Component, Kernel } from '../kernel/index.js';
import { BackendSessionService } from './backend-session-service.js';
import { createSessionRemote } from './session-remote.js';
import { SessionService, type SingleSessionMode } from './session-service.js';

declare module '../kernel/index.js' {
  interface Services {
    /** The sessions of this frontend's connections (frontends only). */
    sessionService: SessionService;
    /** Sessions on any frontend, through `sessionRemote` (every server but the master). */
    backendSessionService: BackendSessionService;
  }
}

/** The `sessionConfig` setting. `singleSession: true` means `'reject'`, as in Pomelo. */
export interface SessionConfig {
  readonly singleSession?: boolean | SingleSessionMode;
}

/**
 * The session component. On a frontend it makes the `SessionService` (options from the
 * `sessionConfig` setting) and offers it to other servers as the system remote `sessionRemote`;
 * on every server but the master it makes the `BackendSessionService`. Both services are
 * provided when the component is made, so components made after it find them in their `start`.
 *
 * @example
 * app.set('sessionConfig', { singleSession: 'replace' });
 * app.load(sessionComponent);
 */
export function sessionComponent(app: Kernel): Component {
  let sessions: SessionService | undefined;
  if (app.isFrontend()) {
    sessions = new SessionService({
      frontendId: app.serverId,
      singleSession: singleSessionMode(app.get('sessionConfig')),
    });
    app.services.provide('sessionService', sessions);
  }
  if (!app.isMaster()) {
    app.services.provide(
      'backendSessionService',
      new BackendSessionService({
        membership: app.membership,
        rpcClient: () => app.services.get('rpcClient'),
      }),
    );
  }
  return {
    name: 'session',
    start() {
      // in start: the RPC component provides the registry when the server starts, after this factory ran
      if (sessions !== undefined) {
        app.services
          .get('remoteRegistry')
          .registerSystemRemote(app.serverType, 'sessionRemote', createSessionRemote(sessions));
      }
    },
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
