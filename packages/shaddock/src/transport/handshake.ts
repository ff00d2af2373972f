import type { Socket } from 'node:net';
import { clusterProof, NONCE_LENGTH, newNonce, proofMatches } from './cluster-proof.js';
import { decodePayload } from './frame-codec.js';
import type { NodeFramedSocket, PayloadHandlers, SocketHandlers } from './framed-socket.js';

/**
 * The mutual challenge-response that opens every authenticated framed connection, before any other
 * frame is read. Three frames, plain msgpack arrays in the ordinary framing:
 *
 * 1. server → client `['challenge', 1, serverNonce]` (32 fresh random bytes, the version 1);
 * 2. client → server `['answer', clientId, clientNonce, clientProof]`, with
 *    `clientProof = clusterProof(secret, '<purpose> client', serverNonce, clientNonce, clientId, serverId)`;
 * 3. server → client `['welcome', serverProof]`, with
 *    `serverProof = clusterProof(secret, '<purpose> server', clientNonce, serverNonce, clientId, serverId)`.
 *
 * The server hands the connection to its owner (which may then send its own first frame, RPC's
 * hello) only after a valid answer; a first frame that is anything else closes the connection with
 * nothing dispatched. The client hands the connection to its caller only after a valid welcome.
 * Both proofs cover both fresh nonces, both ids and the purpose, so a recorded handshake replayed on
 * a new connection fails (a new server nonce), a proof made for one step or one purpose is refused
 * by every other, and a client reaching a port that another server took since (a stale address)
 * fails instead of calling the wrong server. It proves membership only: frames are neither
 * encrypted nor signed afterwards (use a private network or a tunnel across untrusted ones).
 */

/** The handshake's version, in the challenge. */
export const HANDSHAKE_VERSION = 1;

/**
 * The cluster secret of a process that has none configured, outside production: well known (it is
 * in the source), so it keeps nothing out. It lets a development cluster, and tests, run the full
 * handshake without any set-up; `createApp` refuses to start in production with it or without one.
 */
export const DEVELOPMENT_CLUSTER_SECRET = 'shaddock-development-cluster-secret-never-use-in-production';

/** The largest frame read before the peer is authenticated. */
export const MAX_HANDSHAKE_FRAME = 1_024;

/** Default milliseconds from accepting a connection to its peer's valid answer. */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 5_000;

/** Default milliseconds an unauthenticated peer may stay silent. */
export const DEFAULT_HANDSHAKE_IDLE_MS = 2_000;

/** Why a peer was refused; a log line's key (never anything the peer sent). */
export const RefusalReason = {
  /** Its first frame is not msgpack. */
  Undecodable: 'undecodable first frame',
  /** Its first frame is not an answer of the right shape. */
  NotAnAnswer: 'first frame is not a handshake answer',
  /** Its answer's proof is wrong: it does not know the secret, or it replays another connection's. */
  WrongProof: 'wrong proof',
  /** Its first frame is larger than the listener accepts. */
  Oversize: 'oversize frame before authentication',
  /** It sent nothing for the idle timeout. */
  Idle: 'idle before authentication',
  /** It did not finish within the handshake deadline. */
  Deadline: 'handshake deadline passed',
} as const;

/** One of {@link RefusalReason}'s values. */
export type RefusalReason = (typeof RefusalReason)[keyof typeof RefusalReason];

/** A peer refused before it was authenticated: nothing it sent was dispatched. */
export interface HandshakeRefusal {
  readonly reason: RefusalReason;
  readonly remoteAddress: string;
  readonly remotePort: number;
}

/** What a listener proves and requires. */
export interface ServerAuthentication {
  /** The cluster secret (at least 32 characters in production). */
  readonly secret: string;
  /** This server's id: bound into both proofs. */
  readonly self: string;
  /** Names the kind of connection (`'rpc'`): a proof for one purpose is refused by every other. */
  readonly purpose: string;
  /** Milliseconds from accepting to a valid answer (default {@link DEFAULT_HANDSHAKE_TIMEOUT_MS}). */
  readonly handshakeTimeout?: number;
  /** Milliseconds an unauthenticated peer may send nothing (default {@link DEFAULT_HANDSHAKE_IDLE_MS}). */
  readonly idleTimeout?: number;
  /** Hears each peer refused (log it rate-limited, keyed by the reason). */
  readonly onRefused?: (refusal: HandshakeRefusal) => void;
}

/** What a client proves and requires. */
export interface ClientAuthentication {
  readonly secret: string;
  /** This process's id, sent to the server and bound into both proofs. */
  readonly self: string;
  /** The id of the server it means to reach: a server of another id fails the handshake. */
  readonly peer: string;
  readonly purpose: string;
}

/** The cluster secret to prove with: `secret`, else the development one. */
export function secretOrDevelopment(secret: string | undefined): string {
  return secret === undefined || secret === '' ? DEVELOPMENT_CLUSTER_SECRET : secret;
}

/**
 * Runs the server's side on a socket just accepted: sends the challenge, reads nothing but the
 * answer, and calls `accepted` (which returns the connection's real handlers) once the peer proved
 * itself. Any other first frame, a silence of `idleTimeout`, or no answer within `handshakeTimeout`
 * destroys the socket and reports the refusal.
 */
