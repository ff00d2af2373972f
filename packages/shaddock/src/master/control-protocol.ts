import type { CpuUsage } from '../admin/index.js';
import type { ServerInfo } from '../membership/index.js';

/** The environment variable through which the master hands each child its registration token. */
export const SERVER_TOKEN_ENV = 'SHADDOCK_SERVER_TOKEN';

/** What a server reports about its own process. */
export interface ProcessStats {
  readonly pid: number;
  /** Resident set size, in bytes. */
  readonly rss: number;
  readonly cpu: CpuUsage;
  /** Seconds since the process started. */
  readonly uptime: number;
}

/**
 * A message from a server's monitor to the master. `register` comes first and carries the token
 * the master gave that child, so only processes the master started can join membership.
 */
export type MonitorMessage =
  | { type: 'register'; id: string; pid: number; token: string; info: ServerInfo }
  | { type: 'ready' }
  | { type: 'stats'; requestId: number; stats: ProcessStats };

/** A message from the master to a server's monitor. */
export type MasterMessage =
  /** The answer to `register`: the whole membership, this server included. */
  | { type: 'registered'; servers: ServerInfo[] }
  /** Registration refused; the connection closes after it. */
  | { type: 'refused'; code: string; message: string }
  | { type: 'add'; server: ServerInfo }
  | { type: 'remove'; id: string }
  | { type: 'after-start-all' }
  /** Stop gracefully; the master kills the process once `deadlineMs` has passed. */
  | { type: 'stop'; deadlineMs: number }
  | { type: 'stats'; requestId: number }
  /** Frontends: change the connector's run-time IP blacklist. */
  | { type: 'blacklist'; add: string[]; remove: string[] };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** Whether a first message on the master's port is a server registering (else it is an admin). */
export function isRegister(message: unknown): message is Extract<MonitorMessage, { type: 'register' }> {
  return (
    isObject(message) &&
    message['type'] === 'register' &&
    typeof message['id'] === 'string' &&
    typeof message['pid'] === 'number' &&
    typeof message['token'] === 'string' &&
    isObject(message['info']) &&
    message['info']['id'] === message['id']
  );
}

/** Reads a message from a monitor, or `undefined` if it is not one. */
export function parseMonitorMessage(message: unknown): MonitorMessage | undefined {
  if (!isObject(message)) return undefined;
  if (message['type'] === 'ready') return { type: 'ready' };
  if (message['type'] === 'stats' && typeof message['requestId'] === 'number' && isObject(message['stats'])) {
    return message as MonitorMessage;
  }
  return isRegister(message) ? message : undefined;
}

/** Reads a message from the master, or `undefined` if it is not one. */
export function parseMasterMessage(message: unknown): MasterMessage | undefined {
  if (!isObject(message) || typeof message['type'] !== 'string') return undefined;
  switch (message['type']) {
    case 'registered':
      return Array.isArray(message['servers']) ? (message as MasterMessage) : undefined;
    case 'add':
      return isObject(message['server']) ? (message as MasterMessage) : undefined;
    case 'remove':
      return typeof message['id'] === 'string' ? (message as MasterMessage) : undefined;
    case 'stop':
      return typeof message['deadlineMs'] === 'number' ? (message as MasterMessage) : undefined;
    case 'stats':
      return typeof message['requestId'] === 'number' ? (message as MasterMessage) : undefined;
    case 'blacklist':
      return Array.isArray(message['add']) && Array.isArray(message['remove'])
        ? (message as MasterMessage)
        : undefined;
    case 'after-start-all':
    case 'refused':
      return message as MasterMessage;
    default:
      return undefined;
  }
}
