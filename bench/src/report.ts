/**
 * Reporting shared by the benchmarks: a side-by-side table of two contenders with their ratio,
 * and the results written as JSON and Markdown under `bench/results/`.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { type BenchSetup, formatRate, median, SLICE_MS, type TrialResult } from './measure.js';

/** One row of a side-by-side comparison: `subject` against `baseline`. */
export interface ComparisonRow {
  readonly case: string;
  readonly op: string;
  readonly subject: number;
  readonly baseline: number;
  /**
   * The median over rounds of subject / baseline (ops/s), each round's pair measured turn about:
   * above 1 means the subject is faster. Pairing rounds keeps a busy spell of the machine, which
   * slows one round of both, out of the ratio.
   */
  readonly ratio: number;
}

/** Rows comparing the contender named `subject` with the one named `baseline`, trial by trial. */
export function compare(results: readonly TrialResult[], subject: string, baseline: string): ComparisonRow[] {
  return results.map((result) => {
    const ours = result.samples[subject] ?? [];
    const theirs = result.samples[baseline] ?? [];
    const ratios = ours.map((value, round) => value / (theirs[round] ?? Number.NaN));
    return {
      case: result.case,
      op: result.op,
      subject: result.opsPerSecond[subject] ?? Number.NaN,
      baseline: result.opsPerSecond[baseline] ?? Number.NaN,
      ratio: median(ratios),
    };
  });
}

/** A Markdown table: `| case | op | <subject> ops/s | <baseline> ops/s | ratio |`. */
export function comparisonTable(rows: readonly ComparisonRow[], subject: string, baseline: string): string {
  const lines = [
    `| case | op | ${subject} ops/s | ${baseline} ops/s | ratio |`,
    '| --- | --- | ---: | ---: | ---: |',
  ];
  for (const row of rows) {
    lines.push(
      `| ${row.case} | ${row.op} | ${formatRate(row.subject)} | ${formatRate(row.baseline)} | ${row.ratio.toFixed(2)}× |`,
    );
  }
  return lines.join('\n');
}

/** The setup as one Markdown paragraph. */
export function setupLine(setup: BenchSetup): string {
  const { timing } = setup;
  return [
    `Node ${setup.node} (V8 ${setup.v8}), ${setup.platform}, ${setup.cpu} × ${setup.cpuCount}, ${setup.memoryGiB} GiB,`,
    `${setup.date}. Each figure is the median of ${timing.rounds} runs of ${timing.durationMs} ms, in which the`,
    `contenders take turns in slices of about ${SLICE_MS} ms${setup.exposeGc ? ', with a GC before each slice' : ''},`,
    `after ${timing.warmupMs} ms of warm-up each.`,
  ].join(' ');
}

/** Writes `<name>.json` and `<name>.md` into `directory` (created if missing); returns their paths. */
export async function writeResults(
  directory: URL,
  name: string,
  json: unknown,
  markdown: string,
): Promise<string[]> {
  await mkdir(directory, { recursive: true });
  const jsonPath = new URL(`${name}.json`, directory);
  const markdownPath = new URL(`${name}.md`, directory);
  await writeFile(jsonPath, `${JSON.stringify(json, null, 2)}\n`);
  await writeFile(markdownPath, markdown.endsWith('\n') ? markdown : `${markdown}\n`);
  return [jsonPath.pathname, markdownPath.pathname];
}
