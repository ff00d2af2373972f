import type { CpuUsage, PortHello } from '../admin/index.js';
import { DRIVER_VARIABLES } from '../config/index.js';
import type { ServerInfo } from '../membership/index.js';
import type { PlacementEntry } from '../placement/index.js';
import { clusterProof, NONCE_LENGTH } from '../transport/index.js';
import {
  type PlacementAnswer,
  type PlacementOperation,
  parsePlacementOperation,
} from './placement-protocol.js';

/** The environment variable through which the master hands each child its registration token. */
export const SERVER_TOKEN_ENV = 'SHADDOCK_SERVER_TOKEN';

/** The environment variable that holds the cluster secret (the children of a master get it there). */
export const CLUSTER_SECRET_ENV = DRIVER_VARIABLES.secret;

/** What each side of a monitor connection proves, under the cluster secret (one purpose each). */
export const MonitorProofPurpose = {
  /** The server: it belongs to the cluster. */
  Server: 'monitor server',
  /** The master: it is this cluster's master. */
  Master: 'monitor master',
} as const;

/** One of {@link MonitorProofPurpose}'s values. */
export type MonitorProofPurpose = (typeof MonitorProofPurpose)[keyof typeof MonitorProofPurpose];

/**
 * One side's proof on a monitor connection: HMAC under the cluster secret of the purpose, the
 * master's nonce (its `hello`), the server's nonce and the server's id.
 */
export function monitorProof(
  secret: string,
  purpose: MonitorProofPurpose,
  masterNonce: Uint8Array,
  serverNonce: Uint8Array,
  serverId: string,
): Buffer {
  return clusterProof(secret, purpose, masterNonce, serverNonce, serverId);
}

/** Whether `value` is a nonce as the handshakes carry them. */
export function isNonce(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array && value.length === NONCE_LENGTH;
}

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
 * A message from a server's monitor to the master. `monitor-auth` comes first (the answer to the
 * master's `hello`): the proof that the server knows the cluster secret; then, once the master
 * proved it back (`monitor-ok`), `register`, which carries the token the master gave that child,
 * so only processes the master started can join membership.
 */
export type MonitorMessage =
  | { type: 'monitor-auth'; id: string; nonce: Uint8Array; proof: Uint8Array }
  | { type: 'register'; id: string; pid: number; token: string; info: ServerInfo }
  | { type: 'ready' }
  | { type: 'stats'; requestId: number; stats: ProcessStats }
  /** A call on the master's placement table; answered by `placement-answer` with the same id. */
  | { type: 'placement'; requestId: number; operation: PlacementOperation };

/** A message from the master to a server's monitor. */
export type MasterMessage =
  /** The first message on every connection of the master's port. */
  | PortHello
  /** The answer to a good `monitor-auth`: the master's proof. */
  | { type: 'monitor-ok'; proof: Uint8Array }
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
  | { type: 'blacklist'; add: string[]; remove: string[] }
  /** The answer to a `placement` call: its result, or the error it failed with. */
  | {
      type: 'placement-answer';
      requestId: number;
      answer?: PlacementAnswer;
      error?: { code: string; message: string };
    }
  /** A key of the placement table was released (every server forgets its cached owner). */
  | { type: 'placement-released'; entry: PlacementEntry };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** Whether a first message on the master's port is a server's proof (else it is an admin's login). */
export function isMonitorAuth(
  message: unknown,
): message is Extract<MonitorMessage, { type: 'monitor-auth' }> {
  return isObject(message) && message['type'] === 'monitor-auth';
}

/** Whether a message is a well-formed `monitor-auth` (a peer that sends one otherwise is refused). */
export function isWellFormedMonitorAuth(message: Extract<MonitorMessage, { type: 'monitor-auth' }>): boolean {
  return (
    typeof message.id === 'string' &&
    message.id !== '' &&
    message.id.length <= 128 &&
    isNonce(message.nonce) &&
    message.proof instanceof Uint8Array
  );
}

/** Whether a message is a well-formed `register`. */
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
  if (message['type'] === 'placement' && typeof message['requestId'] === 'number') {
    const operation = parsePlacementOperation(message['operation']);
    return operation === undefined
      ? undefined
      : { type: 'placement', requestId: message['requestId'], operation };
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
    case 'hello':
      return isNonce(message['nonce']) ? (message as MasterMessage) : undefined;
    case 'monitor-ok':
      return message['proof'] instanceof Uint8Array ? (message as MasterMessage) : undefined;
    case 'placement-answer':
      return typeof message['requestId'] === 'number' ? (message as MasterMessage) : undefined;
    case 'placement-released':
      return isObject(message['entry']) ? (message as MasterMessage) : undefined;
    case 'after-start-all':
    case 'refused':
      return message as MasterMessage;
    default:
      return undefined;
  }
}
