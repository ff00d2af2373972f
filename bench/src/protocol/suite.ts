/**
 * The protocol benchmark as trials: for every case, encode and decode by Shaddock and by Pinus,
 * each checked once for correctness before anything is timed.
 */
import { isDeepStrictEqual } from 'node:util';
import { decodeMessage, decodePackages } from '@shaddock/protocol';
import type { Trial } from '../measure.js';
import { type CodecPair, type Decoded, PROTOCOL_CASES, type ProtocolCase } from './cases.js';
import { pinusPair } from './pinus.js';
import { shaddockPair } from './shaddock.js';

/** Contender names, as the report prints them. */
export const SHADDOCK = 'Shaddock';
export const PINUS = 'Pinus';

/** What the check found for one case. */
export interface CaseCheck {
  readonly case: string;
  readonly description: string;
  readonly route: string;
  /** The package's size on the wire, header included. */
  readonly packageBytes: number;
  /** The message body's encoded size (JSON text or protobuf). */
  readonly bodyBytes: number;
}

/** A case ready to time: its check and its trials. */
export interface PreparedCase {
  readonly check: CaseCheck;
  readonly trials: readonly Trial[];
}

/** Checks every case (throwing on the first mismatch) and returns the trials to time. */
export function prepareProtocolCases(cases: readonly ProtocolCase[] = PROTOCOL_CASES): PreparedCase[] {
  return cases.map((testCase) => {
    const shaddock = shaddockPair(testCase);
    const pinus = pinusPair(testCase);
    const check = checkCase(testCase, shaddock, pinus);
    // Both decode the same frame, a Buffer as `ws` hands it over in Node.
    const frame = Buffer.from(shaddock.encode());
    return {
      check,
      trials: [
        {
          case: testCase.name,
          op: 'encode',
          contenders: [
            { name: SHADDOCK, run: shaddock.encode },
            { name: PINUS, run: pinus.encode },
          ],
        },
        {
          case: testCase.name,
          op: 'decode',
          contenders: [
            { name: SHADDOCK, run: () => shaddock.decode(frame) },
            { name: PINUS, run: () => pinus.decode(frame) },
          ],
        },
      ],
    };
  });
}

function checkCase(testCase: ProtocolCase, shaddock: CodecPair, pinus: CodecPair): CaseCheck {
  const ours = shaddock.encode();
  const theirs = pinus.encode();
  if (Buffer.compare(ours, theirs) !== 0) {
    throw new Error(`${testCase.name}: Shaddock's package differs from Pinus's at byte ${firstDifference(ours, theirs)}
  Shaddock ${Buffer.from(ours).toString('hex')}
  Pinus    ${Buffer.from(theirs).toString('hex')}`);
  }
  const frame = Buffer.from(ours);
  expectDecoded(testCase, SHADDOCK, shaddock.decode(frame));
  expectDecoded(testCase, PINUS, pinus.decode(frame));
  const body = decodeMessage(decodePackages(ours)[0]?.body ?? new Uint8Array(0)).body;
  return {
    case: testCase.name,
    description: testCase.description,
    route: testCase.route,
    packageBytes: ours.length,
    bodyBytes: body.length,
  };
}

function expectDecoded(testCase: ProtocolCase, who: string, decoded: Decoded | undefined): void {
  const expected = {
    type: TYPES[testCase.kind],
    id: testCase.id,
    route: testCase.route,
    body: testCase.body,
  };
  const actual = decoded && { type: decoded.type, id: decoded.id, route: decoded.route, body: decoded.body };
  if (!isDeepStrictEqual(actual, expected)) {
    throw new Error(
      `${testCase.name}: ${who} decodes ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`,
    );
  }
}

const TYPES = { request: 0, push: 3, response: 2 } as const;

function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const length = Math.min(a.length, b.length);
  for (let index = 0; index < length; index++) if (a[index] !== b[index]) return index;
  return length;
}
