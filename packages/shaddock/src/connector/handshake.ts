import {
  decodeHandshakeRequest,
  encodeHandshakeResponse,
  HandshakeCode,
  type HandshakeProtos,
  type HandshakeRequest,
  type HandshakeResponse,
  isProtocolError,
  type JsonObject,
  type RouteDictionary,
} from '@shaddock/protocol';
import type { ClientConnection } from './client-connection.js';
import { CloseReason } from './close-reason.js';
import type { ConnectorSettings } from './connector-config.js';

/** What a frontend tells every client in its handshake response. */
export interface HandshakeSetup {
  /** 0: no heartbeat key, as Pinus without a heartbeat. */
  readonly heartbeatSeconds: number;
  readonly dictionary: RouteDictionary | undefined;
  readonly protos: HandshakeProtos | undefined;
}

type Sys = NonNullable<HandshakeResponse['sys']>;

/**
 * The handshake responses of one frontend. The dictionary and the protos go only to a client whose
 * cached version differs; without user data the four possible responses are encoded once.
 */
export class HandshakeResponses {
  readonly #setup: HandshakeSetup;
  /** Indexed by `(sendDict ? 1 : 0) | (sendProtos ? 2 : 0)`. */
  readonly #sys: Sys[] = [];
  readonly #encoded: Uint8Array[] = [];

  constructor(setup: HandshakeSetup) {
    this.#setup = setup;
    for (let variant = 0; variant < 4; variant++) {
      const sys = buildSys(setup, (variant & 1) !== 0, (variant & 2) !== 0);
      this.#sys.push(sys);
      this.#encoded.push(encodeHandshakeResponse({ code: HandshakeCode.Ok, sys }));
    }
  }

  /** The `{code: 200, sys, user}` package for `request`. */
  accept(request: HandshakeRequest, user: JsonObject | undefined): Uint8Array {
    const { dictionary, protos } = this.#setup;
    const sendDict = dictionary !== undefined && request.sys.dictVersion !== dictionary.version;
    const sendProtos = protos !== undefined && request.sys.protoVersion !== protos.version;
    const variant = (sendDict ? 1 : 0) | (sendProtos ? 2 : 0);
    if (user === undefined) return this.#encoded[variant] as Uint8Array;
    return encodeHandshakeResponse({ code: HandshakeCode.Ok, sys: this.#sys[variant] as Sys, user });
  }
}

function buildSys(setup: HandshakeSetup, sendDict: boolean, sendProtos: boolean): Sys {
  const { heartbeatSeconds, dictionary, protos } = setup;
  return {
    ...(heartbeatSeconds > 0 ? { heartbeat: heartbeatSeconds } : {}),
    ...(dictionary === undefined ? {} : { useDict: true }),
    ...(dictionary !== undefined && sendDict
      ? { dict: dictionary.toJSON(), dictVersion: dictionary.version }
      : {}),
    ...(protos === undefined ? {} : { useProto: true }),
    ...(protos !== undefined && sendProtos ? { protos } : {}),
  };
}

const refusals = new Map<number, Uint8Array>();

/** The `{code}` package that refuses a handshake; encoded once per code. */
export function refusal(code: number): Uint8Array {
  let bytes = refusals.get(code);
  if (bytes === undefined) {
    bytes = encodeHandshakeResponse({ code });
    if (refusals.size < 64) refusals.set(code, bytes);
  }
  return bytes;
}

/** How a client's handshake ends, told to its connection. */
export interface HandshakeOutcome {
  /** The user's handshake hook runs: no other package is allowed meanwhile. */
  waiting(): void;
  /** Send this response and wait for the ACK. */
  accept(response: Uint8Array): void;
  /** Send `{code}` and close with `reason`. */
  refuse(code: number, reason: string): void;
  report(error: unknown): void;
}

/**
 * Answers a HANDSHAKE body: 500 when it does not decode (it is not a JSON object with a `sys`
 * object: Pomelo and Pinus answer 500 too, then close), 501 when `checkClient` refuses, the
 * code a refusing `handshake` hook throws (default 500), else 200 with the hook's `user` data.
 */
export function answerHandshake(
  body: Uint8Array,
  settings: ConnectorSettings,
  responses: HandshakeResponses,
  connection: ClientConnection,
  outcome: HandshakeOutcome,
): void {
  let request: HandshakeRequest;
  try {
    request = decodeHandshakeRequest(body);
  } catch (error) {
    const reason = isProtocolError(error) ? error.code : CloseReason.HandshakeRefused;
    outcome.refuse(HandshakeCode.BadRequest, reason);
    return;
  }
  const accept = (user: JsonObject | undefined): void => {
    let response: Uint8Array;
    try {
      response = responses.accept(request, user);
    } catch (error) {
      outcome.report(error);
      outcome.refuse(HandshakeCode.BadRequest, CloseReason.InternalError);
      return;
    }
    outcome.accept(response);
  };
  const { checkClient, handshake } = settings;
  try {
    if (checkClient !== undefined && !checkClient(request.sys.type, request.sys.version)) {
      outcome.refuse(HandshakeCode.OldClient, CloseReason.OldClient);
    } else if (handshake === undefined) {
      accept(undefined);
    } else {
      outcome.waiting();
      const user = handshake(request, connection);
      if (isPromiseLike(user)) {
        Promise.resolve(user).then(accept, (error: unknown) => refuseFor(error, outcome));
      } else {
        accept(user);
      }
    }
  } catch (error) {
    refuseFor(error, outcome);
  }
}

/** A thrown `{ code, reason }` refuses with that code; anything else with 500. */
function refuseFor(error: unknown, outcome: HandshakeOutcome): void {
  const rejection = typeof error === 'object' && error !== null ? (error as Record<string, unknown>) : {};
  const code = typeof rejection['code'] === 'number' ? rejection['code'] : HandshakeCode.BadRequest;
  const reason =
    typeof rejection['reason'] === 'string'
      ? rejection['reason']
      : error instanceof Error
        ? error.message
        : CloseReason.HandshakeRefused;
  outcome.refuse(code, reason);
}

function isPromiseLike<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | undefined)?.then === 'function';
}
