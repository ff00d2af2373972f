import { timingSafeEqual } from 'node:crypto';
import { type AdminCommands, createAdminSession } from '../admin/index.js';
import type { AdminUser } from '../config/index.js';
import { ErrorCode } from '../errors.js';
import type { FramedHandlers, FramedSocket } from '../transport/index.js';
import {
  isRegister,
  type MasterMessage,
  type MonitorMessage,
  parseMonitorMessage,
} from './control-protocol.js';
import type { Registry, ServerRecord } from './registry.js';
import type { Supervisor } from './supervisor.js';

/** What a connection on the master's port may reach. */
export interface ControlServerOptions {
  readonly registry: Registry;
  readonly supervisor: Supervisor;
  readonly adminUsers: readonly AdminUser[];
  readonly adminCommands: AdminCommands;
  /** Whether `afterStartAll` was sent: a server that becomes ready later gets it on its own. */
  readonly allStarted: () => boolean;
  readonly log: (line: string) => void;
}

// A connection must say what it is (register or auth) this soon, or it is dropped.
const FIRST_MESSAGE_TIMEOUT_MS = 10_000;

function sameToken(given: string, expected: string | undefined): boolean {
  if (expected === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Serves one connection on the master's port. Its first message says what it is: a server's
 * `register` (then it is a control connection) or anything else (then it is an admin session,
 * which demands `auth` first).
 */
export function handleConnection(socket: FramedSocket, options: ControlServerOptions): FramedHandlers {
  let handlers: FramedHandlers | undefined;
  const silent = setTimeout(() => socket.destroy(), FIRST_MESSAGE_TIMEOUT_MS);
  return {
    onMessage(message: unknown): void {
      if (handlers === undefined) {
        clearTimeout(silent);
        if (isRegister(message)) {
          handlers = registerServer(socket, message, options);
          return;
        }
        const { adminUsers: users, adminCommands: commands, log } = options;
        handlers = createAdminSession({ socket, users, commands, log });
      }
      handlers.onMessage(message);
    },
    onClose(error: Error | undefined): void {
      clearTimeout(silent);
      handlers?.onClose?.(error);
    },
  };
}

function registerServer(
  socket: FramedSocket,
  register: Extract<MonitorMessage, { type: 'register' }>,
  options: ControlServerOptions,
): FramedHandlers {
  const { registry, supervisor, log } = options;
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
    socket.close();
    return { onMessage: () => {} };
  }
  registry.join(record, socket, register.info);
  return {
    onMessage(raw: unknown): void {
      const message = parseMonitorMessage(raw);
      if (message?.type === 'ready') ready(record, options);
      else if (message?.type === 'stats') registry.answerStats(message.requestId, message.stats);
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

function ready(record: ServerRecord, options: ControlServerOptions): void {
  if (record.ready) return;
  record.ready = true;
  record.readyAt = Date.now();
  if (record.state === 'starting') record.state = 'running';
  options.registry.announce(record);
  options.log(`${record.info.id} is ready`);
  if (options.allStarted()) options.registry.send(record, { type: 'after-start-all' });
  options.registry.changed();
}