export function authenticatePeer(
  raw: Socket,
  socket: NodeFramedSocket,
  auth: ServerAuthentication,
  accepted: () => SocketHandlers,
  onClose: () => void,
): void {
  const serverNonce = newNonce();
  let done = false;
  const refuse = (reason: RefusalReason): void => {
    if (done) return;
    done = true;
    clearTimeout(deadline);
    raw.setTimeout(0);
    socket.destroy(new Error(`refused before authentication: ${reason}`));
    auth.onRefused?.({ reason, remoteAddress: socket.remoteAddress, remotePort: socket.remotePort });
  };
  const deadline = setTimeout(
    () => refuse(RefusalReason.Deadline),
    auth.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT_MS,
  );
  raw.setTimeout(auth.idleTimeout ?? DEFAULT_HANDSHAKE_IDLE_MS, () => refuse(RefusalReason.Idle));
  socket.onOversize = () => refuse(RefusalReason.Oversize);
  const handshake: PayloadHandlers = {
    onPayload(source, start, end) {
      if (done) return;
      let answer: unknown;
      try {
        answer = decodePayload(source, start, end);
      } catch {
        refuse(RefusalReason.Undecodable);
        return;
      }
      const reason = checkAnswer(answer, serverNonce, auth);
      if (reason !== undefined) {
        refuse(reason);
        return;
      }
      done = true;
      clearTimeout(deadline);
      raw.setTimeout(0);
      socket.onOversize = undefined;
      socket.restoreMaxFrameLength();
      const [, clientId, clientNonce] = answer as [string, string, Uint8Array];
      socket.send([
        'welcome',
        clusterProof(auth.secret, `${auth.purpose} server`, clientNonce, serverNonce, clientId, auth.self),
      ]);
      // frames after the answer (none from a well-behaved client) go to the real handlers
      socket.attach(accepted());
    },
    onClose() {
      done = true;
      clearTimeout(deadline);
      onClose();
    },
  };
  socket.attach(handshake);
  // an answer is a few hundred bytes: a peer that announces more is cut before it sends them
  socket.limitMaxFrameLength(MAX_HANDSHAKE_FRAME);
  socket.send(['challenge', HANDSHAKE_VERSION, serverNonce]);
}

function checkAnswer(
  answer: unknown,
  serverNonce: Uint8Array,
  auth: ServerAuthentication,
): RefusalReason | undefined {
  if (
    !Array.isArray(answer) ||
    answer.length !== 4 ||
    answer[0] !== 'answer' ||
    typeof answer[1] !== 'string' ||
    answer[1].length > 256 ||
    !(answer[2] instanceof Uint8Array) ||
    answer[2].length !== NONCE_LENGTH
  ) {
    return RefusalReason.NotAnAnswer;
  }
  const [, clientId, clientNonce, proof] = answer as [string, string, Uint8Array, unknown];
  const expected = clusterProof(
    auth.secret,
    `${auth.purpose} client`,
    serverNonce,
    clientNonce,
    clientId,
    auth.self,
  );
  return proofMatches(expected, proof) ? undefined : RefusalReason.WrongProof;
}

/**
 * Runs the client's side on a socket just connected: answers the server's challenge, checks its
 * welcome. Resolves once the server proved itself (frames it sent after the welcome are held until
 * `release`); rejects, with the socket destroyed, on anything else.
 */
export function authenticateServer(socket: NodeFramedSocket, auth: ClientAuthentication): Promise<void> {
  const clientNonce = newNonce();
  let serverNonce: Uint8Array | undefined;
  return new Promise((resolve, reject) => {
    const fail = (reason: string): void => {
      const error = new Error(`${auth.peer} did not prove it belongs to the cluster: ${reason}`);
      socket.destroy(error);
      reject(error);
    };
    socket.attach({
      onPayload(source, start, end) {
        let message: unknown;
        try {
          message = decodePayload(source, start, end);
        } catch {
          fail('an undecodable frame');
          return;
        }
        if (serverNonce === undefined) {
          if (
            !Array.isArray(message) ||
            message[0] !== 'challenge' ||
            message[1] !== HANDSHAKE_VERSION ||
            !(message[2] instanceof Uint8Array) ||
            message[2].length !== NONCE_LENGTH
          ) {
            fail('its first frame is not a challenge of version 1');
            return;
          }
          serverNonce = message[2];
          const proof = clusterProof(
            auth.secret,
            `${auth.purpose} client`,
            serverNonce,
            clientNonce,
            auth.self,
            auth.peer,
          );
          socket.send(['answer', auth.self, clientNonce, proof]);
          return;
        }
        const expected = clusterProof(
          auth.secret,
          `${auth.purpose} server`,
          clientNonce,
          serverNonce,
          auth.self,
          auth.peer,
        );
        if (!Array.isArray(message) || message[0] !== 'welcome' || !proofMatches(expected, message[1])) {
          fail('wrong proof (another secret, or another server at this address)');
          return;
        }
        // what follows is the caller's: held until it has the socket
        socket.hold();
        resolve();
      },
      onClose(error) {
        reject(
          new Error(
            `the connection to ${auth.peer} closed during the handshake`,
            error ? { cause: error } : {},
          ),
        );
      },
    });
  });
}
