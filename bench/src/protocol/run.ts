/**
 * `npm run bench:protocol`: Pomelo messages encoded and decoded by `@shaddock/protocol` and by
 * pinus-protocol + pinus-protobuf, side by side in one process.
 *
 * Options: `--quick` (0.2 s per measurement), `--duration <ms>`, `--warmup <ms>`, `--rounds <n>`.
 * Progress goes to stderr; the report to stdout and to `bench/results/protocol.{json,md}`.
 */
import { type BenchSetup, describeSetup, runTrials, timingFromArgs } from '../measure.js';
import { type ComparisonRow, compare, comparisonTable, setupLine, writeResults } from '../report.js';
import { type CaseCheck, PINUS, prepareProtocolCases, SHADDOCK } from './suite.js';

/** Shaddock should be at least this many times as fast as Pinus on every row. */
const TARGET_RATIO = 2;

const RESULTS_DIRECTORY = new URL('../../results/', import.meta.url);

async function main(): Promise<void> {
  const timing = timingFromArgs(process.argv.slice(2));
  const prepared = prepareProtocolCases();
  const checks = prepared.map((p) => p.check);
  for (const check of checks) {
    console.error(
      `checked ${check.case}: Shaddock's ${check.packageBytes} bytes equal Pinus's; both decode to the input`,
    );
  }
  const setup = describeSetup(timing);
  const results = runTrials(
    prepared.flatMap((p) => p.trials),
    timing,
    (line) => console.error(line),
  );
  const rows = compare(results, SHADDOCK, PINUS);
  const markdown = report(setup, checks, rows);
  console.log(`\n${markdown}`);
  const json = { benchmark: 'protocol', setup, targetRatio: TARGET_RATIO, cases: checks, rows, results };
  const written = await writeResults(RESULTS_DIRECTORY, 'protocol', json, markdown);
  console.error(`wrote ${written.join(' and ')}`);
}

function report(setup: BenchSetup, checks: readonly CaseCheck[], rows: readonly ComparisonRow[]): string {
  const below = rows.filter((row) => !(row.ratio >= TARGET_RATIO));
  const verdict =
    below.length === 0
      ? `Every ratio meets the target of ${TARGET_RATIO}×.`
      : `Under the target of ${TARGET_RATIO}×: ${below.map((row) => `${row.case} ${row.op} (${row.ratio.toFixed(2)}×)`).join(', ')}.`;
  return [
    '# Protocol codec: Shaddock vs Pinus',
    '',
    setupLine(setup),
    '',
    ...checks.map(
      (check) =>
        `- **${check.case}** \`${check.route}\`: ${check.description}; body ${check.bodyBytes} B, package ${check.packageBytes} B.`,
    ),
    '',
    'Encode: a JS object to package bytes. Decode: a frame (a `Buffer`, as `ws` gives it) to the route and body object,',
    "as the receiver does. Before timing, Shaddock's package bytes were checked equal to Pinus's and both decodes",
    "deep-equal to the input. Ratio: Shaddock ops/s ÷ Pinus ops/s, the median of the rounds' ratios.",
    '',
    comparisonTable(rows, SHADDOCK, PINUS),
    '',
    verdict,
    '',
  ].join('\n');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
