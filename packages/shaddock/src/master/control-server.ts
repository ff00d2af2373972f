import {
  type AdminAuthority,
  type AdminCommands,
  createAdminSession,
  type LoginGuard,
  type SecurityLog,
} from '../admin/index.js';
import { ErrorCode } from '../errors.js';
import { type FramedHandlers, type FramedSocket, newNonce, proofMatches } from '../transport/index.js';
import {
  isMonitorAuth,
  isRegister,
  isWellFormedMonitorAuth,
  type MasterMessage,
  type MonitorMessage,
  MonitorProofPurpose,
  monitorProof,
  parseMonitorMessage,
} from './control-protocol.js';
import { placementFailure, runPlacementOperation } from './placement-protocol.js';
import type { Registry, ServerRecord } from './registry.js';
import type { Supervisor } from './supervisor.js';

/** The largest frame the master's port reads: control messages and admin commands are small. */
export const MAX_CONTROL_FRAME = 1024 * 1024;

/** What one connection on the master's port may cost before it has proved anything. */
export interface PortLimits {
  /** Milliseconds without a frame, before the peer proved itself, after which it is dropped (default 3 000). */
  readonly idleMs: number;
  /** Milliseconds for the whole handshake: the proof (and a monitor's registration) (default 5 000). */
  readonly handshakeMs: number;
  /** Bytes queued to a peer that does not read, past which it is dropped (default 16 MiB). */
  readonly maxPendingBytes: number;
}

/** The default {@link PortLimits}. */
export const DEFAULT_PORT_LIMITS: PortLimits = Object.freeze({
  idleMs: 3_000,
  handshakeMs: 5_000,
  maxPendingBytes: 16 * 1024 * 1024,
});

/** The servers' side of the port: only the master that runs a registry has one. */
export interface MonitorEndpoint {
  readonly registry: Registry;
  readonly supervisor: Supervisor;
  /** The cluster secret every monitor proves it knows, and the master proves back. */
  readonly secret: string;
  /** Whether `afterStartAll` was sent: a server that becomes ready later gets it on its own. */
  readonly allStarted: () => boolean;
}

/** What a connection on the master's port may reach. */
export interface ControlServerOptions {
  readonly admin: {
    readonly authority: AdminAuthority;
    readonly guard: LoginGuard;
    readonly commands: AdminCommands;
  };
  /** Absent on a master that serves admins only (scale-out): a monitor's proof is refused. */
  readonly monitors?: MonitorEndpoint;
  readonly limits: PortLimits;
  /** Lines about what was done (a login, a server ready). */
  readonly log: (line: string) => void;
  /** Lines about what was refused, rate-limited by reason. */
  readonly security: SecurityLog;
}

type MonitorAuth = Extract<MonitorMessage, { type: 'monitor-auth' }>;

const IGNORE: FramedHandlers = { onMessage: () => {} };

// A refused peer that keeps its end open is cut after this long.
const REFUSED_GRACE_MS = 1_000;

/** Ends the connection after the pending replies; cuts it if the peer does not close its end soon. */
function closeRefused(socket: FramedSocket): void {
  socket.close();
  setTimeout(() => socket.destroy(), REFUSED_GRACE_MS).unref();
}

/**
 * Serves one connection on the master's port. The master speaks first: `hello` with a fresh nonce.
 * The peer's first frame says what it is: a server's `monitor-auth` (its proof of the cluster
 * secret over both nonces; the master proves back, then reads its `register`) or an admin's
 * `login` (then an admin session, see `createAdminSession`). A peer whose first frame is neither,
 * or whose proof is wrong, is closed after it with nothing dispatched, and logged rate-limited.
 * Until it proved itself a peer is dropped after `idleMs` without a frame or `handshakeMs` in
 * all. (A peer that does not read what it is sent is dropped past `limits.maxPendingBytes` by the
 * listener: pass it to `listenFramed`.)
 */
export function handleConnection(socket: FramedSocket, options: ControlServerOptions): FramedHandlers {
  const { limits, security } = options;
  const address = socket.remoteAddress;
  const nonce = newNonce();
  let handlers: FramedHandlers | undefined;
  let handshaking = true;
  const drop = (reason: string): void => {
    if (!handshaking) return;
    security(`port:${reason}`, `dropped a connection from ${address}: ${reason} before it proved itself`);
    socket.destroy();
  };
  const deadline = setTimeout(() => drop('handshake deadline'), limits.handshakeMs);
  let idle = setTimeout(() => drop('idle'), limits.idleMs);
  const proved = (): void => {
    handshaking = false;
    clearTimeout(deadline);
    clearTimeout(idle);
  };
  socket.send({ type: 'hello', nonce } satisfies MasterMessage);

  const first = (message: unknown): FramedHandlers => {
    if (isMonitorAuth(message)) return monitorConnection(socket, nonce, message, options, proved);
    const type = (message as { type?: unknown } | null)?.type;
    if (type !== 'login')
      security('port:first-frame', `refused ${address}: its first frame was no login and no proof`);
    const { authority, guard, commands } = options.admin;
    return createAdminSession({
      socket,
      nonce,
      authority,
      guard,
      commands,
      log: options.log,
      onProofReceived: proved,
    });
  };

  return {
    onMessage(message: unknown): void {
      if (handshaking) {
        clearTimeout(idle);
        idle = setTimeout(() => drop('idle'), limits.idleMs);
      }
      handlers ??= first(message);
      handlers.onMessage(message);
    },
    onClose(error: Error | undefined): void {
      clearTimeout(deadline);
      clearTimeout(idle);
      handlers?.onClose?.(error);
    },
  };
}

