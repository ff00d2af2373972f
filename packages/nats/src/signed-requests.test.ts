import { describe, expect, it } from 'vitest';
import {
  RefusedRequest,
  ReplayGuard,
  SIGNED_WINDOW_MS,
  SignedPurpose,
  type SignedRequest,
  signRequest,
} from './signed-requests.js';

const SECRET = 's'.repeat(40);
const SUBJECT = 'shaddock.prod.control.chat-1';
const STOP = JSON.stringify({ order: 'stop', deadlineMs: 1_000 });

function guard(now: () => number = Date.now, maxNonces?: number): ReplayGuard {
  return new ReplayGuard({
    secret: SECRET,
    purpose: SignedPurpose.Order,
    now,
    ...(maxNonces === undefined ? {} : { maxNonces }),
  });
}

/** The request as the receiver parses it off the wire. */
function wire(request: SignedRequest): unknown {
  return JSON.parse(JSON.stringify(request));
}

describe('signed requests', () => {
  it('passes a fresh request once, with its body; a replay is refused', () => {
    const receiver = guard();
    const request = wire(signRequest(SECRET, SignedPurpose.Order, SUBJECT, STOP));
    expect(receiver.check(SUBJECT, request)).toEqual({ body: STOP });
    expect(receiver.check(SUBJECT, request)).toEqual({ refused: RefusedRequest.Replayed });
  });

  it('refuses an unsigned request, another secret, subject or purpose, and a changed body', () => {
    const receiver = guard();
    expect(receiver.check(SUBJECT, { order: 'stop' })).toEqual({ refused: RefusedRequest.Unsigned });
    expect(receiver.check(SUBJECT, undefined)).toEqual({ refused: RefusedRequest.Unsigned });
    const wrong = [
      signRequest('w'.repeat(40), SignedPurpose.Order, SUBJECT, STOP),
      signRequest(undefined, SignedPurpose.Order, SUBJECT, STOP),
      signRequest(SECRET, SignedPurpose.Order, 'shaddock.prod.control.chat-2', STOP),
      signRequest(SECRET, SignedPurpose.MasterRequest, SUBJECT, STOP),
      { ...signRequest(SECRET, SignedPurpose.Order, SUBJECT, STOP), body: JSON.stringify({ order: 'kill' }) },
      { ...signRequest(SECRET, SignedPurpose.Order, SUBJECT, STOP), at: Date.now() + 1 },
    ];
    for (const request of wrong)
      expect(receiver.check(SUBJECT, wire(request))).toEqual({ refused: RefusedRequest.WrongProof });
    expect(receiver.size).toBe(0);
  });

  it('refuses a request whose time is outside the window, either way', () => {
    let now = 1_000_000_000;
    const receiver = guard(() => now);
    const old = wire(signRequest(SECRET, SignedPurpose.Order, SUBJECT, STOP, now - SIGNED_WINDOW_MS - 1));
    const future = wire(signRequest(SECRET, SignedPurpose.Order, SUBJECT, STOP, now + SIGNED_WINDOW_MS + 1));
    expect(receiver.check(SUBJECT, old)).toEqual({ refused: RefusedRequest.OutsideWindow });
    expect(receiver.check(SUBJECT, future)).toEqual({ refused: RefusedRequest.OutsideWindow });
    const fresh = wire(signRequest(SECRET, SignedPurpose.Order, SUBJECT, STOP, now));
    expect(receiver.check(SUBJECT, fresh)).toEqual({ body: STOP });
    // once out of the window, its nonce is forgotten: its time alone refuses it
    now += SIGNED_WINDOW_MS + 1;
    receiver.check(SUBJECT, wire(signRequest(SECRET, SignedPurpose.Order, SUBJECT, STOP, now)));
    expect(receiver.size).toBe(1);
    expect(receiver.check(SUBJECT, fresh)).toEqual({ refused: RefusedRequest.OutsideWindow });
  });

  it('keeps at most maxNonces, and still refuses a replay of one it forgot', () => {
    let now = 1_000_000_000;
    const receiver = guard(() => now, 3);
    const requests = Array.from({ length: 5 }, (_, index) =>
      wire(signRequest(SECRET, SignedPurpose.Order, SUBJECT, STOP, now + index)),
    );
    now += 10;
    for (const request of requests) expect(receiver.check(SUBJECT, request)).toEqual({ body: STOP });
    expect(receiver.size).toBe(3);
    for (const request of requests)
      expect(receiver.check(SUBJECT, request)).toEqual({ refused: RefusedRequest.Replayed });
    // a new one, later than what was forgotten, still passes
    expect(
      receiver.check(SUBJECT, wire(signRequest(SECRET, SignedPurpose.Order, SUBJECT, STOP, now))),
    ).toEqual({
      body: STOP,
    });
  });
});
