import { clusterProof, newNonce, proofMatches, secretOrDevelopment } from 'shaddock/internal';

/**
 * Requests that change the cluster (orders to a server on its control subject, requests between
 * masters) are signed: anyone who can publish on a cluster's subjects can otherwise stop its
 * servers. A signed request is a JSON object:
 *
 * `{ "signed": 1, "at": <ms since the epoch>, "nonce": <base64url, 32 bytes>, "proof": <base64url>, "body": <the request, as JSON text> }`
 *
 * with `proof = clusterProof(secret, purpose, subject, nonce, String(at), body)`: bound to the
 * purpose (an order is no master request), the subject it was sent to (an order for one server is
 * refused by every other) and the exact body. The receiver refuses one whose `at` is more than
 * {@link SIGNED_WINDOW_MS} from its own clock, and one whose nonce it saw (a {@link ReplayGuard}).
 * Replies are not signed: who may answer on a subject is NATS's to say (its credentials and
 * permissions).
 */

/** How far a signed request's time may be from the receiver's clock, either way: 30 s. */
export const SIGNED_WINDOW_MS = 30_000;

/** What a signed request proves it is. */
export const SignedPurpose = {
  /** An order to a server, on its control subject. */
  Order: 'nats control order',
  /** A request to a master, on its masters subject. */
  MasterRequest: 'nats master request',
} as const;

/** One of {@link SignedPurpose}'s values. */
export type SignedPurpose = (typeof SignedPurpose)[keyof typeof SignedPurpose];

/** A signed request on the wire. */
export interface SignedRequest {
  readonly signed: 1;
  readonly at: number;
  readonly nonce: string;
  readonly proof: string;
  readonly body: string;
}

/** Why a signed request was refused: a log line's key (never anything the sender chose). */
export const RefusedRequest = {
  Unsigned: 'unsigned',
  WrongProof: 'wrong proof',
  OutsideWindow: 'outside the time window',
  Replayed: 'replayed',
} as const;

/** One of {@link RefusedRequest}'s values. */
export type RefusedRequest = (typeof RefusedRequest)[keyof typeof RefusedRequest];

/** Signs `body` (JSON text) for `subject`. */
export function signRequest(
  secret: string | undefined,
  purpose: SignedPurpose,
  subject: string,
  body: string,
  now: number = Date.now(),
): SignedRequest {
  const nonce = newNonce().toString('base64url');
  const proof = proofOf(secretOrDevelopment(secret), purpose, subject, nonce, now, body);
  return { signed: 1, at: now, nonce, proof: proof.toString('base64url'), body };
}

function proofOf(
  secret: string,
  purpose: SignedPurpose,
  subject: string,
  nonce: string,
  at: number,
  body: string,
): Buffer {
  return clusterProof(secret, purpose, subject, nonce, String(at), body);
}

/** Options of {@link ReplayGuard}. */
export interface ReplayGuardOptions {
  /** The cluster secret (absent: the development one). */
  readonly secret?: string | undefined;
  readonly purpose: SignedPurpose;
  /** Nonces remembered at most (default 10 000). */
  readonly maxNonces?: number;
  /** The clock (default `Date.now`). */
  readonly now?: () => number;
}

/**
 * Checks the signed requests one receiver gets: the proof, the time window, and that no nonce
 * comes twice. It remembers the nonces of the window, at most `maxNonces`: past that it forgets
 * the oldest, and from then on refuses anything not newer than what it forgot, so memory stays
 * bounded and a replay is never let through.
 *
 * @example
 * const guard = new ReplayGuard({ secret, purpose: SignedPurpose.Order });
 * const checked = guard.check(subject, JSON.parse(text));
 * if ('refused' in checked) log(checked.refused); else run(JSON.parse(checked.body));
 */
export class ReplayGuard {
  readonly #secret: string;
  readonly #purpose: SignedPurpose;
  readonly #maxNonces: number;
  readonly #now: () => number;
  // nonce → its request's time, in arrival order
  readonly #seen = new Map<string, number>();
  // requests at or before this time are refused: their nonces may have been forgotten
  #floor = Number.NEGATIVE_INFINITY;

  constructor(options: ReplayGuardOptions) {
    this.#secret = secretOrDevelopment(options.secret);
    this.#purpose = options.purpose;
    this.#maxNonces = Math.max(1, options.maxNonces ?? 10_000);
    this.#now = options.now ?? Date.now;
  }

  /** Nonces remembered now. */
  get size(): number {
    return this.#seen.size;
  }

  /** The body of `value` (a parsed request received on `subject`) if it passes, else why not. */
  check(subject: string, value: unknown): { readonly body: string } | { readonly refused: RefusedRequest } {
    if (typeof value !== 'object' || value === null) return { refused: RefusedRequest.Unsigned };
    const { signed, at, nonce, proof, body } = value as Record<string, unknown>;
    if (
      signed !== 1 ||
      typeof at !== 'number' ||
      !Number.isFinite(at) ||
      typeof nonce !== 'string' ||
      nonce.length > 64 ||
      typeof proof !== 'string' ||
      proof.length > 64 ||
      typeof body !== 'string'
    ) {
      return { refused: RefusedRequest.Unsigned };
    }
    const expected = proofOf(this.#secret, this.#purpose, subject, nonce, at, body);
    if (!proofMatches(expected, Buffer.from(proof, 'base64url')))
      return { refused: RefusedRequest.WrongProof };
    const now = this.#now();
    if (Math.abs(now - at) > SIGNED_WINDOW_MS) return { refused: RefusedRequest.OutsideWindow };
    if (at <= this.#floor || this.#seen.has(nonce)) return { refused: RefusedRequest.Replayed };
    this.#remember(nonce, at, now);
    return { body };
  }

  #remember(nonce: string, at: number, now: number): void {
    // what left the window cannot come in again (refused by its time): forget it
    for (const [seen, time] of this.#seen) {
      if (time >= now - SIGNED_WINDOW_MS) break;
      this.#seen.delete(seen);
    }
    this.#seen.set(nonce, at);
    while (this.#seen.size > this.#maxNonces) {
      const [oldest, time] = this.#seen.entries().next().value as [string, number];
      this.#seen.delete(oldest);
      this.#floor = Math.max(this.#floor, time);
    }
  }
}
