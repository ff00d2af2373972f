// Smoke test of the protocol benchmark: every case passes its correctness check and every
// contender runs and yields a rate. It never asserts a time.
import { describe, expect, it } from 'vitest';
import { median, runTrials } from '../measure.js';
import { compare } from '../report.js';
import { PINUS, prepareProtocolCases, SHADDOCK } from './suite.js';

describe('protocol benchmark', () => {
  it('checks every case: equal bytes, decodes equal to the input', () => {
    const prepared = prepareProtocolCases();
    expect(prepared.map((p) => p.check.case)).toHaveLength(3);
    for (const { check } of prepared) {
      expect(check.packageBytes).toBeGreaterThan(check.bodyBytes);
      expect(check.bodyBytes).toBeGreaterThan(50);
    }
  });

  it('runs every trial for both contenders and reports positive rates', () => {
    const trials = prepareProtocolCases().flatMap((p) => p.trials);
    expect(trials).toHaveLength(6);
    const results = runTrials(trials, { durationMs: 3, warmupMs: 1, rounds: 1 });
    for (const row of compare(results, SHADDOCK, PINUS)) {
      expect(row.subject).toBeGreaterThan(0);
      expect(row.baseline).toBeGreaterThan(0);
      expect(Number.isFinite(row.ratio)).toBe(true);
    }
  });

  it('takes the median of the rounds', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
});
