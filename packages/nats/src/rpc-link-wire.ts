import { randomInt } from 'node:crypto';
import { Packr } from 'msgpackr';
import { clusterProof, NONCE_LENGTH } from 'shaddock/internal';
import { clusterSubject, isNatsSafeId } from './subjects.js';

/**
 * What the NATS RPC link puts on the wire besides the frames: the subjects, the 25-byte header of
 * every data message, and the open handshake, which is mutual proof of the cluster secret:
 *
 * 1. client → server, request on `….rpc.<serverId>.open`: `{ subject, id, from, confirmWithin,
 *    nonce }` (where and under which id the client receives, its name, a fresh 32-byte nonce);
 * 2. server → client, the reply: `{ subject, id, nonce, proof }`, the server's own subject, id and
 *    fresh nonce, and {@link serverOpenProof};
 * 3. client → server, the connection's first message (`Opened`, sequence 0): {@link clientOpenProof}
 *    as its body. The server runs nothing of the connection (no frame read, nothing sent, not handed
 *    to its owner) before this proof is checked; any other first message closes it.
 *
 * Both proofs cover both nonces, both subjects, both connection ids, the client's name and the
 * server's id: a recorded open replayed gets a new server nonce, so it opens nothing, and a proof
 * made for one connection is refused by every other.
 *
 * A data message is `[kind][connection id: u32][sequence: u32][MAC: 16 bytes]` then, for `Data`,
 * the next bytes of the connection's frame stream (length-prefixed frames exactly as the TCP link
 * writes them, cut anywhere), for `Close`, an optional UTF-8 reason. The id is the receiver's; the
 * sequence counts every message of one direction of one connection, so a message NATS lost (core
 * NATS is at most once) is seen as a gap instead of a corrupt stream. The MAC ({@link messageMac})
 * is under a key both ends derive from the opening ({@link connectionKey}), one purpose per
 * direction: where others can publish on the cluster's subjects, a message they forge or replay
 * into a live connection is dropped (it neither runs nor closes anything). Only `Opened`, which
 * carries the client's proof, is not checked by it.
 */

// the handshake is plain msgpack maps, readable by any tool watching the subjects
const packr = new Packr({ useRecords: false, moreTypes: false });

/** Bytes of a data message's kind, connection id and sequence: what its MAC covers with the body. */
export const ROUTING_LENGTH = 9;

/** Bytes of a data message's MAC (HMAC-SHA256 under the connection's key, truncated). */
export const MAC_LENGTH = 16;

/** Bytes of the header before a data message's body: kind, connection id, sequence, MAC. */
export const HEADER_LENGTH = ROUTING_LENGTH + MAC_LENGTH;

/** The first byte of a data message (values unlikely as the first byte of text). */
export const MessageKind = {
  /** The next bytes of the frame stream. */
  Data: 0xa1,
  /** The client's first message: it has the server's reply to its open request. */
  Opened: 0xa2,
  /** The sender's end is gone; a non-empty body is the reason (the receiver's `closed` error). */
  Close: 0xa3,
} as const;

/** One of {@link MessageKind}'s values. */
export type MessageKind = (typeof MessageKind)[keyof typeof MessageKind];

/** The default `max_payload` of a NATS server, used until the server says its own. */
export const DEFAULT_MAX_PAYLOAD = 1024 * 1024;

/** Writes a data message's header in place at the start of `message`. */
export function writeHeader(message: Uint8Array, kind: MessageKind, id: number, sequence: number): void {
  message[0] = kind;
  message[1] = id >>> 24;
  message[2] = (id >>> 16) & 0xff;
  message[3] = (id >>> 8) & 0xff;
  message[4] = id & 0xff;
  message[5] = sequence >>> 24;
  message[6] = (sequence >>> 16) & 0xff;
  message[7] = (sequence >>> 8) & 0xff;
  message[8] = sequence & 0xff;
}

/** Reads the big-endian u32 at `at`. */
export function read32(message: Uint8Array, at: number): number {
  return ((message[at]! << 24) | (message[at + 1]! << 16) | (message[at + 2]! << 8) | message[at + 3]!) >>> 0;
}

/** A connection id: random, so a stray or forged message rarely names a live connection. */
export function randomConnectionId(): number {
  return randomInt(1, 0xffff_ffff);
}

// A cluster name is one subject token: no separators, wildcards or white space.
const TOKEN = /^[^\s.*>]+$/;

/** Throws unless `cluster` can be one token of a NATS subject. */
export function checkClusterName(cluster: string): void {
  if (!TOKEN.test(cluster)) {
    throw new Error(
      `cluster name ${JSON.stringify(cluster)} cannot be a NATS subject token (no '.', '*', '>' or spaces)`,
    );
  }
}

/** Throws unless `serverId` can be part of a subject (membership's rule: {@link isNatsSafeId}). */
export function checkServerId(serverId: string): void {
  if (!isNatsSafeId(serverId)) {
    throw new Error(
      `server id ${JSON.stringify(serverId)} cannot be part of a NATS subject (letters, digits, '-_=/', and '.' between them)`,
    );
  }
}

/** `shaddock.<cluster>.rpc`: every subject of one cluster's RPC link starts with it. */
export function rpcSubjectPrefix(cluster: string): string {
  return `${clusterSubject(cluster)}.rpc`;
}

/** Where a server takes open requests: `shaddock.<cluster>.rpc.<serverId>.open`. */
export function rpcOpenSubject(cluster: string, serverId: string): string {
  return `${rpcSubjectPrefix(cluster)}.${serverId}.open`;
}

/**
 * Where one listening server takes its connections' data: `shaddock.<cluster>.rpc.<serverId>.<nuid>`,
 * new at each listen, so a restarted server never receives its previous life's traffic.
 */
