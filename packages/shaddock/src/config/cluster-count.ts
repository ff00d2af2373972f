import { type FieldSource, invalid, optionalInteger } from './fields.js';

/** A field written `"<integer>++"`: it grows by one per copy. */
const INCREASING = /^(-?\d+)\+\+$/;

/**
 * Expands an entry with `clusterCount: N` into N raw entries (Pomelo's `clusterCount`). Copy `i`
 * (from 0) gets the id `${id}-${i}` when the entry has an id, else Pomelo's
 * `cluster-server-${serverType}-${seq}` where `seq` runs on across every cluster entry of the type
 * (`sequences` keeps it). A field written `"3050++"` is 3050 on the first copy, 3051 on the next.
 * An entry without `clusterCount` comes back alone, unchanged.
 */
export function expandCluster(
  source: FieldSource,
  serverType: string,
  sequences: Map<string, number>,
): Record<string, unknown>[] {
  const count = optionalInteger(source, 'clusterCount', 1, 10_000);
  if (count === undefined) return [{ ...source.record }];
  const givenId = source.record['id'];
  if (givenId !== undefined && givenId !== null && (typeof givenId !== 'string' || givenId === '')) {
    throw invalid(source, 'id', `"id" must be a non-empty string or left out, got ${String(givenId)}`);
  }
  const increasing = new Map<string, number>();
  for (const [key, value] of Object.entries(source.record)) {
    const match = typeof value === 'string' && key !== 'id' ? INCREASING.exec(value) : null;
    if (match?.[1] !== undefined) increasing.set(key, Number(match[1]));
  }
  const firstSeq = sequences.get(serverType) ?? 0;
  if (typeof givenId !== 'string') sequences.set(serverType, firstSeq + count);

  const copies: Record<string, unknown>[] = [];
  for (let i = 0; i < count; i++) {
    const copy: Record<string, unknown> = { ...source.record };
    delete copy['clusterCount'];
    copy['id'] =
      typeof givenId === 'string' ? `${givenId}-${i}` : `cluster-server-${serverType}-${firstSeq + i}`;
    for (const [key, start] of increasing) copy[key] = start + i;
    copies.push(copy);
  }
  return copies;
}
