/**
 * Reads a V8 `.cpuprofile` (as `node --cpu-prof` writes it) and tells where the time went: the
 * functions with the most self time, the most inclusive time, and the time per area (Shaddock's
 * rpc and transport, msgpackr, Node's net/stream internals, GC, idle).
 *
 * `node dist/rpc/profile-summary.js <file.cpuprofile>…` prints it; `run.js --profile` calls it.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** Time spent in one function or area, in µs and % of the profile. */
export interface ProfileEntry {
  readonly name: string;
  readonly micros: number;
  readonly percent: number;
}

export interface ProfileSummary {
  readonly file: string;
  readonly totalMicros: number;
  /** Excluding `(idle)`. */
  readonly busyMicros: number;
  readonly selfTop: readonly ProfileEntry[];
  readonly inclusiveTop: readonly ProfileEntry[];
  readonly areas: readonly ProfileEntry[];
}

function isCpuProfile(value: unknown): value is CpuProfile {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return Array.isArray(record.nodes) && Array.isArray(record.samples) && Array.isArray(record.timeDeltas);
}

function shortUrl(url: string): string {
  const marks = ['/packages/', '/node_modules/', '/bench/'];
  for (const mark of marks) {
    const at = url.lastIndexOf(mark);
    if (at >= 0) return url.slice(at + 1);
  }
  return url.replace(/^file:\/\//, '');
}

function functionKey(frame: CallFrame): string {
  const name = frame.functionName || '(anonymous)';
  if (!frame.url) return name;
  return `${name} ${shortUrl(frame.url)}:${frame.lineNumber + 1}`;
}

/** The area a frame belongs to. */
export function areaOf(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (!url) {
    if (functionName === '(idle)' || functionName === '(program)' || functionName === '(garbage collector)') {
      return functionName;
    }
    return '(native / builtins)';
  }
  if (url.includes('/packages/shaddock/')) {
    const match = /\/packages\/shaddock\/(?:dist|src)\/([^/]+)\//.exec(url);
    return `shaddock ${match?.[1] ?? 'other'}`;
  }
  if (url.includes('/node_modules/')) {
    const match = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
    return match?.[1] ?? 'node_modules';
  }
  if (url.includes('/bench/')) return 'bench harness';
  if (url.startsWith('node:')) {
    const module = url.slice('node:'.length).replace(/^internal\//, '');
    return `node ${module.split('/')[0] ?? module}`;
  }
  return 'other';
}

function top(map: Map<string, number>, total: number, count: number): ProfileEntry[] {
  return [...map]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, micros]) => ({ name, micros, percent: total > 0 ? (micros / total) * 100 : 0 }));
}

/** Summarizes one profile file. */
export function summarizeProfile(file: string, count = 20): ProfileSummary {
  const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
  if (!isCpuProfile(parsed)) throw new Error(`${file} is not a .cpuprofile`);
  const nodes = new Map(parsed.nodes.map((node) => [node.id, node]));
  const parents = new Map<number, number>();
  for (const node of parsed.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
  const selfByNode = new Map<number, number>();
  parsed.samples.forEach((id, index) => {
    // timeDeltas[i] is the time before sample i; attribute the next delta to this sample
    const delta = parsed.timeDeltas[index + 1] ?? 0;
    selfByNode.set(id, (selfByNode.get(id) ?? 0) + Math.max(0, delta));
  });
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const areas = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const [id, micros] of selfByNode) {
    const node = nodes.get(id);
    if (!node) continue;
    total += micros;
    if (node.callFrame.functionName === '(idle)') idle += micros;
    const key = functionKey(node.callFrame);
    self.set(key, (self.get(key) ?? 0) + micros);
    const area = areaOf(node.callFrame);
    areas.set(area, (areas.get(area) ?? 0) + micros);
    // inclusive: every distinct function on the stack gets the sample once
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parents.get(at)) {
      const frame = nodes.get(at)?.callFrame;
      if (!frame || frame.functionName === '(root)') continue;
      const name = functionKey(frame);
      if (seen.has(name)) continue;
      seen.add(name);
      inclusive.set(name, (inclusive.get(name) ?? 0) + micros);
    }
  }
  const busy = total - idle;
  inclusive.delete('(program)');
  inclusive.delete('(idle)');
  return {
    file,
    totalMicros: total,
    busyMicros: busy,
    selfTop: top(self, busy, count),
    inclusiveTop: top(inclusive, busy, count),
    areas: top(areas, busy, 40),
  };
}

/** The summary as text (percentages of the busy time, idle excluded). */
export function formatProfileSummary(summary: ProfileSummary): string {
  const line = (entry: ProfileEntry): string =>
    `  ${entry.percent.toFixed(1).padStart(5)}%  ${(entry.micros / 1e3).toFixed(0).padStart(6)} ms  ${entry.name}`;
  return [
    `${summary.file}: ${(summary.totalMicros / 1e3).toFixed(0)} ms profiled, ${(summary.busyMicros / 1e3).toFixed(0)} ms busy (percentages of busy time)`,
    ' by area (self time):',
    ...summary.areas.filter((entry) => entry.name !== '(idle)').map(line),
    ' top functions by self time:',
    ...summary.selfTop.filter((entry) => entry.name !== '(idle)').map(line),
    ' top functions by inclusive time:',
    ...summary.inclusiveTop.map(line),
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const files = process.argv.slice(2);
  if (files.length === 0) {
    console.error('usage: node dist/rpc/profile-summary.js <file.cpuprofile>…');
    process.exitCode = 2;
  }
  for (const file of files) console.log(`${formatProfileSummary(summarizeProfile(file, 30))}\n`);
}