/** A connection whose first frame was a monitor's proof: checked, then the registration. */
function monitorConnection(
  socket: FramedSocket,
  nonce: Uint8Array,
  auth: MonitorAuth,
  options: ControlServerOptions,
  proved: () => void,
): FramedHandlers {
  const { monitors, security } = options;
  const refuse = (reason: string, message: string): FramedHandlers => {
    security(`monitor:${reason}`, `refused a monitor connection from ${socket.remoteAddress}: ${message}`);
    socket.send({ type: 'refused', code: ErrorCode.RegisterRefused, message } satisfies MasterMessage);
    closeRefused(socket);
    return IGNORE;
  };
  if (!monitors)
    return refuse(
      'no-registry',
      'this master runs no registry (servers of a scale-out cluster do not register)',
    );
  if (!isWellFormedMonitorAuth(auth)) return refuse('malformed', 'malformed monitor-auth');
  const expected = monitorProof(monitors.secret, MonitorProofPurpose.Server, nonce, auth.nonce, auth.id);
  if (!proofMatches(expected, auth.proof)) return refuse('bad-proof', 'wrong cluster secret');
  const proof = monitorProof(monitors.secret, MonitorProofPurpose.Master, nonce, auth.nonce, auth.id);
  let registered: FramedHandlers | undefined;
  let ended = false;
  return {
    onMessage(message: unknown): void {
      if (ended) return;
      if (message === auth) {
        socket.send({ type: 'monitor-ok', proof } satisfies MasterMessage);
        return;
      }
      if (registered) {
        registered.onMessage(message);
        return;
      }
      proved();
      if (!isRegister(message) || message.id !== auth.id) {
        ended = true;
        refuse('no-register', `expected the registration of ${auth.id}`);
        return;
      }
      registered = registerServer(socket, message, monitors, options.log);
    },
    onClose(error: Error | undefined): void {
      ended = true;
      registered?.onClose?.(error);
    },
  };
}

function registerServer(
  socket: FramedSocket,
  register: Extract<MonitorMessage, { type: 'register' }>,
  monitors: MonitorEndpoint,
  log: (line: string) => void,
): FramedHandlers {
  const { registry, supervisor } = monitors;
  const record = registry.get(register.id);
  const refusal = refuse(record, register);
  if (refusal !== undefined || !record) {
    log(`refused a registration as ${register.id} from ${socket.remoteAddress}: ${refusal}`);
    const reply: MasterMessage = {
      type: 'refused',
      code: ErrorCode.RegisterRefused,
      message: String(refusal),
    };
    socket.send(reply);
    closeRefused(socket);
    return IGNORE;
  }
  registry.join(record, socket, register.info);
  return {
    onMessage(raw: unknown): void {
      const message = parseMonitorMessage(raw);
      if (message?.type === 'ready') ready(record, monitors, log);
      else if (message?.type === 'stats') registry.answerStats(message.requestId, message.stats);
      else if (message?.type === 'placement') socket.send(answerPlacement(registry, message));
      else socket.destroy(new Error(`unexpected control message from ${record.info.id}`));
    },
    onClose(): void {
      if (record.socket !== socket) return;
      record.socket = undefined;
      supervisor.connectionLost(record);
      registry.changed();
    },
  };
}

function refuse(
  record: ServerRecord | undefined,
  register: Extract<MonitorMessage, { type: 'register' }>,
): string | undefined {
  if (!record) return `this master runs no server ${register.id}`;
  if (!sameToken(register.token, record.token))
    return `this master did not start that process as ${register.id}`;
  if (record.socket) return `${register.id} is already registered`;
  return undefined;
}

function sameToken(given: string, expected: string | undefined): boolean {
  return expected !== undefined && proofMatches(Buffer.from(expected), Buffer.from(given));
}

function ready(record: ServerRecord, monitors: MonitorEndpoint, log: (line: string) => void): void {
  if (record.ready) return;
  record.ready = true;
  record.readyAt = Date.now();
  if (record.state === 'starting') record.state = 'running';
  monitors.registry.announce(record);
  log(`${record.info.id} is ready`);
  if (monitors.allStarted()) monitors.registry.send(record, { type: 'after-start-all' });
  monitors.registry.changed();
}

/** Runs a server's call on the master's placement table; a bad call is answered with its error. */
function answerPlacement(
  registry: Registry,
  { requestId, operation }: Extract<MonitorMessage, { type: 'placement' }>,
): MasterMessage {
  try {
    const isMember = (serverId: string): boolean => registry.get(serverId)?.registered !== undefined;
    return {
      type: 'placement-answer',
      requestId,
      answer: runPlacementOperation(registry.placement, operation, isMember),
    };
  } catch (error) {
    return { type: 'placement-answer', requestId, error: placementFailure(error) };
  }
}