export function rpcServerDataSubject(cluster: string, serverId: string, listenerId: string): string {
  return `${rpcSubjectPrefix(cluster)}.${serverId}.${listenerId}`;
}

/** Where one link takes the data of the connections it opened: `shaddock.<cluster>.rpc.caller.<nuid>`. */
export function rpcCallerDataSubject(cluster: string, linkId: string): string {
  return `${rpcSubjectPrefix(cluster)}.caller.${linkId}`;
}

// A peer's name ends up in logs and errors: an id, not a document.
const MAX_NAME_LENGTH = 256;

/** The client's open request: where and under which id it receives, who it is, and its nonce. */
export interface OpenRequest {
  /** The subject the client receives this connection's data on. */
  readonly subject: string;
  /** The client's id of the connection. */
  readonly id: number;
  /** The client's name, for the server's `remoteAddress`. */
  readonly from: string;
  /** Milliseconds the server waits for the client's `Opened` before dropping the connection. */
  readonly confirmWithin: number;
  /** The client's fresh nonce. */
  readonly nonce: Uint8Array;
}

/** The server's answer: where and under which id it receives, its nonce and proof; or why it refused. */
export type OpenReply =
  | {
      readonly subject: string;
      readonly id: number;
      readonly nonce: Uint8Array;
      readonly proof: Uint8Array;
    }
  | { readonly error: string };

/** What both proofs of one opening cover. */
export interface OpenProofParts {
  readonly clientNonce: Uint8Array;
  readonly serverNonce: Uint8Array;
  /** The client's name (`from`). */
  readonly from: string;
  readonly clientSubject: string;
  /** The client end's connection id. */
  readonly clientConnection: number;
  /** The server's id (its open subject's). */
  readonly serverId: string;
  readonly serverSubject: string;
  /** The server end's connection id. */
  readonly serverConnection: number;
}

/** The server's proof, in its reply: it knows the secret, for this opening only. */
export function serverOpenProof(secret: string, parts: OpenProofParts): Buffer {
  return openProof(secret, 'nats rpc server', parts.clientNonce, parts.serverNonce, parts);
}

/** The client's proof, in its `Opened` message: it knows the secret, for this opening only. */
export function clientOpenProof(secret: string, parts: OpenProofParts): Buffer {
  return openProof(secret, 'nats rpc client', parts.serverNonce, parts.clientNonce, parts);
}

/** The key of one connection's message MACs: both ends derive it from the opening, nobody else can. */
export function connectionKey(secret: string, parts: OpenProofParts): string {
  return openProof(secret, 'nats rpc connection key', parts.clientNonce, parts.serverNonce, parts).toString(
    'base64url',
  );
}

/** Which way a message goes: each direction has its own MAC purpose. */
export type Direction = 'to server' | 'to client';

/** The MAC of `message` (its routing bytes and body; the MAC's own bytes left out), truncated. */
export function messageMac(key: string, direction: Direction, message: Uint8Array): Buffer {
  return clusterProof(
    key,
    direction,
    message.subarray(0, ROUTING_LENGTH),
    message.subarray(HEADER_LENGTH),
  ).subarray(0, MAC_LENGTH);
}

function openProof(
  secret: string,
  purpose: string,
  first: Uint8Array,
  second: Uint8Array,
  parts: OpenProofParts,
): Buffer {
  return clusterProof(
    secret,
    purpose,
    first,
    second,
    parts.from,
    parts.clientSubject,
    String(parts.clientConnection),
    parts.serverId,
    parts.serverSubject,
    String(parts.serverConnection),
  );
}

export function encodeOpenRequest(request: OpenRequest): Uint8Array {
  return packr.pack(request);
}

/** The request in `data`, or undefined if it is not one (or names a subject outside `prefix`). */
export function decodeOpenRequest(data: Uint8Array, prefix: string): OpenRequest | undefined {
  const value = safeUnpack(data);
  if (typeof value !== 'object' || value === null) return undefined;
  const { subject, id, from, confirmWithin, nonce } = value as Record<string, unknown>;
  if (
    typeof subject !== 'string' ||
    !subject.startsWith(`${prefix}.`) ||
    !isConnectionId(id) ||
    typeof from !== 'string' ||
    from.length > MAX_NAME_LENGTH ||
    typeof confirmWithin !== 'number' ||
    !(confirmWithin >= 0) ||
    !isNonce(nonce)
  ) {
    return undefined;
  }
  return { subject, id, from, confirmWithin, nonce };
}

export function encodeOpenReply(reply: OpenReply): Uint8Array {
  return packr.pack(reply);
}

/** The reply in `data`, or undefined if it is not one (or names a subject outside `prefix`). */
export function decodeOpenReply(data: Uint8Array, prefix: string): OpenReply | undefined {
  const value = safeUnpack(data);
  if (typeof value !== 'object' || value === null) return undefined;
  const { subject, id, error, nonce, proof } = value as Record<string, unknown>;
  if (typeof error === 'string') return { error };
  if (
    typeof subject !== 'string' ||
    !subject.startsWith(`${prefix}.`) ||
    !isConnectionId(id) ||
    !isNonce(nonce) ||
    !(proof instanceof Uint8Array)
  )
    return undefined;
  return { subject, id, nonce, proof };
}

function isNonce(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array && value.length === NONCE_LENGTH;
}

function isConnectionId(value: unknown): value is number {
  return typeof value === 'number' && value >>> 0 === value && value !== 0;
}

function safeUnpack(data: Uint8Array): unknown {
  try {
    return packr.unpack(data);
  } catch {
    return undefined;
  }
}
